"""`ensemble`: registered models stacked by weights fit on out-of-fold predictions inside the training data.

fit(train): the training battles are split into `inner_folds` folds grouped by prompt; each member is fit on all
folds but one and predicts the held-out one, giving out-of-fold probabilities for every training battle. The
stacker is fit on those only: logits = sum_m w_m log p_m + t * [class == tie], w_m >= 0 (a weighted geometric
pool with a tie offset), minimising the soft-label log loss. Then every member is refit on all the training
battles. The evaluation data never reaches the stacker: fit only sees the training table, and no member's
prediction on a battle it was fit on enters the weights.

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


def fit_stacker(log_p: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    """(weights >= 0, tie offset) minimising the mean cross-entropy of softmax(stack_logits) against soft targets
    (rows summing to 1), from equal weights."""
    members = len(log_p)

    def loss(x: np.ndarray) -> tuple[float, np.ndarray]:
        z = stack_logits(log_p, x[:members], x[members])
        p = softmax(z)
        value = -(target * np.log(np.clip(p, 1e-15, None))).sum(axis=1).mean()
        residual = (p - target) / len(target)  # d loss / d logits
        grad_w = np.einsum("mnc,nc->m", log_p, residual)
        return float(value), np.append(grad_w, residual[:, 2].sum())

    start = np.append(np.full(members, 1.0 / members), 0.0)
    bounds = [(0.0, None)] * members + [(None, None)]
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return result.x[:members], float(result.x[members])


class EnsembleModel(PreferenceModel):
    """Members stacked on out-of-fold predictions of prompt-grouped inner folds of the training data."""

    name = "ensemble"

    def __init__(self, members: list[str] | tuple[str, ...] = DEFAULT_MEMBERS, inner_folds: int = 2, seed: int = 0):
        self.member_names = list(members)
        self.inner_folds = inner_folds
        self.seed = seed
        self.members: list[PreferenceModel] = []
        self.weights = np.full(len(self.member_names), 1.0 / max(1, len(self.member_names)))
        self.tie_offset = 0.0
        self.training: dict[str, Any] = {}

    def fit(self, battles: pd.DataFrame) -> EnsembleModel:
        from arenapref.models import registry  # the members are models by name (see the registry)

        battles, y = training_rows(battles)
        oof = self.out_of_fold(battles)
        seen = ~np.isnan(oof[0, :, 0])
        if seen.any():
            target = y[seen] / y[seen].sum(axis=1, keepdims=True)
            self.weights, self.tie_offset = fit_stacker(np.log(np.clip(oof[:, seen], _EPS, None)), target)
        self.members = [registry.create(name).fit(battles) for name in self.member_names]
        self.training = {
            "rows": len(battles),
            "sha256": training_data_hash(battles),
            "stacked_rows": int(seen.sum()),
            "weights": dict(zip(self.member_names, self.weights.tolist(), strict=True)),
            "tie_offset": self.tie_offset,
        }
        return self

    def out_of_fold(self, battles: pd.DataFrame) -> np.ndarray:
        """(members, n, 3) probabilities of each training battle from members fit without its fold; NaN where no
        fold held a battle out (too few prompts for inner folds: equal weights are kept)."""
        from arenapref.models import registry  # the members are models by name (see the registry)

        oof = np.full((len(self.member_names), len(battles), 3), np.nan)
        try:
            folds = list(grouped_folds(battles, self.inner_folds, self.seed))
        except ValueError:
            return oof
        for train, test in folds:
            fit_part, held = battles.iloc[train].reset_index(drop=True), battles.iloc[test].reset_index(drop=True)
            for j, name in enumerate(self.member_names):
                oof[j, test] = registry.create(name).fit(fit_part).predict_proba(held)
        return oof

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
            "params": {"members": self.member_names, "inner_folds": self.inner_folds, "seed": self.seed}
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
