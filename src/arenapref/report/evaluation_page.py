"""The page `arenapref evaluate --html` writes: metrics, calibration, confusion, verbosity, breakdowns, position."""

from __future__ import annotations

import pandas as pd

from arenapref.evaluation.figures import confusion_figure, position_figure, reliability_figure, verbosity_figure
from arenapref.evaluation.summary import CLASS_NAMES, Evaluation
from arenapref.report.html import HtmlPage


def _scores_table(ev: Evaluation) -> pd.DataFrame:
    rows = []
    for name, part in ev.parts.items():
        s = part.scores
        rows.append(
            {
                "part": name,
                "n": s.n,
                "log loss": s.log_loss,
                "accuracy %": 100 * s.accuracy,
                "non-tie accuracy %": 100 * s.accuracy_non_tie,
                "Brier": s.brier,
                "ECE": s.ece,
                "position consistency %": 100 * part.position.share_unchanged if part.position else float("nan"),
                "mean |P_A(x) - P_B(swap x)|": part.position.mean_abs_diff if part.position else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def evaluation_page(ev: Evaluation, title: str, subtitle: str = "") -> HtmlPage:
    """An HtmlPage with every table and figure of the evaluation."""
    page = HtmlPage(title)
    if subtitle:
        page.text(subtitle, "note")
    page.text(f"{ev.n_rows} rows; {ev.n_rows - ev.n_unlabelled} scored; {ev.n_unlabelled} unlabelled (not scored).")
    page.heading("Scores")
    page.table(_scores_table(ev))
    for note in ev.notes:
        page.text(note, "note")
    for name, part in ev.parts.items():
        page.heading(f"{name}: calibration and confusion")
        page.figure(reliability_figure(part.reliability, f"Reliability ({name})"), f"reliability_{name}")
        page.figure(
            confusion_figure(part.scores.confusion, CLASS_NAMES[name], f"Confusion ({name})"), f"confusion_{name}"
        )
        if part.proba_swapped_back is not None:
            page.figure(position_figure(part.proba, part.proba_swapped_back, f"Position ({name})"), f"position_{name}")
    page.heading("Verbosity")
    page.text("A win rate (a tie counts half) by decile of (len A - len B) / (len A + len B).", "note")
    page.figure(verbosity_figure(ev.verbosity), "verbosity")
    page.table(ev.verbosity)
    page.heading("By source")
    page.table(ev.by_source)
    page.heading("By number of turns")
    page.table(ev.by_turns)
    return page
