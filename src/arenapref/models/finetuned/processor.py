"""Battle -> token ids: one template holding prompt, answer A and answer B of every turn, and a truncation policy.

Each text piece is tokenised alone (no special tokens) and the pieces are assembled, so truncation works on
tokens, not characters. The sequence is `prefix + turns + suffix`: [CLS] ... [SEP] for BERT-like tokenizers,
BOS ... EOS for causal LMs (the EOS is the last token, the one a causal LM's head reads).

Policies (InputConfig.truncation), for a battle longer than the window:
- "turns": whole turns are kept from the end (older turns dropped first); when even the newest turn does not fit,
  its prompt is cut to `prompt_cap` tokens (at most half the room left by the headers), then the longer answer is
  trimmed first until both fit (equal shares when both are long). Answers and prompts keep their beginning.
  The rule depends only on the lengths, so a battle and its swap get the same number of tokens.
- "left": the rendered battle keeps its last tokens (left truncation);
- "right": the rendered battle keeps its first tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from arenapref.models.finetuned.config import InputConfig

Ids = list[int]


@dataclass(frozen=True)
class Turn:
    """One turn's token ids: the prompt and both answers (headers not included)."""

    prompt: Ids
    a: Ids
    b: Ids


class BattleProcessor:
    """Turns battles into token id lists for one tokenizer and one InputConfig."""

    def __init__(self, tokenizer: Any, config: InputConfig, causal: bool = False) -> None:
        self.tokenizer = tokenizer
        self.config = config
        self.prefix, self.suffix = special_tokens(tokenizer, causal)
        self._headers = [self._tokens(h) for h in (config.prompt_header, config.a_header, config.b_header)]
        self._separator = self._tokens(config.turn_separator)
        if self.budget < sum(map(len, self._headers)) + 3:
            raise ValueError(f"max_length {config.max_length} leaves no room for one turn's headers and texts")

    @property
    def budget(self) -> int:
        """Tokens available for the turns (window minus special tokens)."""
        return self.config.max_length - len(self.prefix) - len(self.suffix)

    def _tokens(self, text: str | None) -> Ids:
        text = self.config.null_marker if text is None else text
        return list(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]) if text else []

    def turns(self, prompt: Sequence[str | None], a: Sequence[str | None], b: Sequence[str | None]) -> list[Turn]:
        n = max(len(prompt), len(a), len(b))
        pad = [None] * n
        return [
            Turn(self._tokens(p), self._tokens(x), self._tokens(y))
            for p, x, y in zip([*prompt, *pad][:n], [*a, *pad][:n], [*b, *pad][:n], strict=True)
        ]

    def encode(self, prompt: Sequence[str | None], a: Sequence[str | None], b: Sequence[str | None]) -> Ids:
        """Token ids of one battle, at most max_length long."""
        turns = self.turns(prompt, a, b)
        if self.config.truncation == "turns":
            body = self._keep_turns(turns)
        else:
            body = self._render(turns)
            if len(body) > self.budget:
                body = body[-self.budget :] if self.config.truncation == "left" else body[: self.budget]
        return [*self.prefix, *body, *self.suffix]

    def encode_battles(self, battles: pd.DataFrame, swapped: bool = False) -> list[Ids]:
        """encode() of every battle (A and B exchanged when `swapped`)."""
        first, second = ("response_b", "response_a") if swapped else ("response_a", "response_b")
        return [
            self.encode(list(p), list(x), list(y))
            for p, x, y in zip(battles["prompt"], battles[first], battles[second], strict=True)
        ]

    def _render(self, turns: list[Turn]) -> Ids:
        out: Ids = []
        for i, turn in enumerate(turns):
            out += self._turn_ids(turn, first=i == 0)
        return out

    def _turn_ids(self, turn: Turn, first: bool) -> Ids:
        head_p, head_a, head_b = self._headers
        sep = [] if first else self._separator
        return [*sep, *head_p, *turn.prompt, *head_a, *turn.a, *head_b, *turn.b]

    def _keep_turns(self, turns: list[Turn]) -> Ids:
        kept: list[Turn] = []
        used = 0
        for turn in reversed(turns):
            cost = len(self._turn_ids(turn, first=False))
            if used + cost <= self.budget:
                kept.insert(0, turn)
                used += cost
            else:
                if not kept:
                    kept = [self._fit_turn(turn, self.budget)]
                break
        return self._render(kept)

    def _fit_turn(self, turn: Turn, budget: int) -> Turn:
        """Cut one turn into `budget` tokens: prompt down to prompt_cap first, then the longer answer first."""
        fixed = sum(map(len, self._headers))
        room = budget - fixed
        answers = len(turn.a) + len(turn.b)
        cap = min(self.config.prompt_cap, room // 2)  # a cap larger than half the room would starve the answers
        keep_prompt = max(min(len(turn.prompt), cap), room - answers)
        keep_prompt = min(keep_prompt, len(turn.prompt), max(room - 2, 0))
        left = room - keep_prompt
        a, b = trim_longer_first(len(turn.a), len(turn.b), left)
        return Turn(turn.prompt[:keep_prompt], turn.a[:a], turn.b[:b])


def trim_longer_first(len_a: int, len_b: int, room: int) -> tuple[int, int]:
    """Token counts to keep of two answers sharing `room`: the longer one is trimmed first, then both equally."""
    if len_a + len_b <= room:
        return len_a, len_b
    half = room // 2
    short = min(len_a, len_b)
    if short <= half:
        return (len_a, room - len_a) if len_a == short else (room - len_b, len_b)
    return half, half


def special_tokens(tokenizer: Any, causal: bool) -> tuple[Ids, Ids]:
    """(prefix, suffix) ids: [CLS]/[SEP] for encoders; BOS (when distinct)/EOS for causal LMs."""
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    if not causal and cls is not None and sep is not None:
        return [cls], [sep]
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    prefix = [bos] if bos is not None and bos != eos else []
    suffix = [eos] if eos is not None else []
    return prefix, suffix
