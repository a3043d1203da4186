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
