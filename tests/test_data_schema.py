"""The battle table's schema helpers."""

from __future__ import annotations

import pandas as pd

from arenapref.data.schema import conform, unlabelled_table


def test_unlabelled_table_is_the_conformed_table() -> None:
    turns = {"prompt": [["p"], ["q", "r"]], "response_a": [["a", None], ["b", "c"]], "response_b": [["x"], [None, "y"]]}
    built = unlabelled_table(["one", "two"], "api", turns)
    reference = conform(pd.DataFrame({"id": ["one", "two"], "source": ["api", "api"], **turns}))
    pd.testing.assert_frame_equal(built, reference)
    assert built["label"].isna().all() and built["tie_allowed"].all()
