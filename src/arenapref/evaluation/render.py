"""The benchmark table as text: one display table shared by the terminal (rich) and results.md (markdown)."""

from __future__ import annotations

import math

from rich.table import Table

from arenapref.evaluation.published import CITATIONS, published_for
from arenapref.evaluation.results import BenchResult, ResultRow
from arenapref.evaluation.transfer_calibrated import TRANSFER_CALIBRATED, CalibratedRow

HEADERS = (
    "set",
    "cls",
    "protocol",
    "model",
    "n",
    "acc %",
    "non-tie %",
    "log loss",
    "Δ prior",
    "consist. %",
    "|ΔP|",
    "time s",
)
NUMERIC = set(HEADERS[4:])


def _pct(x: float) -> str:
    return "" if math.isnan(x) else f"{100 * x:.2f}"


def _time(row: ResultRow) -> str:
    if row.seconds is None:
        return "shared"
    return f"{row.seconds:.1f}" + ("*" if row.cached else "")


def _ours(row: ResultRow) -> list[str]:
    return [
        row.set_name,
        str(row.classes),
        row.protocol,
        row.model,
        str(row.n),
        _pct(row.accuracy),
        _pct(row.accuracy_non_tie),
        f"{row.log_loss:.4f}",
        f"{row.log_loss - row.prior_log_loss:+.4f}",
        _pct(row.consistency),
        f"{row.mean_abs_diff:.4f}",
        _time(row),
    ]


def citation_numbers() -> dict[str, int]:
    return {key: i for i, key in enumerate(CITATIONS, start=1)}


def display_rows(result: BenchResult) -> list[tuple[list[str], bool]]:
    """(cells, is_published) per line: our rows per set, then the published numbers on that set."""
    numbers = citation_numbers()
    out: list[tuple[list[str], bool]] = []
    for i, row in enumerate(result.rows):
        out.append((_ours(row), False))
        last_of_set = i + 1 == len(result.rows) or result.rows[i + 1].set_name != row.set_name
        if last_of_set:
            for pub in published_for(row.set_name):
                consistency = "" if pub.consistency is None else f"{pub.consistency:.2f}"
                model = f"{pub.system} [{numbers[pub.citation]}]"
                cells = [row.set_name, str(row.classes), "published", model, "", f"{pub.accuracy:.2f}", ""]
                out.append(([*cells, "", "", consistency, "", ""], True))
    return out


def footnotes(result: BenchResult) -> list[str]:
    lines = [f"[{n}] {CITATIONS[key]}" for key, n in citation_numbers().items()]
    lines += [
        "published: zero-shot systems (not trained on the set); compare with our transfer rows.",
        "non-tie %: accuracy of the larger of P(A), P(B) on rows not labelled tie; Δ prior: log loss minus the "
        "prior's on the same rows (negative is better); consist. %: verdicts unchanged when A and B are swapped; "
        "|ΔP|: mean |P_A(x) - P_B(swap x)|; time: fit + predict (both orders) over all folds, * = from the cache "
        "(time of the original run), shared = one run covers every part of the held-out dataset.",
    ]
    return lines + result.notes


def failure_lines(result: BenchResult) -> list[str]:
    return [f"FAILED: {f['model']} on {f['set']} ({f['protocol']}): {f['error']}" for f in result.failures]


def rich_table(result: BenchResult) -> Table:
    mode = "quick" if result.config["quick"] else "full"
    title = f"arenapref bench ({mode}: {result.config['n_splits']}-fold in-domain CV, leave-one-dataset-out transfer)"
    table = Table(title=title, show_lines=False, header_style="bold")
    for header in HEADERS:
        table.add_column(header, justify="right" if header in NUMERIC else "left", no_wrap=header != "model")
    previous = None
    for cells, published in display_rows(result):
        if previous is not None and cells[0] != previous:
            table.add_section()
        previous = cells[0]
        table.add_row(*cells, style="dim italic" if published else None)
    return table


def markdown(result: BenchResult) -> str:
    lines = [
        "| " + " | ".join(h.replace("|", "\\|") for h in HEADERS) + " |",
        "|" + "|".join("---:" if h in NUMERIC else "---" for h in HEADERS) + "|",
    ]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells, _ in display_rows(result)]
    mode = "quick" if result.config["quick"] else "full"
    head = [
        f"# arenapref bench ({mode})",
        "",
        f"{result.config['n_splits']}-fold in-domain cross-validation grouped by prompt; "
        f"leave-one-dataset-out transfer; models: {', '.join(result.config['models'])}; total {result.seconds:.1f} s.",
        "",
    ]
    notes = [f"- {line}" for line in [*footnotes(result), *failure_lines(result)]]
    return "\n".join([*head, *(lines if result.rows else []), "", *calibrated_markdown(result), *notes, ""])


CALIBRATED_HEADERS = (
    "set",
    "cls",
    "model",
    "k",
    "draws",
    "n rest",
    "transfer",
    "prior(k)",
    "calibrated",
    "Δ best",
    "acc transfer %",
    "acc calibrated %",
    "kept",
)


def calibrated_cells(row: CalibratedRow) -> list[str]:
    """One line of the transfer-calibrated table: log losses and accuracies as mean ± std over the draws; Δ best is
    the calibrated log loss minus that of the better (on average) of the plain transfer model and the k-battle
    prior, paired draw by draw: mean ± its standard error."""
    ll, sd, acc, acc_sd = row.log_loss, row.log_loss_std, row.accuracy, row.accuracy_std
    delta, se = row.delta_best()
    return [
        row.set_name,
        str(row.classes),
        row.model,
        str(row.k),
        str(row.draws),
        f"{row.n_rest:.0f}",
        f"{ll['transfer']:.4f} ± {sd['transfer']:.4f}",
        f"{ll['prior']:.4f} ± {sd['prior']:.4f}",
        f"{ll['calibrated']:.4f} ± {sd['calibrated']:.4f}",
        f"{delta:+.4f} ± {se:.4f}",
        f"{100 * acc['transfer']:.2f} ± {100 * acc_sd['transfer']:.2f}",
        f"{100 * acc['calibrated']:.2f} ± {100 * acc_sd['calibrated']:.2f}",
        f"{row.kept}/{row.draws}",
    ]


def calibrated_title() -> str:
    return (
        f"{TRANSFER_CALIBRATED}: transfer model + k labelled battles of the held-out set (log loss and accuracy on "
        "the rest, mean ± std over the draws; Δ best: calibrated minus the better of transfer and prior(k), "
        "± standard error)"
    )


def calibrated_table(result: BenchResult) -> Table | None:
    """The transfer-calibrated rows as a rich table (None when the protocol did not run)."""
    if not result.calibrated:
        return None
    table = Table(title=calibrated_title(), header_style="bold")
    for header in CALIBRATED_HEADERS:
        table.add_column(header, justify="left" if header in ("set", "model") else "right", no_wrap=True)
    previous = None
    for row in result.calibrated:
        if previous is not None and row.set_name != previous:
            table.add_section()
        previous = row.set_name
        table.add_row(*calibrated_cells(row))
    return table


def calibrated_markdown(result: BenchResult) -> list[str]:
    if not result.calibrated:
        return []
    lines = [f"## {calibrated_title()}", ""]
    lines.append("| " + " | ".join(CALIBRATED_HEADERS) + " |")
    lines.append("|" + "|".join("---" if h in ("set", "model") else "---:" for h in CALIBRATED_HEADERS) + "|")
    lines += ["| " + " | ".join(calibrated_cells(row)) + " |" for row in result.calibrated]
    return [*lines, ""]
