"""Everything `arenapref evaluate` reports on one set of predictions: metrics per 3-way / 2-way part, calibration,
verbosity, breakdowns by source and turns, and position consistency when predictions on swapped battles exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.swap import swap_proba
from arenapref.evaluation.calibration import reliability_bins
from arenapref.evaluation.metrics import Scores, check_proba, fold_ties, normalise_rows, score
from arenapref.evaluation.probes import (
    PositionConsistency,
    breakdown,
    position_consistency,
    turn_bucket,
    verbosity_table,
)

THREE_WAY, TWO_WAY = "3-way", "2-way"
CLASS_NAMES = {THREE_WAY: ("A wins", "B wins", "tie"), TWO_WAY: ("A wins", "B wins")}


@dataclass
class Part:
    """The rows of one kind (3-way or 2-way): scores, reliability bins and, if available, position consistency."""

    scores: Scores
    reliability: pd.DataFrame
    position: PositionConsistency | None
    labels: np.ndarray
    proba: np.ndarray  # as scored: (n, 3), or (n, 2) with the tie folded out
    proba_swapped_back: np.ndarray | None  # swap(x) predictions mapped back to x's order, same width as proba


@dataclass
class Evaluation:
    n_rows: int
    n_unlabelled: int
    parts: dict[str, Part]
    verbosity: pd.DataFrame
    by_source: pd.DataFrame
    by_turns: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.n_rows,
            "unlabelled_not_scored": self.n_unlabelled,
            "parts": {
                name: {
                    "scores": part.scores.to_dict(),
                    "position": part.position.to_dict() if part.position else None,
                    "reliability": part.reliability.to_dict("records"),
                }
                for name, part in self.parts.items()
            },
            "verbosity": self.verbosity.to_dict("records"),
            "by_source": self.by_source.to_dict("records"),
            "by_turns": self.by_turns.to_dict("records"),
            "notes": self.notes,
        }


def scored_proba(battles: pd.DataFrame, proba: np.ndarray) -> np.ndarray:
    """(n, 3) rows normalised, with the tie mass folded out (tie = 0) on rows of 2-way sets."""
    p = normalise_rows(check_proba(proba))
    two_way = ~battles["tie_allowed"].to_numpy(dtype=bool)
    p[two_way, :2], p[two_way, 2] = fold_ties(p[two_way]), 0.0
    return p


def evaluate(battles: pd.DataFrame, proba: np.ndarray, proba_swapped: np.ndarray | None = None) -> Evaluation:
    """All metrics and probes; `proba_swapped` are predictions on swap(battles), columns as the model returned."""
    proba = check_proba(proba)
    labelled = battles["label"].notna().to_numpy()
    parts: dict[str, Part] = {}
    for name, is_two_way in ((THREE_WAY, False), (TWO_WAY, True)):
        rows = labelled & (battles["tie_allowed"].to_numpy(dtype=bool) != is_two_way)
        if not rows.any():
            continue
        y = battles["label"].to_numpy(dtype=float, na_value=np.nan)[rows].astype(np.int64)
        p = proba[rows]
        shown = fold_ties(p) if is_two_way else normalise_rows(p)
        position, back = None, None
        if proba_swapped is not None:
            swapped = check_proba(proba_swapped)[rows]
            position = position_consistency(p, swapped, two_way=is_two_way)
            back_full = normalise_rows(swap_proba(swapped))
            back = fold_ties(back_full) if is_two_way else back_full
        parts[name] = Part(score(y, p, is_two_way), reliability_bins(y, shown), position, y, shown, back)
    notes = [parts[TWO_WAY].scores.note] if TWO_WAY in parts else []
    if proba_swapped is None:
        notes.append("position consistency needs predictions on the swapped battles (--swapped)")
    folded = scored_proba(battles, proba)
    return Evaluation(
        n_rows=len(battles),
        n_unlabelled=int((~labelled).sum()),
        parts=parts,
        verbosity=verbosity_table(battles, folded),
        by_source=breakdown(battles, proba, battles["source"]),
        by_turns=breakdown(battles, proba, turn_bucket(battles)),
        notes=notes,
    )


def _table(df: pd.DataFrame) -> list[str]:
    return df.to_string(index=False, float_format=lambda x: f"{x:.4f}").splitlines()


def summary_lines(ev: Evaluation) -> list[str]:
    """A plain-text summary of an Evaluation."""
    lines = [f"rows: {ev.n_rows}, scored: {ev.n_rows - ev.n_unlabelled}, unlabelled (not scored): {ev.n_unlabelled}"]
    for name, part in ev.parts.items():
        s = part.scores
        lines += [
            "",
            f"== {name} ({s.note}): n = {s.n}",
            f"log loss {s.log_loss:.5f} · accuracy {100 * s.accuracy:.2f}% · non-tie accuracy "
            f"{100 * s.accuracy_non_tie:.2f}% · Brier {s.brier:.5f} · ECE {s.ece:.4f}",
        ]
        if part.position:
            pos = part.position
            lines.append(
                f"position consistency: {100 * pos.share_unchanged:.2f}% verdicts unchanged when A and B are swapped; "
                f"mean |P_A(x) - P_B(swap x)| = {pos.mean_abs_diff:.4f}"
            )
        names = CLASS_NAMES[name]
        cm = pd.DataFrame(s.confusion, index=[f"true {n}" for n in names], columns=[f"pred {n}" for n in names])
        lines += ["confusion matrix:", *cm.to_string().splitlines()]
    lines += ["", "verbosity (deciles of (len A - len B) / (len A + len B); A win rate counts a tie as half):"]
    lines += _table(ev.verbosity)
    lines += ["", "by source:", *_table(ev.by_source), "", "by number of turns:", *_table(ev.by_turns)]
    return [*lines, "", *[f"note: {n}" for n in ev.notes]]
