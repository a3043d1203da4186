"""Chosen / rejected pairs: HH dialogue strings, TRL message lists, and position-free placement."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from arenapref.data.io import read_battles
from arenapref.data.readers.pairs import chosen_in_a


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def chosen_and_rejected(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    a_won = df["label"] == 0
    return df["response_a"].where(a_won, df["response_b"]), df["response_b"].where(a_won, df["response_a"])


def test_hh_strings_shared_history_and_last_turn(tmp_path: Path) -> None:
    history = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: tell me a joke"
    path = write_jsonl(
        tmp_path / "hh.jsonl",
        [{"chosen": history + "\n\nAssistant: a good joke", "rejected": history + "\n\nAssistant: no"}],
    )
    df, report = read_battles(path)
    assert report.format == "pairs"
    row = df.iloc[0]
    assert row["prompt"] == ["hi", "tell me a joke"]
    chosen, rejected = (s.iloc[0] for s in chosen_and_rejected(df))
    assert chosen == ["hello", "a good joke"] and rejected == ["hello", "no"]
    assert not row["tie_allowed"]


def test_hh_repairs_merge_and_run_on(tmp_path: Path) -> None:
    base = "\n\nHuman: q"
    records = [
        # chosen splits its answer over two Assistant tags: merged
        {"chosen": base + "\n\nAssistant: part one\n\nAssistant: part two", "rejected": base + "\n\nAssistant: r"},
        # rejected runs on with an invented Human turn: kept inside its answer's text
        {"chosen": base + "\n\nAssistant: c", "rejected": base + "\n\nAssistant: r\n\nHuman: more?"},
        # identical: kept as labelled, noted
        {"chosen": base + "\n\nAssistant: same", "rejected": base + "\n\nAssistant: same"},
    ]
    df, report = read_battles(write_jsonl(tmp_path / "hh.jsonl", records))
    assert report.rows_kept == 3
    chosen, rejected = chosen_and_rejected(df)
    assert chosen.iloc[0] == ["part one\n\npart two"]
    assert rejected.iloc[1] == ["r\n\nHuman: more?"]
    assert report.repairs["consecutive same-role messages merged"] == 1
    assert report.repairs["answer runs on past the shared history (later turns kept in its text)"] == 1
    assert any("1 rows have identical" in n for n in report.notes)


def test_not_a_dialogue_is_dropped_with_field(tmp_path: Path) -> None:
    records = [
        {"chosen": "\n\nHuman: q\n\nAssistant: a", "rejected": "\n\nHuman: q\n\nAssistant: b"},
        {"chosen": "just text", "rejected": "\n\nHuman: q\n\nAssistant: b"},
        {"chosen": 3, "rejected": "\n\nHuman: q\n\nAssistant: b"},
    ]
    df, report = read_battles(write_jsonl(tmp_path / "hh.jsonl", records))
    assert len(df) == 1
    dropped = {i: r for r, ids in report.dropped.items() for i in ids}
    assert set(dropped) == {"row 2", "row 3"}
    assert all("'chosen'" in r for r in dropped.values())


def test_trl_message_lists_implicit_prompt(tmp_path: Path) -> None:
    def conv(answer: str) -> list[dict]:
        return [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": answer},
        ]

    df, report = read_battles(write_jsonl(tmp_path / "trl.jsonl", [{"chosen": conv("4"), "rejected": conv("5")}]))
    assert report.format == "pairs"
    row = df.iloc[0]
    assert row["prompt"] == ["2+2?"] and row["system"] == "be brief"
    chosen, rejected = (s.iloc[0] for s in chosen_and_rejected(df))
    assert (chosen, rejected) == (["4"], ["5"])
    assert report.repairs["system message moved to column 'system'"] == 2


def test_trl_explicit_prompt_text_and_messages(tmp_path: Path) -> None:
    records = [
        {"prompt": "Capital of France?", "chosen": "Paris", "rejected": "Rome"},
        {
            "prompt": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey"},
                       {"role": "user", "content": "bye?"}],
            "chosen": [{"role": "assistant", "content": "bye!"}],
            "rejected": [{"role": "assistant", "content": "no"}],
        },
        {"prompt": "\n\nHuman: hh style\n\nAssistant:", "chosen": " yes", "rejected": " no"},
    ]  # fmt: skip
    df, report = read_battles(write_jsonl(tmp_path / "trl.jsonl", records))
    assert report.format == "pairs-prompt"
    assert df["prompt"].tolist() == [["Capital of France?"], ["hi", "bye?"], ["hh style"]]
    chosen, rejected = chosen_and_rejected(df)
    assert chosen.tolist() == [["Paris"], ["hey", "bye!"], [" yes"]]
    assert rejected.tolist() == [["Rome"], ["hey", "no"], [" no"]]


def test_placement_is_stable_and_about_half(tmp_path: Path) -> None:
    records = [
        {"chosen": f"\n\nHuman: question {i}\n\nAssistant: good {i}", "rejected": f"\n\nHuman: question {i}"
         f"\n\nAssistant: bad {i}"}
        for i in range(2000)
    ]  # fmt: skip
    df, _ = read_battles(write_jsonl(tmp_path / "a.jsonl", records))
    share_a = (df["label"] == 0).mean()
    assert 0.46 < share_a < 0.54
    chosen, _ = chosen_and_rejected(df)
    assert all(c[0].startswith("good") for c in chosen)
    shuffled, _ = read_battles(write_jsonl(tmp_path / "b.jsonl", records[::-1]))
    assert shuffled["label"].tolist() == df["label"].tolist()[::-1]  # depends on the row's texts, not its position
    assert chosen_in_a("x", "y") == chosen_in_a("x", "y")
