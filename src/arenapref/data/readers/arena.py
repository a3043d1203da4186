"""Chatbot Arena conversation records (JSON, JSONL or parquet).

Fields: conversation_a / conversation_b (lists of {role, content}), model_a, model_b, winner in model_a / model_b /
tie / "tie (bothbad)", optional question_id, language, turn. User turns come from conversation_a (a side whose
user turns differ is reported as a repair); assistant turns per side. Both tie kinds map to label 2; the original
string stays in the extra column `winner_raw` so "both bad" is not lost. A file without a winner column reads as
unlabelled battles.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import lookup, optional_str, row_id
from arenapref.data.readers.messages import merge_consecutive, parse_message_list, split_system, to_turns
from arenapref.data.report import ReadReport
from arenapref.data.rows import convert_rows, in_field
from arenapref.data.turns import pad_to

WINNERS = {"model_a": 0, "model_b": 1, "tie": 2, "tie (bothbad)": 2}


def convert(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    labelled = "winner" in raw.columns
    id_key = next((k for k in ("question_id", "id") if k in raw.columns), None)

    def side(record: dict[str, Any], field: str) -> tuple[list[str | None], list[str | None], str | None]:
        messages = in_field(field, parse_message_list, record.get(field), report)
        messages, system = split_system(merge_consecutive(messages, report), report)
        prompt, answers = to_turns(messages)
        return prompt, answers, system

    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        prompt, response_a, system = side(record, "conversation_a")
        prompt_b, response_b, _ = side(record, "conversation_b")
        if prompt_b[: len(prompt)] != prompt[: len(prompt_b)]:
            report.repair("user turns differ between sides (conversation_a's kept)")
        if len(response_b) != len(response_a):
            report.repair("unequal turn counts padded with None")
        prompt = prompt + prompt_b[len(prompt) :]
        n = len(prompt)
        label = lookup(record, "winner", WINNERS) if labelled else None
        return {
            "id": row_id(record, id_key, source, number),
            "source": source,
            "prompt": pad_to(prompt, n),
            "response_a": pad_to(response_a, n),
            "response_b": pad_to(response_b, n),
            "model_a": optional_str(record, "model_a"),
            "model_b": optional_str(record, "model_b"),
            "label": label,
            "winner_raw": record.get("winner") if labelled else None,
            "language": optional_str(record, "language"),
            "turn": record.get("turn"),
            "system": system,
        }

    battles = convert_rows(raw, report, build)
    return _drop_empty_extras(battles)


def _drop_empty_extras(battles: pd.DataFrame) -> pd.DataFrame:
    """Extra columns that are None on every row (e.g. no system prompts) are left out."""
    empty = [c for c in ("winner_raw", "language", "turn", "system") if c in battles and battles[c].isna().all()]
    return battles.drop(columns=empty)


FORMAT = register(
    Format(
        name="arena",
        signature=frozenset({"conversation_a", "conversation_b"}),
        convert=convert,
        description="Chatbot Arena conversations (conversation_a/b message lists, winner)",
    )
)
