"""Judge measures read by `arenapref evaluate --judge-details`: Auto-J agreement, consistency, verbosity on real
battles, self-enhancement; bad details files stop with a line naming the file and field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.errors import DataError
from arenapref.data.schema import conform
from arenapref.evaluation.judge_eval import judge_lines, judge_report, read_details


def table() -> pd.DataFrame:
    rows = [
        # id, A, B, model_a, model_b, label
        ("1", "long long answer", "short", "judge-x", "other", 0),
        ("2", "short", "long long answer", "other", "judge-x", 0),
        ("3", "same", "same", "other", "other2", 2),
        ("4", "longer one", "tiny", "other", "other2", 1),
    ]
    return conform(
        pd.DataFrame(
            [
                {
                    "id": i,
                    "source": "t",
                    "prompt": ["q"],
                    "response_a": [a],
                    "response_b": [b],
                    "model_a": ma,
                    "model_b": mb,
                    "label": y,
                }
                for i, a, b, ma, mb, y in rows
            ]
        )
    )


def test_judge_report_numbers() -> None:
    ab = np.array([0, 1, 2, 0])
    ba = np.array([0, 0, 2, -1])
    r = judge_report(table(), ab, ba, judge_name="judge-x")
    assert r.agreement.n == 4
    assert r.agreement.agreement == pytest.approx(2 / 4)  # battles 1 and 3
    assert r.agreement.consistency == pytest.approx(2 / 4)
    # decisive verdicts on battles with different lengths: 1:A,A (longer x2) 2:B,A (longer, shorter) 4:A (longer)
    assert r.n_decisive_judge == 5 and r.longer_picked_judge == pytest.approx(4 / 5)
    # humans: 1 A (longer), 2 A (shorter), 4 B (shorter)
    assert r.n_decisive_human == 3 and r.longer_picked_human == pytest.approx(1 / 3)
    # judge-x wrote A of battle 1 (judge: win, win) and B of battle 2 (judge: win, loss); humans: win, loss
    assert r.n_own == 2 and r.own_judge_win_rate == pytest.approx(3 / 4) and r.own_human_win_rate == pytest.approx(0.5)
    text = "\n".join(judge_lines(r))
    assert "agreement 50.00% on 4 battles" in text and "judge-x wrote a side" in text


def test_details_files_are_checked(tmp_path: Path) -> None:
    ids = pd.Series(["1", "2"])
    good = tmp_path / "d.csv"
    pd.DataFrame({"id": ["2", "1"], "verdict_ab": [1, 0], "verdict_ba": [1, -1]}).to_csv(good, index=False)
    ab, ba = read_details(good, ids)
    assert list(ab) == [0, 1] and list(ba) == [-1, 1]
    pd.DataFrame({"id": ["1"], "verdict_ab": [0], "verdict_ba": [0]}).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(DataError, match=r"short.csv: no verdicts for 1 battles, e.g. id '2'"):
        read_details(tmp_path / "short.csv", ids)
    pd.DataFrame({"id": ["1", "2"], "verdict_ab": [0, 7], "verdict_ba": [0, 0]}).to_csv(tmp_path / "bad.csv")
    with pytest.raises(DataError, match=r"bad.csv, field 'verdict_ab'"):
        read_details(tmp_path / "bad.csv", ids)
    pd.DataFrame({"id": ["1"]}).to_csv(tmp_path / "other.csv", index=False)
    with pytest.raises(DataError, match=r"field 'verdict_ab': not a judge details file"):
        read_details(tmp_path / "other.csv", ids)


def test_bench_judge_section_reads_both_orders_and_runs_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    from arenapref.evaluation.judge_bench import judge_lines as bench_lines
    from arenapref.evaluation.judge_bench import judge_section
    from arenapref.evaluation.results import SetPredictions
    from arenapref.judge.config import JudgeConfig
    from arenapref.judge.model import JudgeModel
    from arenapref.models import registry
    from judge_support import Script, battles, fault_server

    labels = np.array([0, 1, 2])
    # order A-B says A, A, tie; order B-A (as returned on swapped battles: columns swapped) says A, B, tie
    proba = np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    swapped = np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.2, 0.1, 0.7]])
    pred = SetPredictions(labels, proba, swapped, two_way=False, seconds=1.0, cached=False)
    with fault_server(Script()) as url:
        config = JudgeConfig(backend="openai", base_url=url, model="m", logprobs=False, max_retries=0)

        class TestJudge(JudgeModel):
            name = "judge-test"

            def __init__(self) -> None:
                super().__init__(config, orders="single")

        monkeypatch.setitem(registry.MODELS, "judge-test", TestJudge)
        entries = judge_section({"judge-test": {("transfer", "autoj"): pred}}, ["judge-test"], battles(6), probe_rows=3)
    (entry,) = entries
    (row,) = entry["sets"]
    assert row["n"] == 3 and row["agreement"] == pytest.approx(2 / 3) and row["consistency"] == pytest.approx(2 / 3)
    assert row["published_gpt4"] == {"agreement": 62.28, "consistency": 86.28}
    verbosity = entry["probes"]["verbosity"]
    # the fault server prefers answers containing 'good', else a tie: an answer against itself repeated is a tie
    # unless exactly one side says 'good' (never, as both sides hold the same words)
    assert verbosity["n"] == 3 and verbosity["tie"] == pytest.approx(1.0)
    assert entry["probes"]["self_enhancement"]["signed_shift"] == pytest.approx(0.0)
    text = "\n".join(bench_lines(entries))
    assert "autoj (transfer, 3 battles): agreement 66.67%, consistency 66.67% · GPT-4 published 62.28% / 86.28%" in text
