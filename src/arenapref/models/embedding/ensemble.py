"""`ensemble`: registered models stacked by weights fit on out-of-fold predictions inside the training data.

fit(train): the training battles are split into inner folds; each member is fit on all folds but one and predicts
the held-out one, giving out-of-fold probabilities for every training battle. The stacker is fit on those only:
logits = sum_m w_m log p_m + t * [class == tie], w_m >= 0 (a weighted geometric pool with a tie offset),
minimising the soft-label log loss. Then every member is refit on all the training battles. The evaluation data
never reaches the stacker: fit only sees the training table, and no member's prediction on a battle it was fit on
enters the weights.

Inner folds, as the fast model's (`inner_split`): on one or two datasets `inner_folds` folds grouped by prompt; from
MIN_DATASETS_FOR_DATASET_FOLDS datasets on ("auto"), one fold per dataset, so the weights reward the members that
predict a dataset they never saw (a member that is sharp in-domain but miscalibrated on new sets, as `embed-mlp` is,
would otherwise take weight it loses on the evaluation set). Mixed data as in `fast`: battles of a two-way source
(tie_allowed False) score only the direction, p_A / (p_A + p_B), so they neither push the tie offset down nor
count as ties missed; each battle is weighted by (battles of its dataset)^-source_balance.

Position: with position-consistent members, log p_m of the swapped battle is the mirrored vector, the tie offset
is symmetric and the softmax sums columns in a fixed order, so the ensemble is exactly position consistent too.
The model directory holds each member's own directory under members/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from arenapref import __version__
from arenapref.data.folds import grouped_folds
from arenapref.data.schema import training_rows
from arenapref.data.sources import INNER_SPLITS, dataset_folds, source_weights
from arenapref.models.base import ModelDirError, PreferenceModel
from arenapref.models.model_dir import check_version, require, training_data_hash
from arenapref.models.temperature import softmax

DEFAULT_MEMBERS = ("embed", "embed-mlp")
MEMBERS_DIR = "members"
_EPS = 1e-6


def stack_logits(log_p: np.ndarray, weights: np.ndarray, tie_offset: float) -> np.ndarray:
    """(n, 3) logits from (members, n, 3) log-probabilities."""
    out = np.tensordot(weights, log_p, axes=1)
    out[:, 2] += tie_offset
    return out


def fit_stacker(
    log_p: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None, tie_allowed: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """(weights >= 0, tie offset) minimising the weighted mean cross-entropy of softmax(stack_logits) against soft
    targets (rows summing to 1), from equal weights. Rows with tie_allowed False score only the direction: the
    cross-entropy of p_A / (p_A + p_B) against the target's A/B split (the tie offset does not reach them)."""
    members, n = len(log_p), len(target)
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=float)
    w = w / w.sum()
    two_way = np.zeros(n, dtype=bool) if tie_allowed is None else ~np.asarray(tie_allowed, dtype=bool)
    target = target.copy()
    target[two_way] = _direction_target(target[two_way])

    def loss(x: np.ndarray) -> tuple[float, np.ndarray]:
        z = stack_logits(log_p, x[:members], x[members])
        z[two_way, 2] = -np.inf  # two-way rows: a softmax over A and B only
        p = softmax(z)
        value = -(w * (target * np.log(np.clip(p, 1e-15, None))).sum(axis=1)).sum()
        residual = (p - target) * w[:, None]  # d loss / d logits
        grad_w = np.einsum("mnc,nc->m", log_p, residual)
        return float(value), np.append(grad_w, residual[:, 2].sum())

    start = np.append(np.full(members, 1.0 / members), 0.0)
    bounds = [(0.0, None)] * members + [(None, None)]
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return result.x[:members], float(result.x[members])


def _direction_target(target: np.ndarray) -> np.ndarray:
    """Soft targets of two-way battles as (A, B, 0) shares (an even split where a row has no A/B mass)."""
    mass = target[:, :2].sum(axis=1, keepdims=True)
    direction = np.divide(target[:, :2], mass, out=np.full((len(target), 2), 0.5), where=mass > 0)
    return np.column_stack([direction, np.zeros(len(target))])


