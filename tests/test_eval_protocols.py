"""Protocols: no prompt on both sides of any fold or transfer split; who takes part; the baselines on Auto-J."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.folds import prompt_groups
from arenapref.data.io import read_battles
from arenapref.data.sources import family
from arenapref.evaluation.metrics import score
from arenapref.evaluation.protocols import (
    MIN_TEST_ROWS,
    in_domain_sources,
    in_domain_splits,
    run_splits,
    subsample,
    transfer_families,
    transfer_split,
)
from arenapref.models.registry import create
from eval_support import synthetic_battles


def _assert_prompt_disjoint(battles: pd.DataFrame, train: np.ndarray, test: np.ndarray) -> None:
    groups = prompt_groups(battles)
    assert not set(groups[train]) & set(groups[test])


def test_in_domain_folds_never_share_a_prompt_and_cover_every_labelled_row() -> None:
    battles = synthetic_battles("autoj", 300, n_prompts=60)  # 5 battles per prompt
    battles.loc[:19, "label"] = pd.NA  # unlabelled: never tested
    battles.loc[:9, ["soft_a", "soft_b", "soft_tie"]] = [0.5, 0.3, 0.2]  # soft-labelled: may train
    splits = in_domain_splits(battles, n_splits=5, seed=0)
    assert len(splits) == 5
    for split in splits:
        _assert_prompt_disjoint(battles, split.train, split.test)
        assert battles["label"].iloc[split.test].notna().all()
        assert not set(split.train) & set(range(10, 20))  # neither hard nor soft label: unusable
    tested = np.concatenate([s.test for s in splits])
    assert sorted(tested) == list(range(20, 300))
    assert any(set(s.train) & set(range(10)) for s in splits)


def test_in_domain_folds_on_auto_j_never_share_a_prompt(data_dir: Path) -> None:
    battles, _ = read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")
    for split in in_domain_splits(battles, n_splits=5, seed=0):
        _assert_prompt_disjoint(battles, split.train, split.test)


def test_transfer_holds_out_a_whole_dataset_and_drops_training_battles_sharing_its_prompts() -> None:
    a = synthetic_battles("hh-rlhf/harmless-base", 250, tie_allowed=False)
    b = synthetic_battles("hh-rlhf/helpful-base", 250, tie_allowed=False)
    c = synthetic_battles("autoj", 250)
    c.loc[0, "prompt"] = a.loc[0, "prompt"]  # the same prompt in another dataset
    battles = pd.concat([a, b, c], ignore_index=True)
    split = transfer_split(battles, "hh-rlhf")
    assert set(battles["source"].iloc[split.test]) == {"hh-rlhf/harmless-base", "hh-rlhf/helpful-base"}
    assert set(battles["source"].iloc[split.train]) == {"autoj"}
    assert len(split.train) == 249  # the autoj battle sharing a prompt with the test side is left out
    _assert_prompt_disjoint(battles, split.train, split.test)


def test_who_takes_part() -> None:
    tables = [
        synthetic_battles("autoj", MIN_TEST_ROWS),
        synthetic_battles("hh-rlhf/helpful-online", 50, tie_allowed=False),
        synthetic_battles("kaggle-sample", 100),
        synthetic_battles("vicuna80", 300),
    ]
    battles = pd.concat(tables, ignore_index=True)
    assert in_domain_sources(battles) == ["autoj", "hh-rlhf/helpful-online"]
    assert transfer_families(battles) == ["autoj", "vicuna80"]  # hh-rlhf (50) and kaggle-sample too small
    assert family("hh-rlhf/helpful-online") == "hh-rlhf"


def test_subsample_caps_each_source_and_is_deterministic() -> None:
    battles = pd.concat([synthetic_battles("x", 50), synthetic_battles("y", 10)], ignore_index=True)
    small = subsample(battles, 20, seed=1)
    assert small["source"].value_counts().to_dict() == {"x": 20, "y": 10}
    assert small["id"].tolist() == subsample(battles, 20, seed=1)["id"].tolist()


def test_baselines_on_auto_j_cross_validation(data_dir: Path) -> None:
    """The documented figures: prior ~37% accuracy (log loss ~1.089), longer-wins ~53% (3-way)."""
    battles, _ = read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")
    splits = in_domain_splits(battles, n_splits=5, seed=0)
    labels = battles["label"].to_numpy(dtype=int)
    results = {}
    for name in ("prior", "longer_wins"):
        run = run_splits(partial(create, name), battles, splits)
        results[name] = score(labels[run.test], run.proba)
    assert results["prior"].accuracy == pytest.approx(520 / 1392, abs=0.005)
    assert results["prior"].log_loss == pytest.approx(1.089, abs=0.005)
    assert 0.50 <= results["longer_wins"].accuracy <= 0.56
    assert results["longer_wins"].log_loss < results["prior"].log_loss - 0.05
