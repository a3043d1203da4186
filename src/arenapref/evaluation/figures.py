"""Evaluation figures as matplotlib Figure objects (no pyplot state): reliability diagram, confusion matrix,
verbosity curve and position consistency scatter. The report layer embeds them in pages."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def reliability_figure(bins: pd.DataFrame, title: str = "Reliability diagram") -> Figure:
    """Accuracy against mean confidence per bin (bars at bin centres), the diagonal, and the bin counts below."""
    fig = Figure(figsize=(5.5, 5.5))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    centres = (bins["lo"] + bins["hi"]) / 2
    width = float((bins["hi"] - bins["lo"]).iloc[0])
    used = bins["count"] > 0
    top.bar(centres[used], bins.loc[used, "accuracy"], width=width * 0.9, color="#4c72b0", label="accuracy")
    top.plot(bins.loc[used, "confidence"], bins.loc[used, "accuracy"], "o", color="#dd8452", label="(confidence, acc.)")
    top.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    top.set(ylabel="accuracy", ylim=(0, 1), title=title)
    top.legend(loc="upper left", fontsize=8)
    bottom.bar(centres, bins["count"], width=width * 0.9, color="#8c8c8c")
    bottom.set(xlabel="confidence (top probability)", ylabel="rows", xlim=(0, 1))
    fig.tight_layout()
    return fig


def confusion_figure(matrix: Sequence[Sequence[int]], class_names: Sequence[str], title: str = "Confusion") -> Figure:
    """Counts with true class on rows and predicted class on columns, each cell annotated."""
    cm = np.asarray(matrix)
    fig = Figure(figsize=(1.6 * len(class_names) + 1.5, 1.4 * len(class_names) + 1.2))
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues")
    ticks = range(len(class_names))
    ax.set(xticks=ticks, yticks=ticks, xlabel="predicted", ylabel="true", title=title)
    ax.set_xticklabels(class_names)
    ax.set_yticklabels(class_names)
    threshold = cm.max() / 2 if cm.size else 0
    for (i, j), value in np.ndenumerate(cm):
        ax.text(j, i, str(value), ha="center", va="center", color="white" if value > threshold else "black")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def verbosity_figure(table: pd.DataFrame, title: str = "Verbosity") -> Figure:
    """Observed and predicted A win rate (and tie share) per decile of the normalised length difference."""
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    x = table["d_mean"]
    ax.plot(x, table["observed_a"], "o-", color="#4c72b0", label="observed A win rate")
    ax.plot(x, table["predicted_a"], "s--", color="#dd8452", label="predicted A win rate")
    if table["observed_tie"].max() > 0 or table["predicted_tie"].max() > 0:
        ax.plot(x, table["observed_tie"], "o:", color="#55a868", label="observed tie share")
        ax.plot(x, table["predicted_tie"], "s:", color="#c44e52", label="predicted tie share")
    ax.axhline(0.5, color="grey", lw=0.8)
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.set(
        xlabel="(len A - len B) / (len A + len B), decile mean",
        ylabel="rate",
        ylim=(0, 1),
        xlim=(-1, 1),
        title=title,
    )
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def position_figure(proba: np.ndarray, proba_swapped_back: np.ndarray, title: str = "Position consistency") -> Figure:
    """P(A wins) on x against the same battle's P(A wins) read from swap(x) (= P_B(swap x)); on the diagonal
    when position carries no weight."""
    p, q = np.asarray(proba)[:, 0], np.asarray(proba_swapped_back)[:, 0]
    fig = Figure(figsize=(4.8, 4.8))
    ax = fig.subplots()
    ax.scatter(p, q, s=6, alpha=0.4, color="#4c72b0")
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.set(
        xlabel="P_A(x)",
        ylabel="P_B(swap x)",
        xlim=(0, 1),
        ylim=(0, 1),
        title=f"{title}: mean |diff| {np.abs(p - q).mean():.4f}" if len(p) else title,
    )
    fig.tight_layout()
    return fig