class EnsembleModel(PreferenceModel):
    """Members stacked on out-of-fold predictions of inner folds of the training data (by prompt, or by dataset)."""

    name = "ensemble"

    def __init__(
        self,
        members: list[str] | tuple[str, ...] = DEFAULT_MEMBERS,
        inner_folds: int = 2,
        seed: int = 0,
        inner_split: str = "auto",
        source_balance: float = 0.5,
    ):
        if inner_split not in INNER_SPLITS:
            raise ValueError(f"inner_split must be one of {INNER_SPLITS}, not {inner_split!r}")
        self.member_names = list(members)
        self.inner_folds = inner_folds
        self.seed = seed
        self.inner_split = inner_split
        self.source_balance = source_balance
        self.members: list[PreferenceModel] = []
        self.weights = np.full(len(self.member_names), 1.0 / max(1, len(self.member_names)))
        self.tie_offset = 0.0
        self.training: dict[str, Any] = {}

    def fit(self, battles: pd.DataFrame) -> EnsembleModel:
        from arenapref.models import registry  # the members are models by name (see the registry)

        battles, y = training_rows(battles)
        folds, split = self.inner_fold_indices(battles)
        oof = self.out_of_fold(battles, folds)
        seen = ~np.isnan(oof[0, :, 0])
        if seen.any():
            target = y[seen] / y[seen].sum(axis=1, keepdims=True)
            weight = source_weights(battles["source"], self.source_balance)[seen]
            tie_allowed = battles["tie_allowed"].to_numpy(dtype=bool)[seen]
            log_p = np.log(np.clip(oof[:, seen], _EPS, None))
            self.weights, self.tie_offset = fit_stacker(log_p, target, weight, tie_allowed)
        self.members = [registry.create(name).fit(battles) for name in self.member_names]
        self.training = {
            "rows": len(battles),
            "sha256": training_data_hash(battles),
            "stacked_rows": int(seen.sum()),
            "inner_split": split,
            "weights": dict(zip(self.member_names, self.weights.tolist(), strict=True)),
            "tie_offset": self.tie_offset,
        }
        return self

    def out_of_fold(self, battles: pd.DataFrame, folds: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """(members, n, 3) probabilities of each training battle from members fit without its fold; NaN where no
        fold held a battle out (too few prompts for inner folds: equal weights are kept)."""
        from arenapref.models import registry  # the members are models by name (see the registry)

        oof = np.full((len(self.member_names), len(battles), 3), np.nan)
        for train, test in folds:
            fit_part, held = battles.iloc[train].reset_index(drop=True), battles.iloc[test].reset_index(drop=True)
            for j, name in enumerate(self.member_names):
                oof[j, test] = registry.create(name).fit(fit_part).predict_proba(held)
        return oof

    def inner_fold_indices(self, battles: pd.DataFrame) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
        """(fit rows, held-out rows) of each inner fold, and their kind: one per dataset ("dataset") from
        MIN_DATASETS_FOR_DATASET_FOLDS datasets on (or from 2 with inner_split "dataset"), else `inner_folds` folds
        grouped by prompt ("prompt"), or none when the prompts are too few ("none")."""
        by_dataset = dataset_folds(battles["source"], self.inner_split)
        if by_dataset is not None:
            rows = np.arange(len(battles))
            return [(rows[by_dataset != k], rows[by_dataset == k]) for k in np.unique(by_dataset)], "dataset"
        try:
            return list(grouped_folds(battles, self.inner_folds, self.seed)), "prompt"
        except ValueError:
            return [], "none"

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        if not self.members:
            raise RuntimeError("the ensemble is not fitted")
        battles = battles.reset_index(drop=True)
        log_p = np.stack([np.log(np.clip(m.predict_proba(battles), _EPS, None)) for m in self.members])
        return softmax(stack_logits(log_p, self.weights, self.tie_offset))

    # ---- persistence ----------------------------------------------------------------------------------------
    def save_artifacts(self, directory: Path) -> None:
        if not self.members:
            raise RuntimeError("cannot save an unfitted model")
        for folder, member in zip(self._folders(), self.members, strict=True):
            member.save(directory / folder)

    def _folders(self) -> list[str]:
        return [f"{MEMBERS_DIR}/{j}-{name}" for j, name in enumerate(self.member_names)]

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "params": {
                "members": self.member_names,
                "inner_folds": self.inner_folds,
                "seed": self.seed,
                "inner_split": self.inner_split,
                "source_balance": self.source_balance,
            }
        }
        if self.members:
            state.update(
                {
                    "arenapref_version": __version__,
                    "member_dirs": self._folders(),
                    "weights": self.weights.tolist(),
                    "tie_offset": self.tie_offset,
                    "training": self.training,
                }
            )
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> EnsembleModel:
        from arenapref.models import registry  # the members are models by name (see the registry)

        require(state, ("params", "arenapref_version", "member_dirs", "weights", "tie_offset"), directory)
        check_version("arenapref", state["arenapref_version"], __version__, directory)
        model = cls(**state["params"])
        if len(state["member_dirs"]) != len(model.member_names) or len(state["weights"]) != len(model.member_names):
            raise ModelDirError(f"{directory}: members, their folders and weights differ in number")
        model.members = [registry.load(directory / folder) for folder in state["member_dirs"]]
        model.weights = np.asarray(state["weights"], dtype=float)
        model.tie_offset = float(state["tie_offset"])
        model.training = state.get("training", {})
        return model
