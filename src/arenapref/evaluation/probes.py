"""Bias probes: position consistency (same verdict in both orders), verbosity (win rate by length difference),
and breakdowns of the scores by source and by number of turns."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.swap import swap, swap_proba
from arenapref.evaluation.metrics import check_proba, fold_ties, normalise_rows, score
from arenapref.models.base import PreferenceModel
from arenapref.models.baselines import length_difference


@dataclass(frozen=True)
class PositionConsistency:
    """`share_unchanged`: share of battles whose verdict is the same in both orders;
    `mean_abs_diff`: mean |P_A(x) - P_B(swap x)| (0 for a model that ignores position)."""

    n: int
    share_unchanged: float
    mean_abs_diff: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def predict_both_orders(model: PreferenceModel, battles: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The model's predictions on the battles and, as returned, on the same battles with A and B swapped."""
    return model.predict_proba(battles), model.predict_proba(swap(battles))


def position_consistency(proba: np.ndarray, proba_swapped: np.ndarray, two_way: bool = False) -> PositionConsistency:
    """Compare predictions on x with those on swap(x) (columns as the model returned them, i.e. for swapped
    positions). The verdict is the argmax (of P(A), P(B) only when `two_way`)."""
    p = normalise_rows(check_proba(proba))
    back = normalise_rows(swap_proba(check_proba(proba_swapped)))
    if two_way:
        p, back = fold_ties(p), fold_ties(back)
    if len(p) == 0:
        return PositionConsistency(0, float("nan"), float("nan"))
    unchanged = np.argmax(p, axis=1) == np.argmax(back, axis=1)
    # back[:, 0] is P_B(swap x): the swapped battle's B is the original A.
    return PositionConsistency(len(p), float(unchanged.mean()), float(np.abs(p[:, 0] - back[:, 0]).mean()))


def verbosity_table(battles: pd.DataFrame, proba: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Per decile of the length difference (labelled rows only): observed and predicted A win rate (tie = half)
    and tie share. A model that only follows length has a predicted curve steeper than the observed one."""
    labelled = battles["label"].notna().to_numpy()
    d = length_difference(battles)[labelled]
    p = normalise_rows(check_proba(proba))[labelled]
    y = battles["label"].to_numpy(dtype=float, na_value=np.nan)[labelled].astype(int)
    onehot = np.eye(3)[y]
    bins = pd.qcut(pd.Series(d).rank(method="first"), q=min(n_bins, max(len(d), 1)), labels=False)
    frame = pd.DataFrame(
        {
            "bin": bins.to_numpy(),
            "d": d,
            "observed_a": onehot[:, 0] + onehot[:, 2] / 2,
            "observed_tie": onehot[:, 2],
            "predicted_a": p[:, 0] + p[:, 2] / 2,
            "predicted_tie": p[:, 2],
        }
    )
    table = frame.groupby("bin").agg(
        n=("d", "size"),
        d_min=("d", "min"),
        d_max=("d", "max"),
        d_mean=("d", "mean"),
        observed_a=("observed_a", "mean"),
        predicted_a=("predicted_a", "mean"),
        observed_tie=("observed_tie", "mean"),
        predicted_tie=("predicted_tie", "mean"),
    )
    return table.reset_index().rename(columns={"bin": "decile"}).assign(decile=lambda t: t["decile"] + 1)


def turn_bucket(battles: pd.DataFrame) -> pd.Series:
    """Number of user turns as a label: '1', '2', '3', '4+'."""
    turns = battles["prompt"].map(len).clip(upper=4)
    return turns.map(lambda t: "4+" if t >= 4 else str(t))


def breakdown(battles: pd.DataFrame, proba: np.ndarray, by: pd.Series) -> pd.DataFrame:
    """Scores per group (labelled rows only); a group's 2-way rows and 3-way rows are scored separately."""
    labelled = battles["label"].notna().to_numpy()
    p = np.asarray(proba)[labelled]
    keys = pd.DataFrame(
        {
            "group": np.asarray(by)[labelled],
            "two_way": ~battles["tie_allowed"].to_numpy(dtype=bool)[labelled],
            "label": battles["label"].to_numpy(dtype=float, na_value=np.nan)[labelled].astype(int),
        }
    )
    rows = []
    for (group, two_way), part in keys.groupby(["group", "two_way"], sort=True):
        s = score(part["label"].to_numpy(), p[part.index.to_numpy()], two_way=bool(two_way))
        rows.append(
            {
                "group": group,
                "classes": 2 if two_way else 3,
                "n": s.n,
                "accuracy": s.accuracy,
                "accuracy_non_tie": s.accuracy_non_tie,
                "log_loss": s.log_loss,
            }
        )
    return pd.DataFrame(rows, columns=["group", "classes", "n", "accuracy", "accuracy_non_tie", "log_loss"])
