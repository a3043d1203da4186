"""The `arenapref report` page: EDA sections from report.eda, the readers' repair report, and optionally the
evaluation of a prediction file. A section whose fields are missing is replaced by the reason."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from arenapref.evaluation.summary import Evaluation
from arenapref.report import eda
from arenapref.report import eda_figures as figs
from arenapref.report.evaluation_page import evaluation_page
from arenapref.report.html import HtmlPage
from arenapref.report.inputs import InputFile, combine


@dataclass
class ReportPage:
    """The page and the sections left out, each with its reason."""

    page: HtmlPage
    skipped: list[str] = field(default_factory=list)

    def skip(self, section: str, reason: str) -> None:
        self.skipped.append(f"{section}: {reason}")
        self.page.text(f"Not shown: {reason}", "note")


def _files_lacking(inputs: list[InputFile], models: bool, labels: bool) -> str:
    lacking = [inp for inp in inputs if inp.missing(models=models, labels=labels)]
    return "; ".join(inp.describe_missing(inp.missing(models=models, labels=labels)) for inp in lacking)


def _read_section(out: ReportPage, inputs: list[InputFile]) -> None:
    out.page.heading("Validation and repair report of the readers")
    rows = [
        {
            "file": str(i.path),
            "format": i.report.format,
            "read": i.report.rows_read,
            "kept": i.report.rows_kept,
            "dropped": i.report.rows_dropped,
            "repairs": sum(i.report.repairs.values()),
        }
        for i in inputs
    ]
    out.page.table(pd.DataFrame(rows))
    out.page.preformatted("\n".join(line for i in inputs for line in i.report.lines()))


def _model_sections(out: ReportPage, battles: pd.DataFrame, inputs: list[InputFile]) -> None:
    out.page.heading("Model usage")
    if not eda.has_models(battles).any():
        out.skip(
            "model usage and win rates",
            f"no model names (model_a / model_b) in any file: {_files_lacking(inputs, True, False)}",
        )
        return
    if lacking := _files_lacking(inputs, True, False):
        out.page.text(f"Files without model names are left out here: {lacking}", "note")
    usage = eda.model_usage(battles)
    out.page.figure(figs.usage_figure(usage), "model_usage")
    out.page.heading("Per-model win rates")
    rates = eda.model_win_rates(battles)
    if rates.empty:
        out.skip("per-model win rates", "no battle between named models has a label")
        return
    out.page.text("Win rate = (wins + ties / 2) / battles; soft labels (vote shares) count by their shares.", "note")
    out.page.figure(figs.win_rate_figure(rates), "model_win_rates")
    out.page.table(rates)


def _outcome_sections(out: ReportPage, battles: pd.DataFrame, inputs: list[InputFile]) -> None:
    labelled = eda.outcome_weights(battles).sum(axis=1) > 0
    if not labelled.any():
        for section in ("length difference vs outcome", "winner by position", "tie rate vs similarity"):
            out.page.heading(section.capitalize())
            out.skip(section, f"no labels in any file: {_files_lacking(inputs, False, True)}")
        return
    diff = eda.length_difference(battles)
    out.page.heading("Length difference vs outcome (verbosity)")
    out.page.text(
        "Outcome shares by bin of (chars A - chars B) / (chars A + chars B); bins under 10 battles not drawn.", "note"
    )
    out.page.figure(figs.length_figure(eda.length_outcomes(battles, diff)), "length_vs_outcome")
    out.page.text("How often the longer answer wins (decisive hard labels, unequal lengths):")
    out.page.table(eda.longer_wins(battles, diff))
    out.page.heading("Winner by position")
    position = eda.position_table(battles)
    if position.empty:
        out.skip("winner by position", "no decisive hard label (A or B wins)")
    else:
        out.page.figure(figs.position_figure(position), "winner_by_position")
        out.page.table(position)
    out.page.heading("Tie rate vs similarity of the two answers")
    with_ties = labelled & battles["tie_allowed"].to_numpy(dtype=bool)
    if not with_ties.any():
        out.skip("tie rate vs similarity", "no labelled battle comes from a set whose labels allow ties")
        return
    sub = battles.loc[with_ties].reset_index(drop=True)
    table = eda.similarity_ties(sub, eda.answer_similarity(sub))
    out.page.figure(figs.similarity_figure(table), "tie_rate_vs_similarity")
    out.page.table(table)


def build_report(
    inputs: list[InputFile], evaluation: Evaluation | None = None, title: str = "Arena battles report"
) -> ReportPage:
    """The whole page for the files read (and the evaluation of predictions on them, when given)."""
    battles = combine(inputs)
    out = ReportPage(HtmlPage(title))
    sources = ", ".join(sorted(battles["source"].unique()))
    out.page.text(f"{len(battles)} battles from {len(inputs)} file(s); sources: {sources}.")
    out.page.heading("Winner distribution")
    dist = eda.winner_distribution(battles)
    if (dist[list(eda.OUTCOMES)].to_numpy().sum()) > 0:
        out.page.figure(figs.winner_figure(dist), "winner_distribution")
    else:
        out.skip("winner distribution figure", f"no hard labels: {_files_lacking(inputs, False, True)}")
    out.page.table(dist)
    _model_sections(out, battles, inputs)
    _outcome_sections(out, battles, inputs)
    out.page.heading("Turns per battle")
    turns = eda.turns_table(battles)
    out.page.figure(figs.turns_figure(turns), "turns_per_battle")
    out.page.table(turns)
    _read_section(out, inputs)
    if evaluation is not None:
        out.page.heading("Evaluation of the predictions")
        out.page.include(evaluation_page(evaluation, "Evaluation"))
    if out.skipped:
        out.page.heading("Sections not shown")
        for line in out.skipped:
            out.page.text(line, "note")
    return out
