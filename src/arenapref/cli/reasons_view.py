"""The table of reasons `arenapref explain` prints: readable labels and sentences, or raw feature names (--raw)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from arenapref.models.base import Reason


def reasons_table(reasons: Sequence[Reason], verdict: str, raw: bool = False) -> Table:
    """One row per reason: what it is and says (label, sentence) or, with `raw`, the feature name and value; then
    its contribution and whether it raised or lowered the verdict's class."""
    from arenapref.models.explanation import readable

    table = Table(title=f"features that pushed the verdict ({verdict})")
    if raw:
        table.add_column("feature")
        table.add_column("value", justify="right")
    else:
        table.add_column("reason")
        table.add_column("in this battle")
    table.add_column("contribution", justify="right")
    table.add_column("effect")
    for reason in map(readable, reasons):
        effect = f"raised {reason.toward}" if reason.contribution > 0 else f"lowered {reason.toward}"
        style = "green" if reason.contribution > 0 else "red"
        if raw:
            cells = (escape(reason.feature), f"{reason.value:.4g}")
        else:
            cells = (escape(reason.label), escape(reason.sentence or "-"))
        table.add_row(*cells, f"[{style}]{reason.contribution:+.4f}[/]", effect)
    return table
