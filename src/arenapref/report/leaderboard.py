"""The leaderboard: ratings without and with style control, as a terminal table, CSV, JSON and PNG figures."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import orjson
import pandas as pd
from matplotlib.figure import Figure
from rich.console import Group
from rich.table import Table
from rich.text import Text

from arenapref.ranking.bradley_terry import Ratings, fit_ratings
from arenapref.ranking.style import LMSYS_STYLE_COEFFICIENTS
from arenapref.report.eda import pairwise_win_rates
from arenapref.report.leaderboard_figures import matrix_figure, ratings_figure, style_figure


@dataclass
class Leaderboard:
    """Both fits of one set of battles, and the battles (for the observed pairwise win rates)."""

    plain: Ratings
    styled: Ratings | None
    battles: pd.DataFrame
    top: int = 25  # models shown in the pairwise matrices
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """One row per model, best first by the plain rating; style-controlled columns when fitted."""
        out = self.plain.table()
        if self.styled is None:
            return out
        styled = self.styled.table().rename(columns=lambda c: c if c in ("model", "battles") else f"style {c}")
        out = out.merge(styled.drop(columns="battles"), on="model")
        out["rank change"] = out["rank"] - out["style rank"]
        return out

    def matrix_models(self) -> list[str]:
        return list(self.plain.table()["model"].head(self.top))

    def win_rates(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return pairwise_win_rates(self.battles, self.plain.models)

    def figures(self) -> dict[str, Figure]:
        models = self.matrix_models()
        rates, counts = self.win_rates()
        shown = f" (top {len(models)} of {len(self.plain.models)})" if len(models) < len(self.plain.models) else ""
        figs = {
            "ratings": ratings_figure(self.plain, self.styled),
            "win_rates": matrix_figure(
                rates.loc[models, models], f"Observed win rate{shown}", counts.loc[models, models]
            ),
            "win_probabilities": matrix_figure(
                self.plain.win_probabilities().loc[models, models],
                f"Predicted win probability ({self.plain.kind}){shown}",
            ),
        }
        if self.styled is not None and self.styled.style_names:
            figs["style_coefficients"] = style_figure(self.styled.style_coefficients())
        return figs

    def to_dict(self) -> dict[str, Any]:
        return {
            "bradley_terry": self.plain.to_dict(),
            "style_controlled": self.styled.to_dict() if self.styled is not None else None,
            "lmsys_style_coefficients": LMSYS_STYLE_COEFFICIENTS,
            "notes": self.notes,
        }


def build_leaderboard(
    battles: pd.DataFrame, *, style: bool = True, top: int = 25, notes: list[str] | None = None, **fit: Any
) -> Leaderboard:
    """Fit the plain ratings and (if `style`) the style-controlled ones; `fit` goes to fit_ratings."""
    plain = fit_ratings(battles, style=False, **fit)
    styled = fit_ratings(battles, style=True, **fit) if style else None
    notes = list(notes or [])
    notes += [
        f"{n} {'battle' if n == 1 else 'battles'} not used: {reason}" for reason, n in plain.comp.excluded.items() if n
    ]
    notes += plain.comp.notes + (styled.comp.notes if styled is not None else [])
    notes = list(dict.fromkeys(notes))
    return Leaderboard(plain, styled, battles, top, notes)


def _fmt(x: float, digits: int = 0) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _ci(lo: float, hi: float) -> str:
    return "" if math.isnan(lo) else f"{lo:.0f}-{hi:.0f}"


def rich_output(board: Leaderboard) -> Group:
    """Terminal tables: the ranking (with and without style control), style coefficients, tie parameter, notes."""
    plain = board.plain
    anchor = f"anchor {plain.anchor or 'mean'} = {plain.anchor_rating:g}"
    title = f"Leaderboard ({plain.kind}, {plain.comp.n_battles} battles, {anchor})"
    ranking = Table(title=title, header_style="bold")
    for col in ("rank", "model", "rating", "95% CI", "battles"):
        ranking.add_column(col, justify="left" if col == "model" else "right")
    if board.styled is not None:
        for col in ("style rank", "style rating", "style 95% CI", "Δ rank"):
            ranking.add_column(col, justify="right")
    for _, row in board.table().iterrows():
        cells = [
            str(row["rank"]),
            str(row["model"]),
            _fmt(row["rating"]),
            _ci(row["lower"], row["upper"]),
            str(row["battles"]),
        ]
        if board.styled is not None:
            change = int(row["rank change"])
            cells += [str(row["style rank"]), _fmt(row["style rating"]), _ci(row["style lower"], row["style upper"]),
                      f"{change:+d}" if change else ""]  # fmt: skip
        ranking.add_row(*cells)
    parts: list[Any] = [ranking]
    if board.styled is not None and board.styled.style_names:
        style = Table(title="Style coefficients (log-odds per SD of (A-B)/(A+B))", header_style="bold")
        for col in ("element", "coefficient", "95% CI", "LMSYS published"):
            style.add_column(col, justify="left" if col == "element" else "right")
        for _, row in board.styled.style_coefficients().iterrows():
            ci = "" if math.isnan(row["lower"]) else f"{row['lower']:.3f} - {row['upper']:.3f}"
            style.add_row(row["element"], f"{row['coefficient']:.3f}", ci, _fmt(row["lmsys"], 3))
        parts.append(style)
    tie = plain.tie_parameter()
    if tie is not None:
        parts.append(
            Text(f"tie parameter {tie['name']} = {tie['value']:.3f} (95% CI {tie['lower']:.3f} - {tie['upper']:.3f})")
        )
    parts += [Text(f"note: {n}") for n in board.notes]
    return Group(*parts)


def write_leaderboard(board: Leaderboard, out_dir: str | Path) -> list[Path]:
    """leaderboard.csv / .json, style_coefficients.csv, win_rates.csv, win_probabilities.csv and PNG figures."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "leaderboard.csv", out / "leaderboard.json", out / "win_rates.csv", out / "win_probabilities.csv"]
    board.table().to_csv(written[0], index=False)
    written[1].write_bytes(orjson.dumps(board.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    board.win_rates()[0].rename_axis("model").to_csv(written[2])
    board.plain.win_probabilities().rename_axis("model").to_csv(written[3])
    if board.styled is not None and board.styled.style_names:
        written.append(out / "style_coefficients.csv")
        board.styled.style_coefficients().to_csv(written[-1], index=False)
    for name, fig in board.figures().items():
        written.append(out / f"{name}.png")
        fig.savefig(written[-1], dpi=110, bbox_inches="tight")
    return written
