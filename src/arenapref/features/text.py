"""Turn lists into plain text columns: the shared first step of every feature."""

from __future__ import annotations

import pandas as pd

TURN_SEP = "\n\n"


def join_turns(turns: list[str | None] | None) -> str:
    """All turns of one side as one text (None turns skipped)."""
    if turns is None:
        return ""
    return TURN_SEP.join(t for t in turns if t)


def side_text(battles: pd.DataFrame, column: str) -> pd.Series:
    """One text per battle for `column` (prompt, response_a or response_b)."""
    return battles[column].map(join_turns).astype(str)
