"""Turn lists into plain text columns: the shared first step of every feature."""

from __future__ import annotations

import pandas as pd

TURN_SEP = "\n\n"


def join_turns(turns: list[str | None] | None) -> str:
    """All turns of one side as one text (None turns skipped)."""
    if turns is None:
        return ""
    return TURN_SEP.join(t for t in turns if t)


def side_texts(battles: pd.DataFrame, column: str) -> list[str]:
    """One text per battle for `column` (prompt, response_a or response_b), as a list."""
    return [join_turns(turns) for turns in battles[column].tolist()]


def side_text(battles: pd.DataFrame, column: str) -> pd.Series:
    """side_texts as a Series on the battles' index."""
    return pd.Series(side_texts(battles, column), index=battles.index, dtype=str)
