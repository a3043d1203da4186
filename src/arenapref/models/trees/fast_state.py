"""The schema of the fast model's state in model.json: settings, artefact records, calibration, versions.
Values a fit cannot produce are refused here, before they could turn into probabilities of exactly 0 or 1."""

from __future__ import annotations

import math
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arenapref.features.builder import FeatureConfig
from arenapref.models.manifest import FileRecord
from arenapref.models.temperature import TEMPERATURE_RANGE
from arenapref.models.trees.boosting import BoostParams

#: |length_weight| above this is not a fitted value (a fit gives a few log-odds per unit of a prior in [-1, 1]).
MAX_LENGTH_WEIGHT = 50.0
#: The boosters each tie mode writes ("tie" is absent when the training data held no tie).
HEADS = {"heads": ({"direction"}, {"direction", "tie"}), "multiclass": ({"multiclass"},)}
#: Slack on the temperature range: values are written as JSON floats.
_SLACK = 1e-9


class FastParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tie_mode: Literal["heads", "multiclass"] = "heads"
    inner_folds: int | None = Field(default=None, ge=0)
    inner_split: str = "auto"
    source_balance: float = Field(default=0.5, ge=0, le=1)
    features: FeatureConfig = Field(default_factory=FeatureConfig)
    boost: BoostParams = Field(default_factory=BoostParams)

    def kwargs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}


class FittedFastState(BaseModel):
    """A fitted fast model's state (an unfitted one holds only `params` and cannot be loaded)."""

    model_config = ConfigDict(extra="forbid")

    params: FastParams
    arenapref_version: str
    lightgbm_version: str
    feature_version: int
    feature_names: list[str] = Field(min_length=1)
    features_file: FileRecord
    boosters: dict[str, FileRecord] = Field(min_length=1)
    temperatures: dict[str, float]
    length_weight: float = Field(default=0.0, ge=-MAX_LENGTH_WEIGHT, le=MAX_LENGTH_WEIGHT)
    training: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        heads = set(self.boosters)
        if heads not in HEADS[self.params.tie_mode]:
            raise ValueError(f"boosters {sorted(heads)} do not match tie_mode {self.params.tie_mode!r}")
        if set(self.temperatures) != heads:
            raise ValueError(f"temperatures {sorted(self.temperatures)} do not match boosters {sorted(heads)}")
        low, high = TEMPERATURE_RANGE
        for head, value in self.temperatures.items():
            if not (low * (1 - _SLACK) <= value <= high * (1 + _SLACK)) or math.isnan(value):
                raise ValueError(f"temperature {head} = {value} is outside the fitted range [{low:.4g}, {high:.4g}]")
        return self
