"""Files for best-of-n ranking: what `arenapref rank` reads and writes.

Input, found from the columns:
- rows of {id, prompt, candidates} (JSONL, JSON or parquet): `prompt` a text or a message list, `candidates` a list
  of texts or message lists; `id` optional (the row number then);
- any battle file arenapref reads, grouped by prompt: a prompt's candidates are the distinct answers of its
  battles (in order of first appearance, with their model names where known), its id `prompt-N` in order of
  first appearance.
Output: one record per prompt, {id, best, scores, ranks, copeland} (and, for grouped battles, `prompt`,
`candidates` and `models`), as JSONL, or parquet for a `.parquet` name; written to a temporary file beside the
target and renamed over it, so the file is whole or absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from arenapref.data.atomic import replacing
from arenapref.data.errors import DataError
from arenapref.data.io import read_battles
from arenapref.data.records import load_records, read_bytes, sniff_container
from arenapref.data.report import ReadReport
from arenapref.data.turns import Turns

CANDIDATES = "candidates"


@dataclass
class RankInput:
    """Prompts and candidate lists to rank, with each row's id and its row number in the file (for errors)."""

    ids: list[str]
    prompts: list[Any]
    candidates: list[list[Any]]
    rows: list[int | None]
    extra: dict[str, list[Any]] = field(default_factory=dict)  # columns copied to the output
    note: str = ""

    def __len__(self) -> int:
        return len(self.ids)


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def read_rank_input(path: Path) -> RankInput:
    """The prompts and candidates of a rank file; DataError (file, row, field) for input that cannot be used."""
    report = ReadReport(str(path), "rank")
    raw = _single_row(path)
    if raw is None:
        raw = load_records(path, report)
    if report.dropped:
        reason, where = next(iter(report.dropped.items()))
        raise DataError(str(path), f"{where[0]}: {reason}")
    if CANDIDATES not in raw.columns:
        return _grouped_battles(path)
    if "prompt" not in raw.columns:
        raise DataError(str(path), "rows with `candidates` need a `prompt` column", field="prompt")
    numbers = raw["__row"].tolist() if "__row" in raw.columns else list(range(1, len(raw) + 1))
    ids: list[str] = []
    prompts: list[Any] = []
    candidates: list[list[Any]] = []
    rows: list[int | None] = []
    for k, record in enumerate(raw.to_dict(orient="records")):
        row = int(numbers[k])
        prompt, listed = _plain(record.get("prompt")), _plain(record.get(CANDIDATES))
        if _missing(prompt):
            raise DataError(str(path), "missing value", row=row, field="prompt")
        if not isinstance(listed, list):
            raise DataError(str(path), f"expected a list, got {type(listed).__name__}", row=row, field=CANDIDATES)
        given = record.get("id")
        ids.append(str(row) if _missing(given) else str(given))
        prompts.append(prompt)
        candidates.append(listed)
        rows.append(row)
    return RankInput(ids, prompts, candidates, rows)


def _single_row(path: Path) -> pd.DataFrame | None:
    """A file holding one JSON object with `candidates` as one row (load_records would read a single list of
    message objects in it as the file's records)."""
    payload, _ = read_bytes(path)
    if sniff_container(payload) != "json":
        return None
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None  # load_records names the problem
    return pd.DataFrame([{**doc, "__row": 1}]) if isinstance(doc, dict) and CANDIDATES in doc else None


def _shown(texts: list[Turns]) -> list[Any]:
    """Turn lists as texts when every one has a single turn (one column type either way, as parquet needs)."""
    return [t[0] for t in texts] if all(len(t) == 1 for t in texts) else [list(t) for t in texts]


def _grouped_battles(path: Path) -> RankInput:
    battles, report = read_battles(path)
    groups: dict[tuple[Any, ...], int] = {}
    prompts: list[Turns] = []
    answers: list[dict[tuple[Any, ...], tuple[Turns, str | None]]] = []
    columns = ("prompt", "response_a", "model_a", "response_b", "model_b")
    for prompt, turns_a, model_a, turns_b, model_b in zip(*(battles[c] for c in columns), strict=True):
        key = tuple(prompt)
        if key not in groups:
            groups[key] = len(prompts)
            prompts.append(list(prompt))
            answers.append({})
        found = answers[groups[key]]
        for turns, model in ((turns_a, model_a), (turns_b, model_b)):
            found.setdefault(tuple(turns), (list(turns), model))
    candidates = [[turns for turns, _ in group.values()] for group in answers]
    flat = [turns for group in candidates for turns in group]
    single = all(len(t) == 1 for t in flat)
    extra = {
        "prompt": _shown(prompts),
        CANDIDATES: [_shown(group) if single else [list(t) for t in group] for group in candidates],
        "models": [[model for _, model in group.values()] for group in answers],
    }
    note = f"{len(battles):,} battles ({report.format}) grouped into {len(prompts):,} prompts"
    ids = [f"prompt-{k + 1}" for k in range(len(prompts))]
    # Battle turns go to reward/ as messages, so that multi-turn prompts keep their shared earlier answers.
    dialogues = [battle_dialogue(p, c) for p, c in zip(prompts, candidates, strict=True)]
    return RankInput(ids, [d[0] for d in dialogues], [d[1] for d in dialogues], [None] * len(ids), extra, note)


def battle_dialogue(prompt: Turns, candidates: list[Turns]) -> tuple[list[dict[str, Any]], list[str]]:
    """A battle prompt (user turns) and its candidates' turns as a message list and final answers. The earlier
    answers are taken from the first candidate: battles whose sides differ before the last turn (Arena's
    multi-turn conversations) are ranked on their last answers."""
    earlier = candidates[0][:-1] if candidates else []
    messages: list[dict[str, Any]] = []
    for i, turn in enumerate(prompt):
        messages.append({"role": "user", "content": turn or ""})
        if i < len(prompt) - 1:
            messages.append({"role": "assistant", "content": (earlier[i] if i < len(earlier) else None) or ""})
    return messages, [(c[-1] or "") if c else "" for c in candidates]


def write_rankings(records: list[dict[str, Any]], out: Path) -> None:
    """Write the records whole or not at all (a temporary file renamed over `out`)."""
    if out.is_dir():
        raise DataError(str(out), "is a folder; give a file name, e.g. ranked.jsonl")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with replacing(out) as temp, temp.open("wb") as stream:
            if out.suffix == ".parquet":
                pq.write_table(pa.Table.from_pylist(records), stream)
            else:
                stream.writelines(orjson.dumps(r, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n" for r in records)
    except OSError as exc:
        raise DataError(str(out), f"cannot write: {exc.strerror or exc}") from None
