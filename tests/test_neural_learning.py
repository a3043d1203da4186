"""The real learning test: the bundled MiniLM cross-encoder fine-tuned on 240 Auto-J battles predicts held-out
battles (other prompts) with a lower log loss than the class prior fitted on the same battles (fixed seed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from arenapref.data.folds import grouped_folds
from arenapref.data.io import read_battles
from arenapref.evaluation.metrics import kaggle_log_loss
from arenapref.models.registry import create
from neural_support import one_thread  # noqa: F401


@pytest.mark.slow
def test_minilm_cross_encoder_beats_the_prior_on_held_out_autoj(data_dir: Path) -> None:
    battles, _ = read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")
    train_idx, test_idx = next(grouped_folds(battles, n_splits=4, seed=0))
    rng = np.random.default_rng(0)
    train = battles.iloc[np.sort(rng.choice(train_idx, 240, replace=False))].reset_index(drop=True)
    test = battles.iloc[np.sort(rng.choice(test_idx, 150, replace=False))].reset_index(drop=True)
    options = {"max_length": 128, "prompt_cap": 24, "epochs": 1, "lr": 1e-4, "eval_fraction": 0, "progress_bar": False}
    model = create("cross-encoder", options).fit(train)
    labels = test["label"].to_numpy(dtype=int)
    prior = kaggle_log_loss(labels, create("prior").fit(train).predict_proba(test))
    tuned = kaggle_log_loss(labels, model.predict_proba(test))
    assert tuned < prior, (tuned, prior)
