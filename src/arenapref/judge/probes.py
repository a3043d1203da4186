"""A judge's agreement with humans under Auto-J's protocol, and its biases: position (MT-bench's consistency:
the same verdict in both orders), verbosity (one answer padded with a repetition of itself, which adds nothing)
and self-enhancement (a side signed with the judge's name; battles where the judge's own model wrote a side)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from arenapref.judge.run import Judge


@dataclass(frozen=True)
class Agreement:
    """Auto-J's pairwise protocol: `agreement`, both orders' verdicts equal the human label; `consistency`, both
    orders give the same verdict (a missing verdict never matches); and each order's own agreement."""

    n: int
    agreement: float
    consistency: float
    agreement_first: float
    agreement_second: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def agreement_both_orders(labels: np.ndarray, verdict_ab: np.ndarray, verdict_ba: np.ndarray) -> Agreement:
    """Verdicts in the battles' own order (-1: none); labels 0 A, 1 B, 2 tie."""
    y, a, b = (np.asarray(x, dtype=np.int64) for x in (labels, verdict_ab, verdict_ba))
    if len(y) == 0:
        return Agreement(0, float("nan"), float("nan"), float("nan"), float("nan"))
    same = (a == b) & (a >= 0)
    return Agreement(
        len(y), float((same & (a == y)).mean()), float(same.mean()), float((a == y).mean()), float((b == y).mean())
    )


def single_turn(battles: pd.DataFrame) -> pd.DataFrame:
    """Battles with one turn and two non-empty responses (the probes' material)."""
    keep = [
        len(p) == 1 and bool(a and a[0]) and bool(b and b[0])
        for p, a, b in zip(battles["prompt"], battles["response_a"], battles["response_b"], strict=True)
    ]
    return battles[np.asarray(keep, dtype=bool)].reset_index(drop=True)


def _with_answers(battles: pd.DataFrame, a: list[str], b: list[str], tag: str) -> pd.DataFrame:
    out = battles.copy()
    out["id"] = out["id"].astype(str) + f":{tag}"
    out["response_a"] = [[x] for x in a]
    out["response_b"] = [[x] for x in b]
    return out


@dataclass(frozen=True)
class VerbosityProbe:
    """Answer vs the same answer followed by a repetition of itself, judged in both orders. Shares of the orders'
    verdicts: the padded answer preferred (the bias), the original preferred, tie."""

    n: int
    padded_wins: float
    original_wins: float
    tie: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pad(answer: str) -> str:
    """The answer repeated: longer, with nothing added."""
    return f"{answer}\n\n{answer}"


def verbosity_probe(judge: Judge, battles: pd.DataFrame, n: int = 20, seed: int = 0) -> VerbosityProbe:
    """Pad response A of up to `n` single-turn battles; A is the padded side (both orders are judged)."""
    base = _sample(single_turn(battles), n, seed)
    if base.empty:
        return VerbosityProbe(0, float("nan"), float("nan"), float("nan"))
    originals = [r[0] for r in base["response_a"]]
    probe = _with_answers(base, [pad(x) for x in originals], originals, "verbose")
    result = judge.judge(probe)
    votes = np.concatenate([result.verdict_ab, result.verdict_ba])
    votes = votes[votes >= 0]
    if len(votes) == 0:
        return VerbosityProbe(len(base), float("nan"), float("nan"), float("nan"))
    return VerbosityProbe(len(base), float((votes == 0).mean()), float((votes == 1).mean()), float((votes == 2).mean()))


@dataclass(frozen=True)
class SelfEnhancementProbe:
    """`signed_shift`: mean change of the signed side's win probability when one answer ends with the judge's
    name (each side signed in turn) against the unsigned battle; `own_model_*`: on battles where `judge_name` wrote
    one side, the judge's and the humans' win rate of that side (tie = half); n_own 0 when there is none."""

    judge_name: str
    n_signed: int
    signed_shift: float
    n_own: int
    own_model_judge_win_rate: float
    own_model_human_win_rate: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sign(answer: str, name: str) -> str:
    return f"{answer}\n\n(Answer written by {name}.)"


def self_enhancement_probe(
    judge: Judge, battles: pd.DataFrame, judge_name: str, n: int = 20, seed: int = 0
) -> SelfEnhancementProbe:
    """Sign each side of up to `n` single-turn battles with `judge_name` in turn; and, on every battle of
    `battles` whose model_a or model_b is `judge_name`, compare the judge's verdicts with the humans'."""
    base = _sample(single_turn(battles), n, seed)
    shift = float("nan")
    if not base.empty:
        a = [r[0] for r in base["response_a"]]
        b = [r[0] for r in base["response_b"]]
        plain = judge.judge(base).proba
        signed_a = judge.judge(_with_answers(base, [sign(x, judge_name) for x in a], b, "signed-a")).proba
        signed_b = judge.judge(_with_answers(base, a, [sign(x, judge_name) for x in b], "signed-b")).proba
        shift = float(np.mean(np.concatenate([signed_a[:, 0] - plain[:, 0], signed_b[:, 1] - plain[:, 1]])))
    own_a = (battles["model_a"] == judge_name).to_numpy()
    own_b = (battles["model_b"] == judge_name).to_numpy()
    own = battles[(own_a ^ own_b) & battles["label"].notna().to_numpy()].reset_index(drop=True)
    judge_rate = human_rate = float("nan")
    if not own.empty:
        side = np.where((own["model_a"] == judge_name).to_numpy(), 0, 1)
        proba = judge.judge(own).proba
        labels = own["label"].to_numpy(dtype=np.int64)
        judge_rate = float(np.mean(proba[np.arange(len(own)), side] + proba[:, 2] / 2))
        human_rate = float(np.mean((labels == side) + (labels == 2) / 2))
    return SelfEnhancementProbe(judge_name, len(base), shift, len(own), judge_rate, human_rate)


def _sample(battles: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    if len(battles) <= n:
        return battles
    pick = np.sort(np.random.default_rng(seed).choice(len(battles), size=n, replace=False))
    return battles.iloc[pick].reset_index(drop=True)
