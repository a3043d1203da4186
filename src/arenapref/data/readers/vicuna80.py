"""Vicuna-80 crowd ratings (QLoRA paper): one battle per item with three votes.

Fields: question_id, category, question, model_1, model_2, answer_1, answer_2, scores (votes: 1 = model_1
better, 2 = model_2 better, 3 = tie), majority (model_1 / model_2 / tie / no_majority). Soft labels are the vote
shares over (model_1, model_2, tie); the hard label is the majority. "no_majority" is not a tie: such rows keep
label <NA> with their soft labels, and the report notes how many. A missing `majority` is taken from the votes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import lookup, optional_str, row_id, text_sides
from arenapref.data.readers.messages import is_missing
from arenapref.data.report import ReadReport
from arenapref.data.rows import RowError, convert_rows

MAJORITY = {"model_1": 0, "model_2": 1, "tie": 2, "no_majority": None}
VOTE_CLASS = {1: 0, 2: 1, 3: 2}


def vote_shares(value: Any) -> list[float]:
    """(share model_1, share model_2, share tie) of a list of votes 1 / 2 / 3."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list) or not value:
        raise RowError("scores", f"expected a non-empty list of votes, got {value!r}")
    if any(isinstance(v, bool) or v not in VOTE_CLASS for v in value):
        raise RowError("scores", f"votes must be 1, 2 or 3, got {value!r}")
    counts = np.bincount([VOTE_CLASS[v] for v in value], minlength=3)
    return (counts / counts.sum()).tolist()


def majority_of(shares: list[float]) -> int | None:
    """The class holding more than half the votes, else None."""
    top = int(np.argmax(shares))
    return top if shares[top] > 0.5 else None


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    no_majority = 0

    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        shares = vote_shares(record.get("scores"))
        has_majority = not is_missing(record.get("majority"))
        label = lookup(record, "majority", MAJORITY) if has_majority else majority_of(shares)
        nonlocal no_majority
        no_majority += label is None
        return {
            "id": row_id(record, None, source, number),
            "source": source,
            **text_sides(record, report, "question", "answer_1", "answer_2"),
            "model_a": optional_str(record, "model_1"),
            "model_b": optional_str(record, "model_2"),
            "label": label,
            "soft_a": shares[0],
            "soft_b": shares[1],
            "soft_tie": shares[2],
            "question_id": record.get("question_id"),
            "category": optional_str(record, "category"),
        }

    battles = convert_rows(raw, report, build)
    if no_majority:
        report.notes.append(f"{no_majority} rows have no majority vote: label <NA>, soft labels kept")
    return battles


FORMAT = register(
    Format(
        name="vicuna80",
        signature=frozenset({"question", "answer_1", "answer_2", "scores"}),
        convert=convert,
        description="Vicuna-80 crowd votes (3 per item): soft labels = vote shares, label = majority",
    )
)
