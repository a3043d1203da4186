"""An LLM judge as a PreferenceModel: zero-shot (fit learns nothing), predict_proba judges each battle in both
orders through arenapref.judge. `orders="both"` (the `judge` model) returns the two orders combined;
`orders="single"` returns the order shown, so that a benchmark's swapped run is the other order and position
consistency and Auto-J agreement come out as the judge really behaves (`judge-smollm2`)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from arenapref.judge.config import JudgeConfig
from arenapref.models.base import ModelDirError, PreferenceModel

ORDERS = ("both", "single")


class JudgeModel(PreferenceModel):
    """Judge with the settings of `config` (a local SmolLM2 judge by default). Responses are cached under the
    config's cache_dir (default: arenapref's cache folder), so predicting the swapped battles costs nothing."""

    name = "judge"
    is_judge: ClassVar[bool] = True

    def __init__(self, config: JudgeConfig | None = None, orders: str = "both") -> None:
        if orders not in ORDERS:
            raise ValueError(f"orders must be one of {ORDERS}, not {orders!r}")
        self.config = config or JudgeConfig(cache_dir=str(default_cache_dir()))
        self.orders = orders
        self._judge: Any = None
        self.last_result: Any = None  # the JudgeResult of the latest predict_proba (counts, per-order verdicts)

    @property
    def judge(self) -> Any:
        """The arenapref.judge Judge, built on first use (loading a model or opening a client)."""
        if self._judge is None:
            from arenapref.judge.config import make_judge

            self._judge = make_judge(self.config)
        return self._judge

    def fit(self, battles: pd.DataFrame) -> JudgeModel:
        """Nothing to learn: the judge is zero-shot."""
        return self

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        result = self.judge.judge(battles)
        self.last_result = result
        return np.asarray(result.proba if self.orders == "both" else result.proba_ab, dtype=float)

    def get_state(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "orders": self.orders}

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> JudgeModel:
        known = {f.name for f in fields(JudgeConfig)}
        raw = state.get("config", {})
        unknown = set(raw) - known
        if unknown:
            raise ModelDirError(f"{directory}: unknown judge setting(s) {', '.join(sorted(unknown))}")
        return cls(JudgeConfig(**raw), state.get("orders", "both"))


def default_cache_dir() -> Path:
    from arenapref.weights.locations import cache_root

    return cache_root() / "judge"


class SmolLM2Judge(JudgeModel):
    """The bundled SmolLM2-135M-Instruct judging one order per call, the verdict read from its logits after a
    short prompt (texts cut to 1,000 characters, no explanation): the benchmark's judge."""

    name = "judge-smollm2"

    def __init__(self, config: JudgeConfig | None = None, orders: str = "single") -> None:
        default = JudgeConfig(max_tokens=0, max_chars=1000, cache_dir=str(default_cache_dir()))
        super().__init__(config or default, orders)
