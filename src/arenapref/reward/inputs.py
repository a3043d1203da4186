"""Prompts and answers as users pass them (plain text or OpenAI-style message lists) -> the battle table's turns.

- A prompt is a string (one user turn) or a list of {role, content} messages, multi-turn included: its user
  messages become the prompt turns and its assistant messages the answers both sides share; system (and
  developer) messages are left out (no model reads them).
- An answer is a string or a list of messages; a message list is read as one answer, its texts joined by a blank
  line (TRL's conversational completion is one assistant message).
- `content` is a string, null, or a list of parts of which the `text` ones are kept (OpenAI's content parts).
A prompt ending in an assistant message (a prefilled answer) has the answer appended to that message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from arenapref.data.readers.messages import ROLES as DATA_ROLES
from arenapref.data.readers.messages import Message, to_turns
from arenapref.data.text import fix_surrogates
from arenapref.data.turns import Turns

ROLES = {**DATA_ROLES, "developer": "system"}


class InputError(ValueError):
    """A prompt or answer that cannot be read; `field` names where (e.g. "prompts[3]"), `row` (0-based) the group
    of a call over several (rank_groups)."""

    def __init__(self, field: str, message: str, row: int | None = None) -> None:
        self.field, self.message, self.row = field, message, row
        super().__init__(f"{'' if row is None else f'row {row}: '}{field}: {message}")

    def at_row(self, row: int | None) -> InputError:
        return type(self)(self.field, self.message, row)


class Pair(NamedTuple):
    """One comparison in the battle table's terms: prompt turns and the two sides' answers (one per turn)."""

    prompt: Turns
    a: Turns
    b: Turns


def _plain(value: Any) -> Any:
    """numpy arrays (parquet's lists) as Python lists, recursively enough for messages."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    return value


def _content(value: Any, where: str) -> str | None:
    value = _plain(value)
    if value is None or isinstance(value, str):
        return None if value is None else fix_surrogates(value)[0]
    if isinstance(value, list):
        texts = []
        for part in value:
            part = _plain(part)
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif not isinstance(part, dict):
                raise InputError(where, f"content part of type {type(part).__name__} is not text or an object")
        return fix_surrogates("".join(texts))[0]
    raise InputError(where, f"content of type {type(value).__name__} is not text")


def messages(value: Any, field: str, default_role: str) -> list[Message]:
    """A string (one message of `default_role`) or a list of {role, content} dicts, as (role, text) pairs."""
    value = _plain(value)
    if isinstance(value, str):
        return [(default_role, fix_surrogates(value)[0])]
    if not isinstance(value, (list, tuple)):
        raise InputError(field, f"expected text or a list of messages, got {type(value).__name__}")
    out: list[Message] = []
    for i, item in enumerate(value):
        item = _plain(item)
        if not isinstance(item, dict):
            raise InputError(
                f"{field}[{i}]", f"a message is an object with role and content, not {type(item).__name__}"
            )
        role = item.get("role", item.get("from"))
        if not isinstance(role, str) or role.lower() not in ROLES:
            raise InputError(f"{field}[{i}].role", f"unknown role {role!r}; known: {', '.join(sorted(ROLES))}")
        out.append((ROLES[role.lower()], _content(item.get("content", item.get("value")), f"{field}[{i}].content")))
    return out


def answer_text(value: Any, field: str) -> str:
    """An answer as one text: a string, or the texts of a message list joined by a blank line."""
    if isinstance(value, str):
        return fix_surrogates(value)[0]
    return "\n\n".join(text for _, text in messages(value, field, "assistant") if text)


def _merged(dialogue: list[Message]) -> list[Message]:
    out: list[Message] = []
    for role, text in dialogue:
        if out and out[-1][0] == role:
            prev = out[-1][1]
            out[-1] = (role, text if prev is None else prev if text is None else f"{prev}\n\n{text}")
        else:
            out.append((role, text))
    return out


def conversation(prompt: Any, answer: Any, field: str = "prompt", answer_field: str = "answer") -> tuple[Turns, Turns]:
    """(prompt turns, answer turns) of a prompt and its answer; the answer is the last answer turn."""
    dialogue = _merged([m for m in messages(prompt, field, "user") if m[0] != "system"])
    text = answer_text(answer, answer_field)
    if dialogue and dialogue[-1][0] == "assistant":  # a prefilled answer: the answer continues it
        dialogue[-1] = ("assistant", (dialogue[-1][1] or "") + text)
    else:
        dialogue.append(("assistant", text))
    turns, answers = to_turns(dialogue)
    return turns, answers


def pairs(prompts: Sequence[Any], answers_a: Sequence[Any], answers_b: Sequence[Any]) -> list[Pair]:
    """One Pair per row; the three sequences must have the same length."""
    check_lengths(prompts=prompts, answers_a=answers_a, answers_b=answers_b)
    out = []
    for i, (prompt, a, b) in enumerate(zip(prompts, answers_a, answers_b, strict=True)):
        turns, side_a = conversation(prompt, a, f"prompts[{i}]", f"answers_a[{i}]")
        _, side_b = conversation(prompt, b, f"prompts[{i}]", f"answers_b[{i}]")
        out.append(Pair(turns, side_a, side_b))
    return out


def check_lengths(**columns: Sequence[Any]) -> None:
    for name, column in columns.items():
        if isinstance(column, (str, dict)):
            raise InputError(name, "expected a list (one entry per row), got a single " + type(column).__name__)
    lengths = {name: len(column) for name, column in columns.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise InputError(next(iter(lengths)), f"the lists differ in length ({shown})")
