"""Best-of-n: every pair of a prompt's candidates compared (both orders, by the scorer), then ranked.

Identical candidates are compared once: they share their score, rank and wins, and count once in the others'.
The distinct candidates are put in a canonical order (sorted by text) before pairing, so the scores do not depend
on the order the candidates came in: shuffling them shuffles the scores, exactly. Pairs of many prompts go to the
scorer together, in blocks of about `block` pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from arenapref.data.turns import Turns
from arenapref.reward.compare import Scorer
from arenapref.reward.inputs import InputError, Pair, conversation
from arenapref.reward.limits import MAX_CANDIDATES
from arenapref.reward.strengths import Ranking, ranking

BLOCK = 4096


class CandidateLimitError(InputError):
    """More candidates than the limit."""


@dataclass
class _Group:
    """One prompt's distinct candidates in canonical order, and where each input candidate went."""

    prompt: Turns
    answers: list[Turns]  # distinct, canonical order
    of_candidate: np.ndarray  # (n,) index into answers
    i: np.ndarray  # pairs (i < j) over answers
    j: np.ndarray

    @property
    def pairs(self) -> list[Pair]:
        return [Pair(self.prompt, self.answers[a], self.answers[b]) for a, b in zip(self.i, self.j, strict=True)]


def _key(turns: Turns) -> tuple[tuple[bool, str], ...]:
    return tuple((t is None, t or "") for t in turns)


def group(prompt: Any, candidates: Sequence[Any], limit: int) -> _Group:
    """The prompt's distinct candidates and their pairs; CandidateLimitError over `limit`."""
    if hasattr(candidates, "tolist"):
        candidates = candidates.tolist()
    if isinstance(candidates, (str, dict)) or not isinstance(candidates, Sequence):
        raise InputError("candidates", f"expected a list of candidates, got {type(candidates).__name__}")
    if len(candidates) > limit:
        raise CandidateLimitError("candidates", f"{len(candidates)} candidates; the limit is {limit} per prompt")
    turns: Turns = []
    sides = []
    for k, candidate in enumerate(candidates):
        turns, side = conversation(prompt, candidate, "prompt", f"candidates[{k}]")
        sides.append(side)
    if not sides:
        return _Group([], [], np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0, dtype=int))
    keys = sorted({_key(s) for s in sides})
    position = {key: p for p, key in enumerate(keys)}
    answers: list[Turns] = [[] for _ in keys]
    for side in sides:
        answers[position[_key(side)]] = side
    of_candidate = np.array([position[_key(s)] for s in sides], dtype=int)
    pairs = np.array(list(combinations(range(len(keys)), 2)), dtype=int).reshape(-1, 2)
    return _Group(turns, answers, of_candidate, pairs[:, 0], pairs[:, 1])


def rank_groups(
    scorer: Scorer,
    prompts: Sequence[Any],
    candidate_lists: Sequence[Sequence[Any]],
    limit: int = MAX_CANDIDATES,
    progress: Callable[[int], None] | None = None,
    block: int = BLOCK,
) -> list[Ranking]:
    """One Ranking per prompt; every input is checked before anything is scored. `progress(k)` is called as k
    more prompts are done."""
    if len(prompts) != len(candidate_lists):
        raise InputError("prompts", f"{len(prompts)} prompts but {len(candidate_lists)} candidate lists")
    groups = []
    for k, (prompt, candidates) in enumerate(zip(prompts, candidate_lists, strict=True)):
        try:
            groups.append(group(prompt, candidates, limit))
        except InputError as exc:
            raise exc.at_row(k) from None
    out: list[Ranking] = []
    start = 0
    while start < len(groups):
        stop, size = start, 0
        while stop < len(groups) and (stop == start or size + len(groups[stop].i) <= block):
            size += len(groups[stop].i)
            stop += 1
        chunk = groups[start:stop]
        pairs = [pair for g in chunk for pair in g.pairs]
        proba = scorer(pairs) if pairs else np.zeros((0, 3))
        offset = 0
        for g in chunk:
            part = proba[offset : offset + len(g.i)]
            offset += len(g.i)
            out.append(ranking(len(g.answers), g.i, g.j, part, g.of_candidate))
        if progress is not None:
            progress(len(chunk))
        start = stop
    return out
