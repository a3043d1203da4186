"""Leaderboard figures: ratings with intervals, observed and predicted pairwise matrices, style coefficients."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arenapref.ranking.bradley_terry import Ratings

PLAIN, STYLED = "#4c72b0", "#dd8452"


def ratings_figure(plain: Ratings, styled: Ratings | None) -> Figure:
    """Each model's rating with its 95% interval, without and (offset below) with style control."""
    table = plain.table()
    n = len(table)
    fig = Figure(figsize=(8, 1.8 + 0.28 * n))
    ax = fig.subplots()
    y = np.arange(n)
    series = [("Bradley-Terry", plain, PLAIN, 0.0)]
    if styled is not None:
        series.append(("style-controlled", styled, STYLED, 0.3))
    for label, fit, colour, offset in series:
        t = fit.table().set_index("model").loc[table["model"]]
        err = np.vstack([t["rating"] - t["lower"], t["upper"] - t["rating"]])
        has_ci = bool(np.isfinite(err).all())
        ax.errorbar(t["rating"], y + offset, xerr=err if has_ci else None, fmt="o", ms=4, capsize=2, color=colour,
                    label=label)  # fmt: skip
    ax.set_yticks(y + (0.15 if styled is not None else 0), table["model"])
    ax.set_ylim(n - 0.4, -0.6)
    ax.axvline(plain.anchor_rating, color="grey", lw=0.6, ls=":")
    ax.set(xlabel="rating (Elo scale, 95% bootstrap interval)", title=f"Ratings ({plain.kind})")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def matrix_figure(matrix: pd.DataFrame, title: str, counts: pd.DataFrame | None = None) -> Figure:
    """Heatmap of a model x model matrix of scores in [0, 1] (row model against column model), NaN in grey."""
    n = len(matrix)
    size = 2.5 + 0.42 * n
    fig = Figure(figsize=(size + 1.2, size))
    ax = fig.subplots()
    values = np.ma.masked_invalid(matrix.to_numpy(dtype=float))
    image = ax.imshow(values, cmap="RdBu", vmin=0, vmax=1)
    ax.set_facecolor("#e0e0e0")
    ticks = np.arange(n)
    ax.set_xticks(ticks, matrix.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(ticks, matrix.index, fontsize=8)
    if n <= 16:
        for (i, j), v in np.ndenumerate(matrix.to_numpy(dtype=float)):
            if np.isfinite(v):
                text = f"{v:.2f}" if counts is None else f"{v:.2f}\n{counts.iat[i, j]}"
                ax.text(
                    j, i, text, ha="center", va="center", fontsize=6.5, color="white" if abs(v - 0.5) > 0.3 else "black"
                )
    ax.set(xlabel="opponent", ylabel="model", title=title)
    fig.colorbar(image, ax=ax, fraction=0.046, label="score of the row model (tie = half)")
    fig.tight_layout()
    return fig


def style_figure(coefficients: pd.DataFrame) -> Figure:
    """Our style coefficients with 95% intervals next to LMSYS's published ones."""
    fig = Figure(figsize=(6.5, 1.6 + 0.5 * max(len(coefficients), 1)))
    ax = fig.subplots()
    y = np.arange(len(coefficients))
    err = np.vstack(
        [coefficients["coefficient"] - coefficients["lower"], coefficients["upper"] - coefficients["coefficient"]]
    )
    ax.errorbar(coefficients["coefficient"], y, xerr=err if np.isfinite(err).all() else None, fmt="o", color=STYLED,
                capsize=3, label="this data")  # fmt: skip
    ax.plot(coefficients["lmsys"], y, "D", color="black", ms=5, label="LMSYS (published)")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(y, coefficients["element"])
    ax.invert_yaxis()
    ax.set(xlabel="log-odds per SD of (A-B)/(A+B)", title="Style coefficients")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
