"""Verdicts: parsing MT-bench's [[A]] / [[B]] / [[C]] from a judgement, and combining the two orders of a battle
into 3-way probabilities (from log-probabilities where the backend gives them, else from the votes, smoothed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

#: Verdict classes in the battle table's label order: 0 = A better, 1 = B better, 2 = tie ([[C]]).
LETTERS = ("A", "B", "C")
_VERDICT = re.compile(r"\[\[\s*([ABC])\s*\]\]")
#: Default Dirichlet smoothing of vote counts (one pseudo-vote per class).
VOTE_SMOOTHING = 1.0


def parse_verdict(text: str | None) -> int | None:
    """The last [[A]], [[B]] or [[C]] in the text as 0, 1 or 2; None when there is none (unparseable)."""
    found = _VERDICT.findall(text or "")
    return LETTERS.index(found[-1]) if found else None


def to_original(verdict: int | None, swapped: bool) -> int | None:
    """A verdict given with the answers swapped, in the battle's own order (A<->B, tie stays)."""
    if verdict is None or not swapped or verdict == 2:
        return verdict
    return 1 - verdict


def mirror(proba: np.ndarray) -> np.ndarray:
    """Probabilities of the swapped order in the battle's own order: (A, B, tie) -> (B, A, tie)."""
    return np.asarray(proba)[..., [1, 0, 2]]


@dataclass(frozen=True)
class Combined:
    """One battle's verdict over both orders. `verdict`: agreed verdict, tie when the orders disagree, None when
    neither order parsed; `source`: 'logprobs', 'votes' or 'none' (no usable order: the uniform distribution)."""

    proba: np.ndarray
    verdict: int | None
    consistent: bool | None  # None unless both orders gave a verdict
    source: str


def combine(
    votes: tuple[int | None, int | None],
    logprob_proba: tuple[np.ndarray | None, np.ndarray | None],
    smoothing: float = VOTE_SMOOTHING,
) -> Combined:
    """Both orders of one battle, each already in the battle's own order. Probabilities: the mean of the orders'
    log-probability distributions where every parsed order has one; else the votes (an inconsistent pair counts
    as two tie votes) with `smoothing` pseudo-votes per class."""
    first, second = votes
    given = [v for v in votes if v is not None]
    consistent = None if len(given) < 2 else first == second
    verdict = (first if consistent else 2) if len(given) == 2 else (given[0] if given else None)
    dists = [d for d in logprob_proba if d is not None]
    if dists:
        proba = np.mean(np.vstack(dists), axis=0)
        return Combined(proba / proba.sum(), verdict, consistent, "logprobs")
    if verdict is None:
        return Combined(np.full(3, 1 / 3), None, None, "none")
    counts = np.zeros(3)
    counts[verdict] = len(given)
    proba = (counts + smoothing) / (counts.sum() + 3 * smoothing)
    return Combined(proba, verdict, consistent, "votes")


def vote_proba(verdict: int | None, smoothing: float = VOTE_SMOOTHING) -> np.ndarray:
    """One order's vote as smoothed probabilities (uniform when unparsed)."""
    counts = np.zeros(3)
    if verdict is not None:
        counts[verdict] = 1.0
    return (counts + smoothing) / (counts.sum() + 3 * smoothing)
