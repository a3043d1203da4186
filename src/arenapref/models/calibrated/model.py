"""`calibrated`: any trained model, moved to another arena by the calibration family (family.py).

The wrapper reads the wrapped model's probabilities (averaged over both orders unless the model does so itself),
so it works for every model whose output is probabilities. fit(battles) calibrates on a small labelled sample of
the target arena (fit.py: a penalised fit toward the model as it is, its direction scale toward the model or the
sample's class prior, cross-validated on the sample); match_tie_rate(battles, rate) sets only the tie offset, so
that the mean P(tie) over the battles is `rate` (no labels needed). The model directory holds the wrapped model's
whole directory under `wrapped/` (a nested model directory, as an ensemble's members: the Kaggle kit checks and
carries it the same way) and, in model.json, the calibration, what was fit, the sample's size and SHA-256 and the
cross-validated log loss before and after.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from arenapref import __version__
from arenapref.data.schema import training_rows
from arenapref.features.labels import register_pattern
from arenapref.models.base import ModelDirError, PreferenceModel, Reason, mirror_average
from arenapref.models.calibrated.family import Calibration, CalibrationInputs
from arenapref.models.calibrated.fit import (
    DEFAULT_WHAT,
    CalibrationFit,
    Sample,
    calibrate,
    parameters,
    tie_offset_for_rate,
)
from arenapref.models.model_dir import check_version, require, training_data_hash

WRAPPED_DIR = "wrapped"
#: The reason `explain` adds for what the calibration did to the verdict's log-odds, and its name when the
#: calibration changed the verdict (the wrapped model's reasons are then for its own verdict, another class).
CALIBRATION_REASON = "calibration"
CALIBRATION_CHANGED = "calibration_changed_verdict"
CLASS_NAMES = ("A", "B", "tie")

register_pattern(
    CALIBRATION_REASON,
    "calibration to the target arena (tie rate, temperatures, length)",
    sentence=lambda _match, value: f"moved the verdict's log-odds by {value:+.2f}",
)
register_pattern(
    CALIBRATION_CHANGED,
    "calibration to the target arena changed the wrapped model's verdict",
    sentence=lambda _match, value: (
        f"moved the verdict's log-odds by {value:+.2f}; the other reasons are the wrapped model's, for its own verdict"
    ),
)


class CalibratedModel(PreferenceModel):
    """A trained model with its tie rate, temperatures and length weight fit to another arena."""

    name = "calibrated"
    position_symmetric = True
    #: Not trained from battles alone (`train` refuses it): it calibrates a trained model.
    wraps_trained_model: ClassVar[bool] = True

    def __init__(
        self,
        base: PreferenceModel | None = None,
        what: tuple[str, ...] | list[str] = DEFAULT_WHAT,
        seed: int = 0,
        calibration: Calibration | None = None,
    ) -> None:
        self.base = base
        self.what = tuple(what)
        self.free = parameters(self.what)
        self.seed = seed
        self.calibration = calibration or Calibration()
        self.result: CalibrationFit | None = None
        self.record: dict[str, Any] = {}
        self.base_dir: Path | None = None  # where the wrapped model was loaded from (copied whole on save)

    @classmethod
    def wrapping(cls, directory: str | Path, **kwargs: Any) -> CalibratedModel:
        """The model saved in `directory`, wrapped (uncalibrated: the identity)."""
        from arenapref.models import registry  # the wrapped model is any registered one (see the registry)

        model = cls(registry.load(directory), **kwargs)
        model.base_dir = Path(directory)
        return model

    # ---- fitting --------------------------------------------------------------------------------------------
    def fit(self, battles: pd.DataFrame) -> CalibratedModel:
        """Calibrate on the labelled battles of the target arena (fit.py). SampleTooSmall for a sample the
        cross-validation cannot use; when its cross-validated log loss is worse than the model's, the calibration
        stays the identity and `result.cv.worse` says so."""
        battles, _ = training_rows(battles)
        sample = Sample.build(battles, self.base_proba(battles))
        self.result = calibrate(sample, self.free, self.seed)
        kept = self.result.cv.worse
        self.calibration = self.result.usable
        three_way = sample.tie_allowed
        self.record = {
            "method": "sample",
            "what": list(self.what),
            "fitted": list(self.free),
            "strength": self.result.strength,
            "changed": self._changed(),
            "fit": self.result.calibration.to_dict(),  # what the sample gave, kept or not
            "kept_identity_because_cv_worse": kept,
            "sample": {
                "rows": len(sample),
                "prompts": sample.prompts,
                "sha256": training_data_hash(battles),
                "three_way_rows": int(three_way.sum()),
                "tie_rate": float(sample.target[three_way, 2].mean()) if three_way.any() else None,
                "mean_p_tie_before": float(_mean_tie(Calibration(), sample.inputs)),
                "mean_p_tie_after": float(_mean_tie(self.result.calibration, sample.inputs)),
            },
            "cv": {
                "folds": self.result.cv.folds,
                "before": self.result.cv.before,
                "after": self.result.cv.after,
                "standard_error": self.result.cv.standard_error,
            },
        }
        return self

    def match_tie_rate(self, battles: pd.DataFrame, rate: float) -> CalibratedModel:
        """Only the tie offset: the one with which the mean P(tie) over `battles` (labels not read) is `rate`."""
        inputs = self.inputs(battles)
        self.calibration = Calibration(tie_offset=tie_offset_for_rate(inputs.tie, rate))
        self.result = None
        self.record = {
            "method": "tie_rate",
            "tie_rate": rate,
            "changed": self._changed(),
            "battles": {"rows": len(battles), "sha256": training_data_hash(battles)},
            "mean_p_tie_before": float(_mean_tie(Calibration(), inputs)),
        }
        return self

    @staticmethod
    def identity_values() -> dict[str, float]:
        """The family's identity (the wrapped model as it is)."""
        return Calibration().to_dict()

    def _changed(self) -> dict[str, dict[str, float]]:
        identity = self.identity_values()
        return {
            name: {"from": identity[name], "to": value}
            for name, value in self.calibration.to_dict().items()
            if value != identity[name]
        }

    # ---- prediction -----------------------------------------------------------------------------------------
    def _base(self) -> PreferenceModel:
        if self.base is None:
            raise RuntimeError("the calibrated model wraps no model (CalibratedModel(base) or .wrapping(dir))")
        return self.base

    def base_proba(self, battles: pd.DataFrame) -> np.ndarray:
        """The wrapped model's probabilities, averaged over both orders unless it does so itself."""
        base = self._base()
        battles = battles.reset_index(drop=True)
        if base.position_symmetric:
            return np.asarray(base.predict_proba(battles), dtype=float)
        return mirror_average(base, battles)

    def inputs(self, battles: pd.DataFrame) -> CalibrationInputs:
        return CalibrationInputs.from_proba(self.base_proba(battles), battles.reset_index(drop=True))

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        return self.calibration.proba(self.inputs(battles))

    def explain(self, battles: pd.DataFrame, top: int = 5) -> list[list[Reason]] | None:
        return self.predict_explained(battles, top)[1]

    def predict_explained(self, battles: pd.DataFrame, top: int = 5) -> tuple[np.ndarray, list[list[Reason]] | None]:
        """The wrapped model's reasons (for its own verdict: `toward` names the class each pushed), with one more,
        `calibration`, for how much the calibration moved the log-odds of the calibrated verdict's class; named
        `calibration_changed_verdict` and put first where the calibrated verdict differs from the wrapped model's."""
        base = self._base()
        battles = battles.reset_index(drop=True)
        if base.position_symmetric:
            raw, reasons = base.predict_explained(battles, top)
        else:
            raw, reasons = mirror_average(base, battles), base.explain(battles, top)
        inputs = CalibrationInputs.from_proba(np.asarray(raw, dtype=float), battles)
        proba = self.calibration.proba(inputs)
        if reasons is None or self.calibration.is_identity:
            return proba, reasons
        shift_d = self.calibration.direction(inputs) - inputs.direction
        shift_t = self.calibration.tie(inputs) - inputs.tie
        out = []
        base_verdicts = np.argmax(np.asarray(raw, dtype=float), axis=1)
        for i, verdict in enumerate(np.argmax(proba, axis=1)):
            moved = float((shift_d[i], -shift_d[i], shift_t[i])[verdict])
            if verdict != base_verdicts[i]:
                out.append([Reason(CALIBRATION_CHANGED, moved, moved, CLASS_NAMES[verdict]), *reasons[i]][:top])
                continue
            reason = Reason(CALIBRATION_REASON, moved, moved, CLASS_NAMES[verdict])
            out.append(sorted([*reasons[i], reason], key=lambda r: -abs(r.contribution))[:top])
        return proba, out

    # ---- persistence ----------------------------------------------------------------------------------------
    def save_artifacts(self, directory: Path) -> None:
        target = directory / WRAPPED_DIR
        if self.base_dir is not None:
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(self.base_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            self._base().save(target)

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"params": {"what": list(self.what), "seed": self.seed}}
        if self.base is not None:
            state.update(
                {
                    "arenapref_version": __version__,
                    "wrapped_dir": WRAPPED_DIR,
                    "wrapped_model": self.base.name,
                    "wrapped_values": _own_values(self.base),
                    "calibration": self.calibration.to_dict(),
                    "identity": Calibration().to_dict(),
                    "record": self.record,
                }
            )
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> CalibratedModel:
        from arenapref.models import registry  # the wrapped model is any registered one (see the registry)

        require(state, ("params", "arenapref_version", "wrapped_dir", "calibration"), directory)
        check_version("arenapref", state["arenapref_version"], __version__, directory)
        try:
            calibration = Calibration(**{k: float(v) for k, v in state["calibration"].items()})
            model = cls(**state["params"])
        except (TypeError, ValueError) as exc:
            raise ModelDirError(f"{directory}: state.calibration or state.params unusable ({exc})") from None
        if not all(np.isfinite(calibration.vector())) or calibration.direction_scale < 0 or calibration.tie_scale < 0:
            raise ModelDirError(f"{directory}: state.calibration holds a non-finite or negative scale")
        wrapped = Path(directory) / str(state["wrapped_dir"])
        if (
            not wrapped.resolve().is_relative_to(Path(directory).resolve())
            or wrapped.resolve() == Path(directory).resolve()
        ):
            raise ModelDirError(f"{directory}: state.wrapped_dir must be a folder inside the model directory")
        model.base = registry.load(wrapped)
        model.base_dir = wrapped
        model.calibration = calibration
        model.record = state.get("record", {})
        return model


def _mean_tie(calibration: Calibration, inputs: CalibrationInputs) -> float:
    return float(calibration.proba(inputs)[:, 2].mean()) if len(inputs) else float("nan")


def _own_values(model: PreferenceModel) -> dict[str, Any]:
    """The wrapped model's own calibration, where it has one (the fast model: temperatures, length weight)."""
    values: dict[str, Any] = {}
    for name in ("temperatures", "length_weight", "tie_offset"):
        value = getattr(model, name, None)
        if value is not None:
            values[name] = value
    return values
