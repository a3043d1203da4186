"""The fast model: LightGBM on hand-made features, the model every user can train on a laptop.

Position: every battle is trained on in both orders (swap augmentation) and predicted as the mirror-average of
both orders, so a verdict never depends on position (P_A(x) == P_B(swap x) exactly).

Ties, with mixed training data: 2-way sources (tie_allowed False: chosen/rejected sets) say which response won
when the rater had to choose; they say nothing about how often a rater would have called a tie. A single
multiclass booster would read their rows as "never a tie" and lower the tie probability it gives 3-way sets.
So by default (`tie_mode="heads"`) the model is factored into two boosters:
- the direction head, P(A wins | not a tie), trained on every non-tie row of every source (soft labels as
  cross-entropy targets, weighted by their non-tie mass);
- the tie head, P(tie), trained only on rows of sources whose labelling has ties;
and P = [(1 - t) d, (1 - t)(1 - d), t]. Each head's margin gets its own temperature, fit on out-of-fold
predictions of inner folds grouped by prompt. `tie_mode="multiclass"` (registered as "fast-multiclass") is the
plain multiclass booster over all rows, kept as the benchmark's control for this choice.

Datasets of very different sizes: each battle is weighted by (battles of its dataset)^-source_balance (default
0.5), so that one large set (e.g. hh-rlhf's 8,500 chosen/rejected pairs) does not set the verdicts alone; on a
single-source file such as Kaggle's every weight is 1.

Training on several datasets (`inner_split="auto"`: from MIN_DATASETS_FOR_DATASET_FOLDS datasets on): the inner
folds hold out whole datasets instead of prompts. The rounds (early stopping), the temperatures and the weight of
the length prior below are then chosen by how well the heads predict a dataset they did not see, which is what a
model trained on a mix of sets is used for. Prompt-grouped folds choose them for the training sets' own mix of
labelling conventions: they reward cues that identify a set (its tie rate, its length preference in a given kind
of prompt), which do not carry over to a new set. On a single dataset (Kaggle, or one set cross-validated) the
folds stay grouped by prompt.

Length prior: the direction head's log-odds are a * booster margin + b * sign(l) sqrt|l|, l = the normalised
length difference of the responses (feature `chars_norm_diff`; the shape of baselines.LengthModel). a (1 / the
temperature) and b are fit together on the held-out margins, so b is what the held-out data says length adds to
the booster: near 0 with prompt folds (the booster has length already), larger with dataset folds, where the
booster's set-specific cues transfer less well than the verbosity preference shared by most sets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import lightgbm as lgb
import numpy as np
import pandas as pd

from arenapref import __version__
from arenapref.data.schema import training_rows
from arenapref.data.sources import INNER_SPLITS, source_weights
from arenapref.data.swap import MIRROR
from arenapref.features.builder import FeatureBuilder, FeatureConfig
from arenapref.features.pair import FeatureMatrix
from arenapref.models.base import ModelDirError, PreferenceModel, Reason
from arenapref.models.explanation import top_reasons
from arenapref.models.manifest import check
from arenapref.models.model_dir import (
    check_version,
    read_checked,
    sha256_text,
    training_data_hash,
    write_checked,
)
from arenapref.models.temperature import fit_softmax_temperature, sigmoid, softmax
from arenapref.models.trees.booster_text import load_booster
from arenapref.models.trees.boosting import BoostParams, HeadFit, fit_concurrently, fit_head
from arenapref.models.trees.calibration import (
    LENGTH_FEATURE,
    binary_temperature,
    direction_calibration,
    length_prior,
    mean_one,
)
from arenapref.models.trees.fast_state import FittedFastState
from arenapref.models.trees.inner_folds import inner_folds
from arenapref.models.trees.margins import direction_margin, held_out, multiclass_proba, predict, tie_margin

TIE_MODES = ("heads", "multiclass")
CLASS_NAMES = ("A", "B", "tie")
FEATURES_FILE = "features.json"
Folds = np.ndarray | None  # inner fold of each battle, or None for no inner folds


class FastModel(PreferenceModel):
    """LightGBM over style, content-cue, pair and TF-IDF features; symmetric in A/B; tie-aware on mixed data."""

    name = "fast"
    position_symmetric = True
    #: The schema model.json's state is checked against on load (a subclass with more state extends it).
    state_schema: ClassVar[type[FittedFastState]] = FittedFastState

    def __init__(
        self,
        tie_mode: str = "heads",
        inner_folds: int | None = None,
        inner_split: str = "auto",
        source_balance: float = 0.5,
        features: FeatureConfig | dict[str, Any] | None = None,
        boost: BoostParams | dict[str, Any] | None = None,
    ) -> None:
        if tie_mode not in TIE_MODES:
            raise ValueError(f"tie_mode must be one of {TIE_MODES}, got {tie_mode!r}")
        if inner_split not in INNER_SPLITS:
            raise ValueError(f"inner_split must be one of {INNER_SPLITS}, got {inner_split!r}")
        self.tie_mode = tie_mode
        self.inner_folds = inner_folds
        self.inner_split = inner_split
        self.source_balance = source_balance
        self.features = features if isinstance(features, FeatureConfig) else FeatureConfig.from_dict(features or {})
        self.boost = boost if isinstance(boost, BoostParams) else BoostParams(**(boost or {}))
        self.builder: FeatureBuilder | None = None
        self.boosters: dict[str, lgb.Booster] = {}
        self.temperatures: dict[str, float] = {}
        self.length_weight = 0.0  # b of the length prior (module docstring)
        self.training: dict[str, Any] = {}
        self.progress: Callable[[str], None] | None = None  # told each stage of long work (the CLI's status line)
        self._artifacts: dict[str, str] | None = None

    # ---- training -------------------------------------------------------------------------------------------
    def fit(self, battles: pd.DataFrame) -> FastModel:
        battles, y = training_rows(battles)
        self._stage(f"fingerprinting {len(battles):,} training battles")
        data_hash = training_data_hash(battles)
        matrix = self._fit_features(battles)
        fold_of, split = self._inner_folds(battles)
        tie_allowed = battles["tie_allowed"].to_numpy(dtype=bool)
        weight = source_weights(battles["source"], self.source_balance)
        self.boosters, self.temperatures, self.length_weight = {}, {}, 0.0
        if self.tie_mode == "heads":
            self._fit_heads(matrix, y, weight, tie_allowed, fold_of)
        else:
            self._fit_multiclass(matrix, y, weight, fold_of)
        self.training = {
            "rows": len(battles),
            "sha256": data_hash,
            "sources": {str(k): int(v) for k, v in battles["source"].value_counts().sort_index().items()},
            "tie_allowed_rows": int(tie_allowed.sum()),
            "inner_folds": 0 if fold_of is None else int(fold_of.max()) + 1,
            "inner_split": split,
            "rounds": {name: int(b.current_iteration()) for name, b in self.boosters.items()},
        }
        self._artifacts = None
        return self

    def _fit_features(self, battles: pd.DataFrame) -> FeatureMatrix:
        """Fit the feature settings on the training battles and return their features (a subclass adds columns)."""
        self._stage("fitting TF-IDF vocabularies")
        self.builder = FeatureBuilder(self.features).fit(battles)
        self._stage(f"computing features of {len(battles):,} battles")
        return self.builder.transform(battles, n_jobs=self.boost.n_jobs)

    def _feature_names(self) -> list[str]:
        """Names of the model's feature columns (a subclass appends its own after the builder's)."""
        assert self.builder is not None
        return self.builder.names

    def _restore_features(self, state: dict[str, Any], directory: Path) -> None:
        """Hook for a subclass: rebuild its own feature state from a saved model before the names are checked."""

    def _inner_folds(self, battles: pd.DataFrame) -> tuple[np.ndarray | None, str]:
        """Inner fold of each battle and how the folds were made (trees.inner_folds)."""
        return inner_folds(battles, self.inner_folds, self.inner_split, self.boost.seed)

    def _fit_heads(
        self, m: FeatureMatrix, y: np.ndarray, source_weight: np.ndarray, tie_allowed: np.ndarray, fold_of: Folds
    ) -> None:
        x, xs = m.values, m.swapped()
        mass = y[:, 0] + y[:, 1]
        direction_rows, tie_rows = np.flatnonzero(mass > 0), np.flatnonzero(tie_allowed)
        if len(direction_rows) == 0:
            raise ValueError("no battle with a winner to train the direction head on")
        p_a = y[direction_rows, 0] / mass[direction_rows]
        direction_weight = mean_one(mass[direction_rows] * source_weight[direction_rows])
        tie_weight = mean_one(source_weight[tie_rows])

        def direction() -> HeadFit:
            return self._fit_both_orders(m, direction_rows, p_a, 1 - p_a, direction_weight, fold_of, "cross_entropy")

        def tie() -> HeadFit:
            label = y[tie_rows, 2]
            return self._fit_both_orders(m, tie_rows, label, label, tie_weight, fold_of, "cross_entropy")

        jobs = {"direction": direction}
        if len(tie_rows):  # else no source with ties: P(tie) = 0
            jobs["tie"] = tie
        self._stage(
            f"training {' and '.join(jobs)} heads on {2 * len(direction_rows):,} and {2 * len(tie_rows):,} rows"
            " (both orders)"
        )
        fits = fit_concurrently(jobs, self.boost.n_jobs)
        self.boosters["direction"] = fits["direction"].booster
        margin = held_out(fits["direction"], x, xs, direction_margin)
        self.temperatures["direction"], self.length_weight = direction_calibration(
            margin[direction_rows], length_prior(x, m.names)[direction_rows], p_a, direction_weight
        )
        if "tie" in fits:
            self.boosters["tie"] = fits["tie"].booster
            margin = held_out(fits["tie"], x, xs, tie_margin)
            self.temperatures["tie"] = binary_temperature(margin, tie_rows, y[tie_rows, 2], tie_weight)

    def _fit_multiclass(self, m: FeatureMatrix, y: np.ndarray, source_weight: np.ndarray, fold_of: Folds) -> None:
        x, xs = m.values, m.swapped()
        rows, classes = np.nonzero(y)  # soft labels: one weighted copy per class
        weight = mean_one(y[rows, classes] * source_weight[rows])
        self._stage(f"training the multiclass booster on {2 * len(rows):,} rows (both orders)")
        fit = self._fit_both_orders(m, rows, classes, MIRROR[classes], weight, fold_of, "multiclass", num_class=3)
        self.boosters["multiclass"] = fit.booster
        proba = held_out(fit, x, xs, multiclass_proba)
        seen = ~np.isnan(proba[:, 0])
        log_p = np.log(np.clip(proba[seen], 1e-15, None))
        target = y[seen] * source_weight[seen, None]
        self.temperatures["multiclass"] = fit_softmax_temperature(log_p, target) if seen.any() else 1.0

    def _fit_both_orders(
        self,
        m: FeatureMatrix,
        rows: np.ndarray,
        label: np.ndarray,
        swapped_label: np.ndarray,
        weight: np.ndarray,
        fold_of: Folds,
        objective: str,
        **extra: Any,
    ) -> HeadFit:
        """A booster trained on `rows` as given and on their swapped copies (labels mirrored, same weights)."""
        part = m.rows(rows)
        return fit_head(
            np.vstack([part.values, part.swapped()]),
            np.concatenate([label, swapped_label]),
            np.concatenate([weight, weight]),
            np.concatenate([rows, rows]),
            fold_of,
            m.names,
            self.boost,
            objective,
            **extra,
        )

    # ---- prediction -----------------------------------------------------------------------------------------
    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        matrix = self._features(battles)
        return self._proba(matrix.values, matrix.swapped())

    def _features(self, battles: pd.DataFrame) -> FeatureMatrix:
        if self.builder is None or not self.boosters:
            raise RuntimeError("the fast model is not fitted")
        return self._transform(battles.reset_index(drop=True))

    def _transform(self, battles: pd.DataFrame) -> FeatureMatrix:
        """Features of battles with the fitted settings (a subclass adds columns)."""
        assert self.builder is not None
        return self.builder.transform(battles, n_jobs=self.boost.n_jobs)

    def _proba(self, x: np.ndarray, xs: np.ndarray) -> np.ndarray:
        if self.tie_mode == "multiclass":
            p = multiclass_proba(self.boosters["multiclass"], x, xs)
            return softmax(np.log(np.clip(p, 1e-15, None)) / self.temperatures["multiclass"])
        d = self._direction_log_odds(x, xs)
        tie = np.zeros(len(x))
        if "tie" in self.boosters:
            tie = sigmoid(tie_margin(self.boosters["tie"], x, xs) / self.temperatures["tie"])
        return np.column_stack([(1 - tie) * sigmoid(d), (1 - tie) * sigmoid(-d), tie])

    def _direction_log_odds(self, x: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """Log-odds of A over B: the booster's margin over its temperature plus the length prior."""
        d = direction_margin(self.boosters["direction"], x, xs) / self.temperatures["direction"]
        if self.length_weight:
            assert self.builder is not None
            d = d + self.length_weight * length_prior(x, self.builder.names)
        return d

    # ---- explanation ----------------------------------------------------------------------------------------
    def explain(self, battles: pd.DataFrame, top: int = 5) -> list[list[Reason]]:
        """Per battle, the `top` features with the largest LightGBM contribution (SHAP values, both orders
        combined) to the predicted class: for A or B the direction head's log-odds of that side, for a tie the
        tie head's log-odds. `contribution` > 0 raised the predicted class, < 0 lowered it. Grouped features (the
        TF-IDF components) count as one reason, their contributions summed (models/explanation.py)."""
        return self.predict_explained(battles, top)[1]

    def predict_explained(self, battles: pd.DataFrame, top: int = 5) -> tuple[np.ndarray, list[list[Reason]]]:
        """Probabilities and reasons from one feature computation."""
        matrix = self._features(battles)
        x, xs = matrix.values, matrix.swapped()
        proba = self._proba(x, xs)
        return proba, self._reasons(matrix, x, xs, np.argmax(proba, axis=1), top) if len(x) else []

    def _reasons(
        self, matrix: FeatureMatrix, x: np.ndarray, xs: np.ndarray, verdict: np.ndarray, top: int
    ) -> list[list[Reason]]:
        contributions = self._contributions(x, xs, matrix.mirror, verdict)
        return top_reasons(matrix.names, x, contributions, [CLASS_NAMES[v] for v in verdict], top)

    def _contributions(self, x: np.ndarray, xs: np.ndarray, mirror: np.ndarray, verdict: np.ndarray) -> np.ndarray:
        """(n, features) contribution of each original feature to the verdict class's score; column mirror[j] of
        the swapped rows holds original feature j, so its contribution is credited to j."""
        k = x.shape[1]
        if self.tie_mode == "multiclass":
            c = predict(self.boosters["multiclass"], x, pred_contrib=True).reshape(len(x), 3, k + 1)[:, :, :k]
            cs = predict(self.boosters["multiclass"], xs, pred_contrib=True).reshape(len(x), 3, k + 1)[:, :, :k]
            rows = np.arange(len(x))
            return (c[rows, verdict] + cs[rows, MIRROR[verdict]][:, mirror]) / (2 * self.temperatures["multiclass"])
        c = predict(self.boosters["direction"], x, pred_contrib=True)[:, :k]
        cs = predict(self.boosters["direction"], xs, pred_contrib=True)[:, :k]
        direction = (c - cs[:, mirror]) / (2 * self.temperatures["direction"])
        if self.length_weight:  # the length prior is credited to the feature it is computed from
            assert self.builder is not None
            j = self.builder.names.index(LENGTH_FEATURE)
            direction[:, j] += self.length_weight * length_prior(x, self.builder.names)
        out = np.where((verdict == 1)[:, None], -direction, direction)
        if "tie" in self.boosters and (verdict == 2).any():
            c = predict(self.boosters["tie"], x, pred_contrib=True)[:, :k]
            cs = predict(self.boosters["tie"], xs, pred_contrib=True)[:, :k]
            tie = (c + cs[:, mirror]) / (2 * self.temperatures["tie"])
            out = np.where((verdict == 2)[:, None], tie, out)
        return out

    # ---- persistence ----------------------------------------------------------------------------------------
    def _params(self) -> dict[str, Any]:
        return {
            "tie_mode": self.tie_mode,
            "inner_folds": self.inner_folds,
            "inner_split": self.inner_split,
            "source_balance": self.source_balance,
            "features": self.features.to_dict(),
            "boost": self.boost.to_dict(),
        }

    def _artifact_texts(self) -> dict[str, str]:
        if self._artifacts is None:
            assert self.builder is not None
            texts = {FEATURES_FILE: json.dumps(self.builder.get_state())}
            for name, booster in self.boosters.items():
                texts[f"{name}.lgb.txt"] = booster.model_to_string()
            self._artifacts = texts
        assert self._artifacts is not None
        return self._artifacts

    def save_artifacts(self, directory: Path) -> None:
        if self.builder is None:
            raise RuntimeError("cannot save an unfitted model")
        for name, text in self._artifact_texts().items():
            write_checked(directory, name, text)

    def get_state(self) -> dict[str, Any]:
        """Settings; once fitted also the artefact records (file + SHA-256), temperatures, versions, data hash."""
        state: dict[str, Any] = {"params": self._params()}
        if self.builder is None:
            return state
        files = {name: {"file": name, "sha256": sha256_text(text)} for name, text in self._artifact_texts().items()}
        state.update(
            {
                "arenapref_version": __version__,
                "lightgbm_version": lgb.__version__,
                "feature_version": self.features.version,
                "feature_names": self._feature_names(),
                "features_file": files.pop(FEATURES_FILE),
                "boosters": {name.removesuffix(".lgb.txt"): record for name, record in files.items()},
                "temperatures": self.temperatures,
                "length_weight": self.length_weight,
                "training": self.training,
            }
        )
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> FastModel:
        """Rebuild a saved model, refusing a directory whose state, files, versions or feature layout do not match."""
        saved = check(cls.state_schema, state, directory, prefix=("state",))
        check_version("arenapref", saved.arenapref_version, __version__, directory)
        check_version("LightGBM", saved.lightgbm_version, lgb.__version__, directory, parts=1)
        try:
            model = cls(**saved.params.kwargs())
        except ValueError as exc:
            raise ModelDirError(f"{directory}: state.params: {exc}") from None
        try:
            features = json.loads(read_checked(directory, saved.features_file.model_dump()))
            model.builder = FeatureBuilder.from_state(features)
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelDirError(f"{directory}: feature settings unusable ({exc})") from None
        model._restore_features(state, directory)
        names = saved.feature_names
        if model._feature_names() != names:
            raise ModelDirError(f"{directory}: {FEATURES_FILE} does not build the features the model was trained on")
        for head, record in saved.boosters.items():
            booster = load_booster(read_checked(directory, record.model_dump()), f"{directory}/{record.file}")
            if booster.num_feature() != len(names) or booster.feature_name() != names:
                raise ModelDirError(
                    f"{directory}: {record.file} expects {booster.num_feature()} features, "
                    f"the feature settings build {len(names)} (names differ)"
                )
            model.boosters[head] = booster
        model.temperatures = dict(saved.temperatures)
        model.length_weight = saved.length_weight
        if model.length_weight and LENGTH_FEATURE not in names:
            raise ModelDirError(f"{directory}: the length prior needs the feature {LENGTH_FEATURE!r}")
        model.training = saved.training
        return model

    def _stage(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


class FastMulticlassModel(FastModel):
    """The fast model as one multiclass booster over all rows, without tie handling: the benchmark's control for
    what the separate tie head does on mixed 2-way / 3-way training data."""

    name = "fast-multiclass"

    def __init__(self, tie_mode: str = "multiclass", **kwargs: Any) -> None:
        super().__init__(tie_mode=tie_mode, **kwargs)
