"""Folds grouped by prompt (stratified by label) and the A <-> B swap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.folds import grouped_folds, prompt_groups
from arenapref.data.io import read_battles
from arenapref.data.schema import targets
from arenapref.data.swap import swap, swap_proba


@pytest.fixture(scope="module")
def vicuna(data_dir: Path) -> pd.DataFrame:
    return read_battles(data_dir / "vicuna80/vicuna80_human_pairwise.jsonl")[0]


def test_folds_never_split_a_prompt(vicuna: pd.DataFrame) -> None:
    groups = prompt_groups(vicuna)
    assert groups.max() + 1 == vicuna["question_id"].nunique()  # 79 questions
    seen = np.zeros(len(vicuna), dtype=int)
    for train, test in grouped_folds(vicuna, n_splits=5, seed=0):
        assert not set(groups[train]) & set(groups[test])
        seen[test] += 1
    assert (seen == 1).all()  # every battle is tested exactly once


def test_folds_are_stratified_and_seeded(vicuna: pd.DataFrame) -> None:
    labels = vicuna["label"].fillna(3).to_numpy(dtype=int)
    overall = np.bincount(labels, minlength=4) / len(labels)
    folds = list(grouped_folds(vicuna, n_splits=5, seed=1))
    for _, test in folds:
        share = np.bincount(labels[test], minlength=4) / len(test)
        assert np.abs(share - overall).max() < 0.06
    again = list(grouped_folds(vicuna, n_splits=5, seed=1))
    assert all((a[1] == b[1]).all() for a, b in zip(folds, again, strict=True))


def test_folds_group_whitespace_and_case_variants() -> None:
    df = pd.DataFrame({"prompt": [["Hello  world"], ["hello world"], ["other"]], "label": [0, 1, 2]})
    groups = prompt_groups(df)
    assert groups[0] == groups[1] != groups[2]
    with pytest.raises(ValueError, match="distinct prompts"):
        next(grouped_folds(df, n_splits=5))


def test_swap_mirrors_everything(vicuna: pd.DataFrame) -> None:
    swapped = swap(vicuna)
    assert swapped["response_a"].tolist() == vicuna["response_b"].tolist()
    assert swapped["model_a"].tolist() == vicuna["model_b"].tolist()
    mirror = {0: 1, 1: 0, 2: 2}
    expected = [None if pd.isna(v) else mirror[int(v)] for v in vicuna["label"]]
    assert [None if pd.isna(v) else int(v) for v in swapped["label"]] == expected
    np.testing.assert_allclose(targets(swapped), targets(vicuna)[:, [1, 0, 2]])
    pd.testing.assert_frame_equal(swap(swapped), vicuna)  # an involution


def test_swap_proba_maps_predictions_back() -> None:
    proba = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    np.testing.assert_allclose(swap_proba(proba), [[0.3, 0.6, 0.1], [0.5, 0.2, 0.3]])
    np.testing.assert_allclose(swap_proba(swap_proba(proba)), proba)
