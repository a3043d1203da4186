"""`arenapref rank MODEL_DIR FILE -o ranked.jsonl`: {id, prompt, candidates} rows or a battle file grouped by prompt;
scores, ranks and the best index written whole; errors in one line with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import arenapref
from cli_support import run
from serve_support import DATA, small_fast_model_dir

ROWS = [
    {
        "id": "sky",
        "prompt": "Why is the sky blue?",
        "candidates": ["Rayleigh scattering.", "idk", "Rayleigh scattering."],
    },
    {
        "prompt": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Name a colour."},
        ],
        "candidates": [[{"role": "assistant", "content": "Blue."}], "Red, or any colour of the rainbow."],
    },
    {"id": "none", "prompt": "Q", "candidates": []},
]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_rank_rows_of_prompt_and_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model_dir = small_fast_model_dir()
    out = tmp_path / "ranked.jsonl"
    code, text = run(monkeypatch, capsys, "rank", model_dir, _jsonl(tmp_path / "in.jsonl", ROWS), "-o", out)
    assert code == 0, text
    assert "3 prompts, 5 candidates" in " ".join(text.split())
    got = _read(out)
    assert [r["id"] for r in got] == ["sky", "2", "none"]  # an id, else the row number
    local = arenapref.load(model_dir)
    for row, record in zip(ROWS, got, strict=True):
        assert record == {"id": record["id"], **local.rank(row["prompt"], row["candidates"]).to_dict()}
    assert got[0]["scores"][0] == got[0]["scores"][2] and got[2]["best"] is None


def test_rank_reads_and_writes_parquet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.parquet"
    pd.DataFrame({"id": ["a", "b"], "prompt": ["Q1", "Q2"], "candidates": [["x", "yy", "zzz"], ["only"]]}).to_parquet(
        source
    )
    out = tmp_path / "ranked.parquet"
    code, text = run(monkeypatch, capsys, "rank", small_fast_model_dir(), source, "-o", out)
    assert code == 0, text
    table = pd.read_parquet(out)
    assert list(table["id"]) == ["a", "b"] and list(table["ranks"].iloc[1]) == [1] and table["best"].iloc[1] == 0


def test_rank_groups_a_battle_file_by_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "vicuna.jsonl"
    code, text = run(
        monkeypatch,
        capsys,
        "rank",
        small_fast_model_dir(),
        DATA / "vicuna80" / "vicuna80_human_pairwise.jsonl",
        "-o",
        out,
    )
    assert code == 0, text
    assert "2,212 battles (vicuna80) grouped into 79 prompts" in " ".join(text.split())
    got = _read(out)
    assert len(got) == 79 and all(len(r["candidates"]) == len(r["scores"]) == len(r["models"]) == 8 for r in got)
    assert all(sorted(r["models"]) == sorted(got[0]["models"]) for r in got)
    assert got[0]["id"] == "prompt-1" and isinstance(got[0]["prompt"], str)
    first = got[0]
    assert first["best"] == first["ranks"].index(1) == max(range(8), key=lambda k: first["scores"][k])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{"prompt": "Q", "candidates": ["a", "b"]}, {"prompt": "Q", "candidates": ["a", "b", "c"]}],
            "row 2, field 'candidates': 3 candidates; the limit is 2 per prompt (--max-candidates)",
        ),
        ([{"prompt": "Q", "candidates": "a"}], "row 1, field 'candidates': expected a list, got str"),
        (
            [{"prompt": "Q", "candidates": ["a", {"role": "user"}]}],
            "row 1, field 'candidates[1]': expected text or a list of messages, got dict",
        ),
        ([{"prompt": None, "candidates": ["a"]}, ROWS[0]], "row 1, field 'prompt': missing value"),
        ([{"candidates": ["a"]}, {"candidates": ["b"]}], "rows with `candidates` need a `prompt` column"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(
    rows: list[dict], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ranked.jsonl"
    source = _jsonl(tmp_path / "in.jsonl", rows)
    code, text = run(monkeypatch, capsys, "rank", small_fast_model_dir(), source, "-o", out, "--max-candidates", "2")
    assert code == 2 and message in " ".join(text.split()) and "Traceback" not in text
    assert len(text.strip().splitlines()) == 1 and not out.exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary file left behind


def test_a_broken_json_line_and_a_folder_as_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(ROWS[0]) + "\n{not json\n")
    code, text = run(monkeypatch, capsys, "rank", small_fast_model_dir(), source, "-o", tmp_path / "o.jsonl")
    assert code == 2 and "row 2: invalid JSON" in " ".join(text.split())
    code, text = run(monkeypatch, capsys, "rank", small_fast_model_dir(), _jsonl(source, ROWS[:1]), "-o", tmp_path)
    assert code == 2 and "is a folder" in text


def test_an_existing_output_is_replaced_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ranked.jsonl"
    out.write_text("old\n" * 100)
    code, _ = run(
        monkeypatch, capsys, "rank", small_fast_model_dir(), _jsonl(tmp_path / "in.jsonl", ROWS[:1]), "-o", out
    )
    assert code == 0 and len(_read(out)) == 1
