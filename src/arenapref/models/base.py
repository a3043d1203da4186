"""The one model interface: fit(battles), predict_proba(battles) -> (n, 3) [A wins, B wins, tie], save, load."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from arenapref import __version__
from arenapref.data.swap import swap, swap_proba
from arenapref.models.errors import ModelDirError as ModelDirError  # re-exported: its old home
from arenapref.models.model_dir import FILES_KEY, record_files
from arenapref.models.model_dir import META_FILE as META_FILE  # re-exported: its old home


@dataclass(frozen=True)
class Reason:
    """One feature's push on a verdict: its value and its contribution to the predicted class's raw score."""

    feature: str
    value: float
    contribution: float
    toward: str  # "A", "B" or "tie": the class whose score it raised (contribution > 0) or lowered


class PreferenceModel(ABC):
    """Base class of every model; a model directory holds everything predict and serve need."""

    name: ClassVar[str]
    #: predict_proba already averages both orders of a battle (swap TTA would add nothing but time).
    position_symmetric: ClassVar[bool] = False
    #: Its fold models can be averaged into one (pipeline.fold_average: the fine-tuned models' weights).
    fold_averaging: ClassVar[bool] = False

    @abstractmethod
    def fit(self, battles: pd.DataFrame) -> PreferenceModel: ...

    @abstractmethod
    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray: ...

    @abstractmethod
    def get_state(self) -> dict[str, Any]:
        """JSON-serialisable state (small); large artefacts are written by save_artifacts."""

    @classmethod
    @abstractmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> PreferenceModel: ...

    def explain(self, battles: pd.DataFrame, top: int = 5) -> list[list[Reason]] | None:
        """Per battle, the features that pushed the verdict most; None for models that cannot say."""
        return None

    def predict_explained(self, battles: pd.DataFrame, top: int = 5) -> tuple[np.ndarray, list[list[Reason]] | None]:
        """predict_proba and explain together (a model that shares their work overrides this: one pass, as a
        server answering with reasons wants)."""
        return self.predict_proba(battles), self.explain(battles, top)

    def save_artifacts(self, directory: Path) -> None:
        """Write large artefacts (e.g. a booster's text model) into the model directory."""

    def save(self, directory: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the artefacts, then model.json with the state and the SHA-256 of every file the folder holds
        (checked on load: registry.load)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.save_artifacts(directory)
        meta = {"model": self.name, "arenapref_version": __version__, "state": self.get_state(), **(extra or {})}
        meta[FILES_KEY] = record_files(directory)
        (directory / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
        return directory


def mirror_average(model: PreferenceModel, battles: pd.DataFrame) -> np.ndarray:
    """(n, 3) mean of the model's probabilities on the battles and, mirrored back, on their swaps (swap TTA)."""
    direct = np.asarray(model.predict_proba(battles), dtype=float)
    swapped = swap_proba(np.asarray(model.predict_proba(swap(battles)), dtype=float))
    return (direct + swapped) / 2


def read_meta(directory: str | Path) -> dict[str, Any]:
    """The model directory's metadata; raises ModelDirError if absent or unreadable."""
    path = Path(directory) / META_FILE
    if not path.is_file():
        raise ModelDirError(f"{directory}: not a model directory ({META_FILE} missing)")
    try:
        meta: dict[str, Any] = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelDirError(f"{path}: unreadable model metadata ({exc})") from None
    return meta
