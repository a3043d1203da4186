"""Dialogues as messages, shared by the conversation readers (Arena, HH strings, TRL message lists).

A dialogue is a list of (role, text) with role "user", "assistant" or "system". Helpers parse the two input
shapes (HH "\\n\\nHuman: ...\\n\\nAssistant: ..." strings and lists of {role, content} dicts), merge consecutive
messages of one role and split a dialogue into the battle table's turns (user turn i, assistant answer i).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson

from arenapref.data.report import ReadReport
from arenapref.data.text import fix_surrogates
from arenapref.data.turns import FieldError, Turns

Message = tuple[str, "str | None"]

ROLES = {
    "user": "user",
    "human": "user",
    "prompter": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "chatbot": "assistant",
    "system": "system",
}
HH_TAG = re.compile(r"(?:^|\n\n)(Human|Assistant):[ \t]?")
_HH_ROLE = {"Human": "user", "Assistant": "assistant"}


def is_missing(value: Any) -> bool:
    """None or a float NaN (a key absent from some JSON records reads as NaN)."""
    return value is None or (isinstance(value, float) and value != value)


def clean_text(value: Any, report: ReadReport) -> str | None:
    """A message's text: lone surrogates replaced (counted), None kept (counted), numbers stringified."""
    if is_missing(value):
        report.repair("null turn kept as None")
        return None
    if isinstance(value, str):
        fixed, n = fix_surrogates(value)
        report.repair("lone surrogate replaced", n)
        return fixed
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        report.repair("non-string turn converted to text")
        return str(value)
    raise FieldError(f"message text of type {type(value).__name__} is not text")


def parse_hh(text: Any, report: ReadReport) -> list[Message]:
    """An Anthropic HH dialogue string as messages; text before the first tag counts as a user message."""
    if not isinstance(text, str):
        raise FieldError("missing value" if is_missing(text) else f"expected text, got {type(text).__name__}")
    parts = HH_TAG.split(text)
    if len(parts) < 3:
        raise FieldError("not an HH dialogue: no '\\n\\nHuman:' / '\\n\\nAssistant:' turns")
    messages: list[Message] = []
    if parts[0].strip():
        report.repair("untagged text before the first turn taken as a user turn")
        messages.append(("user", clean_text(parts[0], report)))
    for tag, body in zip(parts[1::2], parts[2::2], strict=True):
        messages.append((_HH_ROLE[tag], clean_text(body, report)))
    return messages


def parse_message_list(value: Any, report: ReadReport) -> list[Message]:
    """A list of {role, content} dicts (also ShareGPT {from, value}); a JSON string of one is accepted."""
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise FieldError("expected a list of messages, got text that is not JSON") from None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if is_missing(value):
        raise FieldError("missing value")
    if not isinstance(value, (list, tuple)):
        raise FieldError(f"expected a list of messages, got {type(value).__name__}")
    if not value:
        raise FieldError("empty conversation")
    messages: list[Message] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise FieldError(f"message {i} is {type(item).__name__}, not an object with role and content")
        role = item.get("role", item.get("from"))
        if not isinstance(role, str) or role.lower() not in ROLES:
            raise FieldError(f"message {i} has unknown role {role!r}")
        if "content" not in item and "value" not in item:
            raise FieldError(f"message {i} has no content")
        messages.append((ROLES[role.lower()], clean_text(item.get("content", item.get("value")), report)))
    return messages


def merge_consecutive(messages: list[Message], report: ReadReport) -> list[Message]:
    """Consecutive messages of one role joined with a blank line (counted as a repair)."""
    out: list[Message] = []
    for role, text in messages:
        if out and out[-1][0] == role:
            report.repair("consecutive same-role messages merged")
            prev = out[-1][1]
            out[-1] = (role, text if prev is None else prev if text is None else f"{prev}\n\n{text}")
        else:
            out.append((role, text))
    return out


def split_system(messages: list[Message], report: ReadReport) -> tuple[list[Message], str | None]:
    """System messages taken out of the dialogue (returned joined, for an extra column)."""
    system = [t or "" for r, t in messages if r == "system"]
    if system:
        report.repair("system message moved to column 'system'", len(system))
    return [m for m in messages if m[0] != "system"], "\n\n".join(system) if system else None


def to_turns(messages: list[Message]) -> tuple[Turns, Turns]:
    """(user turns, assistant answers), one entry per turn; merged messages expected.

    A dialogue opening with the assistant gets a None user turn; a final user message without an answer gets
    a None answer.
    """
    prompt: Turns = []
    answers: Turns = []
    answered = True
    for role, text in messages:
        if role == "user":
            prompt.append(text)
            answers.append(None)
            answered = False
        else:
            if answered:  # an answer with no user turn before it
                prompt.append(None)
                answers.append(None)
            answers[-1] = text
            answered = True
    return prompt, answers


def render_hh(messages: list[Message]) -> str:
    """Messages back as HH text (the first without its tag); used for answers that run on into more turns."""
    tags = {"user": "Human", "assistant": "Assistant", "system": "System"}
    head = messages[0][1] or ""
    return head + "".join(f"\n\n{tags[r]}: {t or ''}" for r, t in messages[1:])
