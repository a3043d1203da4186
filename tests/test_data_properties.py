"""Property-based tests of the Kaggle and Arena readers on generated malformed input.

Whatever the input, read_battles either raises DataError (whole-file problems only) or returns a table and a
report where rows_read == rows_kept + rows_dropped, every generated bad row is among the dropped (by its row),
every generated repairable row is kept and its repair counted, and good rows come back unchanged.
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arenapref.data.errors import DataError
from arenapref.data.io import read_battles

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)
TURNS = st.lists(TEXT, min_size=1, max_size=3)
LONE = "\ud83d"

# Kaggle row kinds: what the reader must do with each
KAGGLE_DROP = {"truncated", "wrong_type", "nested", "missing_winner", "not_one_hot", "bad_winner", "missing_id"}
KAGGLE_REPAIR = {
    "surrogate": "lone surrogate replaced",
    "null_turn": "null turn kept as None",
    "bare_string": "bare string wrapped as one turn",
    "number_turn": "non-string turn converted to text",
}
KAGGLE_KINDS = sorted(KAGGLE_DROP | set(KAGGLE_REPAIR) | {"good"})
JSON_FIELDS = ("prompt", "response_a", "response_b")
WINNERS = ("winner_model_a", "winner_model_b", "winner_tie")


@st.composite
def kaggle_row(draw: st.DrawFn, number: int) -> tuple[str, dict[str, str], list[list[str]]]:
    kind = draw(st.sampled_from(KAGGLE_KINDS))
    n = draw(st.integers(1, 3))
    turns = [draw(st.lists(TEXT, min_size=n, max_size=n)) for _ in JSON_FIELDS]
    cells = {f: json.dumps(t) for f, t in zip(JSON_FIELDS, turns, strict=True)}
    label = draw(st.integers(0, 2))
    flags = {w: str(int(i == label)) for i, w in enumerate(WINNERS)}
    row = {"id": str(number), "model_a": draw(TEXT), "model_b": draw(TEXT), **cells, **flags}
    field = draw(st.sampled_from(JSON_FIELDS))
    if kind == "truncated":
        row[field] = row[field][: draw(st.integers(0, len(row[field]) - 1))]
    elif kind == "wrong_type":
        row[field] = json.dumps(draw(st.one_of(st.integers(), st.booleans(), st.dictionaries(TEXT, TEXT))))
    elif kind == "nested":
        row[field] = json.dumps([["nested", "list"]])
    elif kind == "missing_winner":
        row[draw(st.sampled_from(WINNERS))] = ""
    elif kind == "not_one_hot":
        row.update({w: draw(st.sampled_from(["0", "1"])) for w in WINNERS})
        if sorted(row[w] for w in WINNERS) == ["0", "0", "1"]:
            row["winner_tie"] = "1" if row["winner_tie"] == "0" else "0"
    elif kind == "bad_winner":
        row[draw(st.sampled_from(WINNERS))] = draw(st.sampled_from(["yes", "2", "-1", "0.5", "a,b"]))
    elif kind == "missing_id":
        row["id"] = ""
    elif kind == "surrogate":
        i = JSON_FIELDS.index(field)
        turns[i][-1] += LONE
        row[field] = json.dumps(turns[i])  # ASCII JSON with a \ud83d escape, as in the real file
    elif kind == "null_turn":
        row[field] = json.dumps([*turns[JSON_FIELDS.index(field)][:-1], None])
    elif kind == "bare_string":
        row[field] = json.dumps(draw(TEXT))
    elif kind == "number_turn":
        row[field] = json.dumps([*turns[JSON_FIELDS.index(field)][:-1], draw(st.integers())])
    return kind, row, turns


@st.composite
def kaggle_file(draw: st.DrawFn) -> list[tuple[str, dict[str, str], list[list[str]]]]:
    size = draw(st.integers(1, 12))
    return [draw(kaggle_row(i + 1)) for i in range(size)]


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "model_a", "model_b", *JSON_FIELDS, *WINNERS])
        writer.writeheader()
        writer.writerows(rows)


def dropped_rows(report) -> set[str]:
    return {row for ids in report.dropped.values() for row in ids}


@SETTINGS
@given(kaggle_file())
def test_kaggle_reader_accounts_for_every_row(rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.csv"
        write_csv(path, [r for _, r, _ in rows])
        kinds = [k for k, _, _ in rows]
        try:
            df, report = read_battles(path)
        except DataError as exc:
            assert all(k in KAGGLE_DROP for k in kinds), f"DataError with readable rows: {exc}"
            assert "no row could be read" in str(exc)
            return
    assert report.format == "kaggle"
    assert report.rows_read == len(rows) == report.rows_kept + report.rows_dropped
    dropped = dropped_rows(report)
    kept = df.set_index("id")
    for number, (kind, row, turns) in enumerate(rows, start=2):  # row 1 is the header
        if kind in KAGGLE_DROP:
            assert f"row {number}" in dropped, (kind, row)
        else:
            assert f"row {number}" not in dropped, (kind, row, report.dropped)
            battle = kept.loc[row["id"]]
            assert int(battle["label"]) == [row[w] for w in WINNERS].index("1")
        if kind == "good":
            assert [battle[f] for f in JSON_FIELDS] == turns
    for kind, repair in KAGGLE_REPAIR.items():
        assert report.repairs[repair] >= kinds.count(kind), (kind, report.repairs)
    for kind, _, _ in rows:
        if kind == "surrogate":
            assert any("\ufffd" in t for f in JSON_FIELDS for turns in df[f] for t in turns if t)


# Arena records
ARENA_DROP = {
    "no_conversation", "conversation_text", "conversation_int", "message_no_content", "unknown_role",
    "message_not_object", "winner_missing", "winner_bad", "model_int", "broken_line", "not_object",
}  # fmt: skip
ARENA_REPAIR = {"surrogate": "lone surrogate replaced", "null_content": "null turn kept as None"}
ARENA_KINDS = sorted(ARENA_DROP | set(ARENA_REPAIR) | {"good"})


def conversation(user: list[str], answers: list[str]) -> list[dict[str, str]]:
    out = []
    for u, a in zip(user, answers, strict=True):
        out += [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
    return out


@st.composite
def arena_record(draw: st.DrawFn, number: int, kind: str | None = None) -> tuple[str, str]:
    kind = kind or draw(st.sampled_from(ARENA_KINDS))
    n = draw(st.integers(1, 3))
    user, a, b = (draw(st.lists(TEXT, min_size=n, max_size=n)) for _ in range(3))
    record: dict = {
        "question_id": f"q{number}",
        "model_a": draw(TEXT),
        "model_b": draw(TEXT),
        "winner": draw(st.sampled_from(["model_a", "model_b", "tie", "tie (bothbad)"])),
        "conversation_a": conversation(user, a),
        "conversation_b": conversation(user, b),
        "turn": n,
        "language": "English",
    }
    side = draw(st.sampled_from(["conversation_a", "conversation_b"]))
    if kind == "no_conversation":
        del record[side]
    elif kind == "conversation_text":
        record[side] = draw(TEXT.filter(lambda t: not t.lstrip().startswith("[")))
    elif kind == "conversation_int":
        record[side] = draw(st.integers())
    elif kind == "message_no_content":
        record[side][0] = {"role": "user"}
    elif kind == "unknown_role":
        record[side][0]["role"] = "narrator"
    elif kind == "message_not_object":
        record[side][0] = draw(st.one_of(TEXT, st.integers()))
    elif kind == "winner_missing":
        del record["winner"]
    elif kind == "winner_bad":
        record["winner"] = draw(st.one_of(st.integers(), TEXT.filter(lambda t: t not in ("model_a", "model_b", "tie"))))
    elif kind == "model_int":
        record["model_a"] = draw(st.integers())
    elif kind == "surrogate":
        record[side][-1]["content"] += LONE
    elif kind == "null_content":
        record[side][-1]["content"] = None
    line = json.dumps(record)
    if kind == "broken_line":
        line = line[: draw(st.integers(1, len(line) - 1))]
    elif kind == "not_object":
        line = json.dumps(draw(st.one_of(st.lists(st.integers()), st.integers(), TEXT)))
    return kind, line


@st.composite
def arena_file(draw: st.DrawFn) -> list[tuple[str, str]]:
    size = draw(st.integers(0, 10))
    # the first record is good so that the file is recognisable as JSONL of Arena records
    return [draw(arena_record(1, "good"))] + [draw(arena_record(i + 2)) for i in range(size)]


@SETTINGS
@given(arena_file())
def test_arena_reader_accounts_for_every_record(records) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arena.jsonl"
        path.write_text("\n".join(line for _, line in records) + "\n", encoding="utf-8")
        df, report = read_battles(path)
    assert report.format == "arena"
    assert report.rows_read == len(records) == report.rows_kept + report.rows_dropped
    dropped = dropped_rows(report)
    kinds = [k for k, _ in records]
    for number, kind in enumerate(kinds, start=1):
        assert (f"row {number}" in dropped) == (kind in ARENA_DROP), (kind, records[number - 1], report.dropped)
    assert set(df["id"]) == {f"q{i}" for i, k in enumerate(kinds, start=1) if k not in ARENA_DROP}
    for kind, repair in ARENA_REPAIR.items():
        assert report.repairs[repair] >= kinds.count(kind), (kind, report.repairs)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["x.csv", "x.jsonl", "x.json", "x.parquet"]))
def test_arbitrary_bytes_give_data_error_or_a_consistent_report(payload: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(payload)
        try:
            _, report = read_battles(path)
        except DataError:
            return
    assert report.rows_read == report.rows_kept + report.rows_dropped
