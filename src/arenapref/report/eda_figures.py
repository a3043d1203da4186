"""Figures of the exploratory report, drawn from report.eda's tables (matplotlib Figure objects, no pyplot state)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arenapref.report.eda import OUTCOMES

COLOURS = {"A wins": "#4c72b0", "B wins": "#dd8452", "tie": "#55a868", "unlabelled": "#bbbbbb"}
MIN_BIN = 10  # bins with fewer battles are not drawn


def source_colours(sources: list[str]) -> dict[str, tuple[float, ...]]:
    """One fixed colour per source (tab20, in sorted order), shared by every panel."""
    cmap = matplotlib.colormaps["tab20"]
    return {source: cmap(i % 20) for i, source in enumerate(sorted(sources))}


def _height(rows: int, per_row: float = 0.32, base: float = 1.6) -> float:
    return base + per_row * max(rows, 1)


def winner_figure(dist: pd.DataFrame) -> Figure:
    """Share of each outcome (hard labels) per source, as stacked horizontal bars."""
    fig = Figure(figsize=(8, _height(len(dist))))
    ax = fig.subplots()
    left = np.zeros(len(dist))
    for name in (*OUTCOMES, "unlabelled"):
        share = dist[name] / dist["battles"]
        ax.barh(dist["source"], share, left=left, color=COLOURS[name], label=name)
        left += share
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="share of battles", title="Winner distribution per source")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def usage_figure(usage: pd.DataFrame, top: int = 30) -> Figure:
    """Battles per model, the `top` most used."""
    shown = usage.head(top)
    fig = Figure(figsize=(8, _height(len(shown), 0.24)))
    ax = fig.subplots()
    ax.barh(shown["model"], shown["as A"], color=COLOURS["A wins"], label="as A")
    ax.barh(shown["model"], shown["as B"], left=shown["as A"], color=COLOURS["B wins"], label="as B")
    ax.invert_yaxis()
    more = f" ({top} most used of {len(usage)})" if len(usage) > top else ""
    ax.set(xlabel="battles", title=f"Model usage{more}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def win_rate_figure(rates: pd.DataFrame, top: int = 30) -> Figure:
    """Win rate (a tie counts half) of the `top` models with most battles, with their battle counts."""
    shown = rates.sort_values("battles", ascending=False).head(top).sort_values("win rate", ascending=False)
    fig = Figure(figsize=(8, _height(len(shown), 0.24)))
    ax = fig.subplots()
    ax.barh(shown["model"], shown["win rate"], color=COLOURS["A wins"])
    for y, (rate, n) in enumerate(zip(shown["win rate"], shown["battles"], strict=True)):
        ax.text(min(rate + 0.01, 0.9), y, f"n={n}", va="center", fontsize=7)
    ax.axvline(0.5, color="grey", lw=0.8)
    ax.invert_yaxis()
    more = f", {top} models with most battles" if len(rates) > top else ""
    ax.set(xlim=(0, 1), xlabel="win rate (tie = half)", title=f"Per-model win rate{more}")
    fig.tight_layout()
    return fig


def length_figure(table: pd.DataFrame) -> Figure:
    """A's score (wins + ties/2) and the tie share against the normalised length difference, one line per source."""
    shown = table[table["battles"] >= MIN_BIN]
    colours = source_colours(list(table["source"].unique()))
    rows = (len(colours) + 3) // 4
    fig = Figure(figsize=(11, 4.4 + 0.25 * rows))
    score_ax, tie_ax = fig.subplots(1, 2)
    for source, part in shown.groupby("source", sort=True):
        style = {"color": colours[source], "marker": "o", "ms": 3}
        score_ax.plot(part["mean difference"], part["A wins"] + part["tie"] / 2, label=source, **style)
        if part["tie"].max() > 0:
            tie_ax.plot(part["mean difference"], part["tie"], **style)
    score_ax.axhline(0.5, color="grey", lw=0.8)
    for ax in (score_ax, tie_ax):
        ax.axvline(0, color="grey", lw=0.8)
        ax.set(xlim=(-1, 1), ylim=(0, 1), xlabel="(chars A - chars B) / (chars A + chars B)")
    score_ax.set(ylabel="A's score (win = 1, tie = 1/2)", title="Length difference vs outcome")
    tie_ax.set(ylabel="tie share", title="Tie share vs length difference (sets with ties)")
    fig.legend(loc="lower center", ncols=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.055 * rows, 1, 1))
    return fig


def position_figure(table: pd.DataFrame) -> Figure:
    """Share of decisive battles won by position A per source, with 95% Wilson intervals."""
    fig = Figure(figsize=(8, _height(len(table))))
    ax = fig.subplots()
    y = np.arange(len(table))
    err = np.vstack([table["share A"] - table["lower"], table["upper"] - table["share A"]])
    ax.errorbar(table["share A"], y, xerr=err, fmt="o", color=COLOURS["A wins"], capsize=3)
    ax.axvline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, table["source"])
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="share of decisive battles won by A (95% CI)", title="Winner by position")
    fig.tight_layout()
    return fig


def turns_figure(table: pd.DataFrame) -> Figure:
    """Share of battles by number of user turns, stacked per source."""
    counts = table.set_index("source")
    shares = counts.div(counts.sum(axis=1), axis=0)
    fig = Figure(figsize=(8, _height(len(shares))))
    ax = fig.subplots()
    left = np.zeros(len(shares))
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]
    for colour, column in zip(colours, shares.columns, strict=False):
        ax.barh(shares.index, shares[column], left=left, color=colour, label=f"{column} turn(s)")
        left += shares[column].to_numpy()
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="share of battles", title="Turns per battle")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def similarity_figure(table: pd.DataFrame) -> Figure:
    """Tie share against the similarity of the two answers, one line per source whose labels allow ties."""
    fig = Figure(figsize=(7, 4.2))
    ax = fig.subplots()
    colours = source_colours(list(table["source"].unique()))
    for source, part in table[table["battles"] >= MIN_BIN].groupby("source", sort=True):
        ax.plot(part["mean similarity"], part["tie rate"], "o-", ms=3, color=colours[source], label=source)
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="cosine similarity of the answers (word TF-IDF)",
        ylabel="tie share",
        title="Tie rate vs similarity of the two answers",
    )
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
