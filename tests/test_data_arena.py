"""Chatbot Arena conversation records from JSON, JSONL and parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from arenapref.data.io import read_battles


def conversation(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    out = []
    for user, assistant in pairs:
        out += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return out


RECORDS = [
    {
        "question_id": "q1",
        "model_a": "vicuna-13b",
        "model_b": "gpt-4",
        "winner": "model_b",
        "conversation_a": conversation(("hi", "hello"), ("2+2?", "5")),
        "conversation_b": conversation(("hi", "hey"), ("2+2?", "4")),
        "turn": 2,
        "language": "English",
    },
    {
        "question_id": "q2",
        "model_a": "a",
        "model_b": "b",
        "winner": "tie (bothbad)",
        "conversation_a": conversation(("x", "y")),
        "conversation_b": conversation(("x", "z")),
        "turn": 1,
        "language": "German",
    },
    {
        "question_id": "q3",
        "model_a": "a",
        "model_b": "b",
        "winner": "model_a",
        "conversation_a": conversation(("u", "v")),
        "conversation_b": conversation(("u", "w")),
        "turn": 1,
        "language": "English",
    },
    {
        "question_id": "q4",
        "model_a": "a",
        "model_b": "b",
        "winner": "tie",
        "conversation_a": conversation(("p", "q")),
        "conversation_b": conversation(("p", "r")),
        "turn": 1,
        "language": "English",
    },
]


def write(records: list[dict], path: Path) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    elif path.suffix == ".json":
        path.write_text(json.dumps(records, indent=2))
    else:
        pd.DataFrame(records).to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".parquet"])
def test_arena_records_in_every_container(tmp_path: Path, suffix: str) -> None:
    df, report = read_battles(write(RECORDS, tmp_path / f"arena{suffix}"))
    assert report.format == "arena" and report.rows_kept == 4 and not report.repairs
    assert df["id"].tolist() == ["q1", "q2", "q3", "q4"]
    assert df["label"].tolist() == [1, 2, 0, 2]
    assert df["winner_raw"].tolist() == ["model_b", "tie (bothbad)", "model_a", "tie"]
    first = df.iloc[0]
    assert first["prompt"] == ["hi", "2+2?"]
    assert first["response_a"] == ["hello", "5"] and first["response_b"] == ["hey", "4"]
    assert (first["model_a"], first["model_b"], first["language"]) == ("vicuna-13b", "gpt-4", "English")
    assert df["turn"].tolist() == [2, 1, 1, 1]


def test_arena_repairs_differing_user_turns_and_turn_counts(tmp_path: Path) -> None:
    record = dict(RECORDS[0])
    record["conversation_b"] = conversation(("hi (edited)", "hey"))
    df, report = read_battles(write([record], tmp_path / "arena.jsonl"))
    row = df.iloc[0]
    assert row["prompt"] == ["hi", "2+2?"]
    assert row["response_b"] == ["hey", None]
    assert report.repairs["user turns differ between sides (conversation_a's kept)"] == 1
    assert report.repairs["unequal turn counts padded with None"] == 1


def test_arena_without_winner_is_unlabelled(tmp_path: Path) -> None:
    records = [{k: v for k, v in r.items() if k != "winner"} for r in RECORDS]
    df, _ = read_battles(write(records, tmp_path / "arena.jsonl"))
    assert df["label"].isna().all() and "winner_raw" not in df


def test_arena_bad_records_dropped_by_field(tmp_path: Path) -> None:
    bad_winner = dict(RECORDS[1], winner="model_c")
    no_conversation = {k: v for k, v in RECORDS[2].items() if k != "conversation_b"}
    wrong_type = dict(RECORDS[3], conversation_a="hello")
    df, report = read_battles(write([RECORDS[0], bad_winner, no_conversation, wrong_type], tmp_path / "a.jsonl"))
    assert df["id"].tolist() == ["q1"]
    dropped = {i: r for r, ids in report.dropped.items() for i in ids}
    assert "'winner'" in dropped["row 2"] and "model_c" in dropped["row 2"]
    assert "'conversation_b'" in dropped["row 3"] and "missing" in dropped["row 3"]
    assert "'conversation_a'" in dropped["row 4"]


def test_jsonl_with_lines_longer_than_the_sniffed_head(tmp_path: Path) -> None:
    records = [dict(r, conversation_a=conversation(("q", "long answer " * 1000))) for r in RECORDS[:2]]
    df, report = read_battles(write(records, tmp_path / "long.jsonl"))
    assert report.rows_kept == 2 and len(df.iloc[0]["response_a"][0]) == 12_000
