"""Format registry and detection, the battle table's own format, source names and inspect statistics."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.errors import DataError
from arenapref.data.formats import FORMATS, detect
from arenapref.data.io import read_battles, read_many, source_name, write_battles
from arenapref.data.stats import length_quantiles, longer_wins, summarise, text_lengths


def test_signatures_are_distinct_and_detect_themselves() -> None:
    assert len(FORMATS) >= 12
    for a, b in itertools.combinations(FORMATS.values(), 2):
        assert a.signature != b.signature, (a.name, b.name)
    for fmt in FORMATS.values():
        assert detect(set(fmt.signature)) is fmt


def detected(columns: set[str]) -> str | None:
    fmt = detect(columns)
    return fmt.name if fmt else None


def test_largest_signature_wins() -> None:
    assert detected({"chosen", "rejected"}) == "pairs"
    assert detected({"prompt", "chosen", "rejected"}) == "pairs-prompt"
    assert detected({"id", "prompt", "response_a", "response_b", "winner_tie"}) == "kaggle"
    battle_columns = {"id", "source", "prompt", "response_a", "response_b", "model_a", "model_b", "label"}
    assert detected(battle_columns | {"tie_allowed"}) == "battles"
    assert detected({"x", "y"}) is None


def test_battle_table_round_trips_through_parquet(data_dir: Path, tmp_path: Path) -> None:
    battles, _ = read_many([data_dir / "vicuna80", data_dir / "hhh", data_dir / "kaggle-sample"])
    write_battles(battles, tmp_path / "battles.parquet")
    again, report = read_battles(tmp_path / "battles.parquet")
    assert report.format == "battles" and report.rows_dropped == 0
    pd.testing.assert_frame_equal(again, battles)


def test_source_names(tmp_path: Path) -> None:
    for name in ("a-test.jsonl", "b-test.jsonl", "c-train.jsonl", "c-test.jsonl"):
        (tmp_path / "hh" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "hh" / name).write_text("{}\n")
    assert source_name(tmp_path / "hh" / "a-test.jsonl") == "hh/a"
    assert source_name(tmp_path / "hh" / "c-test.jsonl") == "hh/c-test"  # c-train is there too: keep the split
    (tmp_path / "solo").mkdir()
    (tmp_path / "solo" / "data.json").write_text("[]")
    assert source_name(tmp_path / "solo" / "data.json") == "solo"


def test_missing_columns_named(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text('id,prompt,response_a\n1,"[""q""]","[""a""]"\n')
    with pytest.raises(DataError) as err:
        read_battles(path)
    assert err.value.field == "response_b" and "kaggle" in str(err.value)
    with pytest.raises(DataError, match="unknown format 'nope'"):
        read_battles(path, fmt="nope")


def test_forced_format_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    record = {"prompt": "q", "chosen": "\n\nHuman: q\n\nAssistant: a", "rejected": "\n\nHuman: q\n\nAssistant: b"}
    path.write_text(json.dumps(record) + "\n")
    assert read_battles(path)[1].format == "pairs-prompt"
    df, report = read_battles(path, fmt="pairs")
    assert report.format == "pairs" and df["prompt"].tolist() == [["q"]]


def test_stats_are_vectorised_and_right() -> None:
    df = pd.DataFrame(
        {
            "prompt": [["ab"], ["abc", None], ["a"]],
            "response_a": [["xxxx"], ["y", "yy"], [None]],
            "response_b": [["x"], ["yyyy", "y"], ["z"]],
            "model_a": ["m", None, "n"],
            "model_b": ["n", "o", None],
            "label": pd.array([0, 1, None], dtype="Int8"),
            "soft_a": [np.nan, 0.5, np.nan],
            "soft_b": [np.nan, 0.5, np.nan],
            "soft_tie": [np.nan, 0.0, np.nan],
        }
    )
    assert text_lengths(df["response_a"]).tolist() == [4, 3, 0]
    assert text_lengths(df["prompt"]).tolist() == [2, 3, 1]
    # row 0: A longer and won; row 1: B longer and won -> longer wins both
    assert longer_wins(df) == 1.0
    s = summarise(df)
    assert s.labels == {"A": 1, "B": 1, "tie": 0, "unlabelled": 1}
    assert s.turns == {"single_turn": 2, "multi_turn": 1, "mean_turns": 4 / 3, "max_turns": 2}
    assert (s.soft_labels, s.models, s.rows) == (1, 3, 3)
    assert length_quantiles(df).loc["response_b", "max"] == 5
