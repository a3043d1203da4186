"""Chosen / rejected pairs: Anthropic HH dialogue strings and TRL-style message lists.

Shapes read (per row, so a file may mix them):
- `chosen`, `rejected` as HH strings ("\\n\\nHuman: ...\\n\\nAssistant: ...") or as lists of {role, content}
  messages holding the whole dialogue (TRL "implicit prompt");
- `prompt`, `chosen`, `rejected` (TRL "explicit prompt"): the prompt as text, an HH string or messages, the two
  answers as text or messages.
The shared history (the longest common run of messages, ending on a user turn) becomes the prompt turns and the
shared earlier answers; the two final answers differ. Should a side run on past the shared history (a sampled
answer that continues with "Human: ..."), the rest is kept in its final answer's text and counted as a repair.
The chosen answer goes to A or B by a stable hash of the row's texts (`chosen_in_a`), so that position carries
no signal; label 0 when chosen is in A, else 1. No ties in this labelling (tie_allowed False).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd

from arenapref.data.formats import Format, register
from arenapref.data.readers.common import row_id
from arenapref.data.readers.messages import (
    HH_TAG,
    Message,
    clean_text,
    merge_consecutive,
    parse_hh,
    parse_message_list,
    render_hh,
    split_system,
    to_turns,
)
from arenapref.data.report import ReadReport
from arenapref.data.rows import RowError, convert_rows, in_field
from arenapref.data.turns import FieldError, Turns


def chosen_in_a(*texts: str | None) -> bool:
    """A stable, position-free coin flip from a row's texts: True puts the chosen answer in A (about half)."""
    digest = hashlib.sha1("\x1f".join(t or "" for t in texts).encode("utf-8", "replace")).digest()
    return digest[0] % 2 == 0


def place(source: str, prompt: Turns, chosen: Turns, rejected: Turns, tie_allowed: bool = False) -> dict[str, Any]:
    """Battle fields for a chosen / rejected pair, chosen placed in A or B by `chosen_in_a`."""
    a_is_chosen = chosen_in_a(*prompt, *chosen, *rejected)
    return {
        "source": source,
        "prompt": prompt,
        "response_a": chosen if a_is_chosen else rejected,
        "response_b": rejected if a_is_chosen else chosen,
        "label": 0 if a_is_chosen else 1,
        "tie_allowed": tie_allowed,
    }


def _dialogue(value: Any, report: ReadReport) -> list[Message]:
    """A whole dialogue: an HH string or a message list."""
    if isinstance(value, str) and not value.lstrip().startswith("["):
        return parse_hh(value, report)
    return parse_message_list(value, report)


def _prompt_messages(value: Any, report: ReadReport) -> list[Message]:
    """An explicit prompt: plain text (one user turn), an HH string (a trailing empty 'Assistant:' dropped) or
    messages."""
    if isinstance(value, str) and not value.lstrip().startswith("["):
        if not HH_TAG.search(value):
            return [("user", clean_text(value, report))]
        messages = parse_hh(value, report)
        if messages[-1][0] == "assistant" and not (messages[-1][1] or "").strip():
            messages = messages[:-1]
        return messages
    return parse_message_list(value, report)


def _answer_messages(value: Any, report: ReadReport) -> list[Message]:
    """An explicit answer: text (one assistant message) or messages."""
    if isinstance(value, str) and not value.lstrip().startswith("["):
        return [("assistant", clean_text(value, report))]
    return parse_message_list(value, report)


def _final_answer(rest: list[Message], report: ReadReport) -> str | None:
    if not rest:
        report.repair("missing final answer kept as None")
        return None
    if len(rest) > 1:
        report.repair("answer runs on past the shared history (later turns kept in its text)")
        return render_hh(rest)
    return rest[0][1]


def split_pair(
    chosen: list[Message], rejected: list[Message], report: ReadReport
) -> tuple[Turns, Turns, Turns, str | None]:
    """(prompt turns, chosen answers, rejected answers, system text) from two dialogues sharing a history."""
    chosen, system = split_system(merge_consecutive(chosen, report), report)
    rejected, _ = split_system(merge_consecutive(rejected, report), report)
    k = 0
    while k < min(len(chosen), len(rejected)) and chosen[k] == rejected[k]:
        k += 1
    while k > 0 and chosen[k - 1][0] != "user":
        k -= 1
    if k == 0:
        raise FieldError("chosen and rejected share no user turn")
    prompt, shared = to_turns(chosen[:k])
    earlier = shared[:-1]
    return (
        prompt,
        [*earlier, _final_answer(chosen[k:], report)],
        [*earlier, _final_answer(rejected[k:], report)],
        system,
    )


def _convert(raw: pd.DataFrame, report: ReadReport, source: str, explicit_prompt: bool) -> pd.DataFrame:
    id_key = "id" if "id" in raw.columns else None
    identical = 0

    def build(record: dict[str, Any], number: int) -> dict[str, Any]:
        nonlocal identical
        if explicit_prompt:
            head = in_field("prompt", _prompt_messages, record.get("prompt"), report)
            chosen = head + in_field("chosen", _answer_messages, record.get("chosen"), report)
            rejected = head + in_field("rejected", _answer_messages, record.get("rejected"), report)
        else:
            chosen = in_field("chosen", _dialogue, record.get("chosen"), report)
            rejected = in_field("rejected", _dialogue, record.get("rejected"), report)
        identical += chosen == rejected
        try:
            prompt, chosen_turns, rejected_turns, system = split_pair(chosen, rejected, report)
        except FieldError as exc:
            raise RowError("rejected", str(exc)) from None
        return {
            "id": row_id(record, id_key, source, number),
            **place(source, prompt, chosen_turns, rejected_turns),
            "system": system,
        }

    battles = convert_rows(raw, report, build)
    if identical:
        report.notes.append(f"{identical} rows have identical chosen and rejected dialogues (kept as labelled)")
    if "system" in battles and battles["system"].isna().all():
        battles = battles.drop(columns="system")
    return battles


def convert_dialogues(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    return _convert(raw, report, source, explicit_prompt=False)


def convert_with_prompt(raw: pd.DataFrame, report: ReadReport, source: str) -> pd.DataFrame:
    return _convert(raw, report, source, explicit_prompt=True)


FORMATS = (
    register(
        Format(
            name="pairs",
            signature=frozenset({"chosen", "rejected"}),
            convert=convert_dialogues,
            description="chosen / rejected dialogues (Anthropic HH strings or TRL message lists)",
        )
    ),
    register(
        Format(
            name="pairs-prompt",
            signature=frozenset({"prompt", "chosen", "rejected"}),
            convert=convert_with_prompt,
            description="TRL explicit-prompt pairs: prompt, chosen, rejected (text or message lists)",
        )
    ),
)
