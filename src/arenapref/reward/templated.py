"""Chat-templated text (what RLHF stacks such as OpenRLHF send: the tokenizer's decoded ids, special tokens
kept) back to a prompt's messages and the response. The tokenizer is unknown, so the common templates are read:

| template | turn | end of turn |
|---|---|---|
| ChatML (SmolLM2, Qwen, ...) | `<|im_start|>ROLE\\n` | `<|im_end|>` |
| Llama 3 | `<|start_header_id|>ROLE<|end_header_id|>\\n\\n` | `<|eot_id|>` |
| Gemma | `<start_of_turn>ROLE\\n` (`model` is the assistant) | `<end_of_turn>` |
| Phi-3, Zephyr | `<|user|>\\n`, `<|assistant|>\\n`, `<|system|>\\n` | `<|end|>`, `</s>` |
| Mistral, Llama 2 | `[INST] user [/INST] answer` (`<<SYS>>...<</SYS>>`, `[SYSTEM_PROMPT]` as system) | `</s>` |

The rule, for a query and its prompt:
1. The response is what follows the prompt in the query: after its first occurrence (left padding before it is
   skipped); failing that, the same match with special tokens removed from both; failing that, what follows the
   query's last assistant header (of any template above); failing all, the whole query.
2. The response is cut at its first end-of-turn or end-of-text token (`<|im_end|>`, `<|eot_id|>`,
   `<end_of_turn>`, `<|end|>`, `</s>`, `<|endoftext|>`, `<|end_of_text|>`, `<eos>`, `<|eom_id|>`): right
   padding and anything generated past the end go. A leading assistant header is dropped, then every other
   special token (`<s>`, `<bos>`, `<pad>`, `<|begin_of_text|>`, ...) is removed, and the text is stripped.
3. The prompt is split into messages by the first template whose turn marker it holds (an empty final assistant
   turn, the generation prompt, is dropped); a prompt in no known template is one user message, special
   tokens removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from arenapref.data.readers.messages import Message
from arenapref.reward.inputs import ROLES

END_TOKENS = (
    "<|im_end|>",
    "<|eot_id|>",
    "<end_of_turn>",
    "<|end|>",
    "</s>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<eos>",
    "<|eom_id|>",
)
OTHER_SPECIAL = (
    "<|im_start|>",
    "<|begin_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<start_of_turn>",
    "<s>",
    "<bos>",
    "<pad>",
    "<|pad|>",
    "<unk>",
    "[INST]",
    "[/INST]",
    "<<SYS>>",
    "<</SYS>>",
    "[SYSTEM_PROMPT]",
    "[/SYSTEM_PROMPT]",
)
_SPECIAL = re.compile("|".join(re.escape(t) for t in sorted(END_TOKENS + OTHER_SPECIAL, key=len, reverse=True)))
_END = re.compile("|".join(re.escape(t) for t in END_TOKENS))


@dataclass(frozen=True)
class Template:
    name: str
    marker: str  # present in any text of this template
    turn: re.Pattern[str]  # groups: role, content
    assistant_header: re.Pattern[str]


_ROLE = r"([A-Za-z_]+)"
TEMPLATES = (
    Template(
        "chatml",
        "<|im_start|>",
        re.compile(rf"<\|im_start\|>{_ROLE}[ \t]*\n?(.*?)(?=<\|im_end\|>|<\|im_start\|>|\Z)", re.S),
        re.compile(r"<\|im_start\|>assistant[ \t]*\n?"),
    ),
    Template(
        "llama3",
        "<|start_header_id|>",
        re.compile(
            rf"<\|start_header_id\|>{_ROLE}<\|end_header_id\|>(.*?)(?=<\|eot_id\|>|<\|start_header_id\|>|\Z)", re.S
        ),
        re.compile(r"<\|start_header_id\|>assistant<\|end_header_id\|>\s*"),
    ),
    Template(
        "gemma",
        "<start_of_turn>",
        re.compile(rf"<start_of_turn>{_ROLE}[ \t]*\n?(.*?)(?=<end_of_turn>|<start_of_turn>|\Z)", re.S),
        re.compile(r"<start_of_turn>model[ \t]*\n?"),
    ),
    Template(
        "phi3",
        "<|user|>",
        re.compile(r"<\|(system|user|assistant)\|>\n?(.*?)(?=<\|end\|>|</s>|<\|(?:system|user|assistant)\|>|\Z)", re.S),
        re.compile(r"<\|assistant\|>\n?"),
    ),
)
_MISTRAL_SYSTEM = re.compile(r"<<SYS>>(.*?)<</SYS>>|\[SYSTEM_PROMPT\](.*?)\[/SYSTEM_PROMPT\]", re.S)
_MISTRAL_HEADER = re.compile(r"\[/INST\]")


def strip_special(text: str) -> str:
    """The text without any of the special tokens listed above."""
    return _SPECIAL.sub("", text)


def _mistral(text: str) -> list[Message]:
    out: list[Message] = [("system", (a or b).strip()) for a, b in _MISTRAL_SYSTEM.findall(text)]
    text = _MISTRAL_SYSTEM.sub("", text)
    for chunk in text.split("[INST]")[1:]:
        user, _, answer = chunk.partition("[/INST]")
        out.append(("user", strip_special(user).strip()))
        out.append(("assistant", strip_special(_END.split(answer)[0]).strip()))
    return out


def prompt_messages(prompt: str) -> list[Message]:
    """The messages of a chat-templated prompt (rule 3)."""
    found: list[Message] | None = None
    for template in TEMPLATES:
        if template.marker in prompt:
            found = [
                (ROLES.get(role.lower(), "user"), strip_special(content).strip())
                for role, content in template.turn.findall(prompt)
            ]
            break
    if found is None and "[INST]" in prompt:
        found = _mistral(prompt)
    if not found:
        return [("user", strip_special(prompt).strip())]
    if found[-1][0] == "assistant" and not found[-1][1]:
        found.pop()  # the generation prompt
    return found or [("user", "")]


def _after_last_header(query: str) -> str | None:
    best: tuple[int, int] | None = None
    for header in [t.assistant_header for t in TEMPLATES] + [_MISTRAL_HEADER]:
        for match in header.finditer(query):
            if best is None or match.start() > best[0]:
                best = (match.start(), match.end())
    return None if best is None else query[best[1] :]


def clean_response(text: str) -> str:
    """Rule 2: cut at the first end token, drop a leading assistant header and the other special tokens."""
    for template in TEMPLATES:
        match = template.assistant_header.match(text.lstrip())
        if match:
            text = text.lstrip()[match.end() :]
            break
    return strip_special(_END.split(text, maxsplit=1)[0]).strip()


def response_of(query: str, prompt: str | None) -> str:
    """The response a query holds after its prompt (rules 1 and 2)."""
    if prompt and prompt.strip():
        at = query.find(prompt)
        if at >= 0:
            return clean_response(query[at + len(prompt) :])
        bare_query, bare_prompt = strip_special(query), strip_special(prompt).strip()
        at = bare_query.find(bare_prompt) if bare_prompt else -1
        if at >= 0:
            return clean_response(bare_query[at + len(bare_prompt) :])
    tail = _after_last_header(query)
    return clean_response(query if tail is None else tail)


def split_query(query: str, prompt: str | None) -> tuple[list[Message], str]:
    """(the prompt's messages, the response) of one query; without a prompt, the prompt is the query up to its
    last assistant header."""
    response = response_of(query, prompt)
    if prompt is None or not prompt.strip():
        tail = _after_last_header(query)
        prompt = query if tail is None else query[: len(query) - len(tail)]
    return prompt_messages(prompt), response
