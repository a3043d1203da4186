"""Registered models by name: the benchmark runs every one, `train --model NAME` builds one, load() reads any."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from arenapref.models.base import ModelDirError, PreferenceModel, read_meta

MODELS: dict[str, Callable[[], PreferenceModel]] = {}
_CLASSES: dict[str, type[PreferenceModel]] = {}


def register(cls: type[PreferenceModel], factory: Callable[[], PreferenceModel] | None = None) -> type[PreferenceModel]:
    """Register a model class under cls.name (usable as a class decorator)."""
    MODELS[cls.name] = factory or cls
    _CLASSES[cls.name] = cls
    return cls


def create(name: str) -> PreferenceModel:
    _ensure_loaded()
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    return MODELS[name]()


def default_models() -> list[str]:
    """Registered names a plain `arenapref bench` runs: all but classes marked `bench_by_default = False`."""
    _ensure_loaded()
    return [name for name, cls in _CLASSES.items() if getattr(cls, "bench_by_default", True)]


def load(directory: str | Path) -> PreferenceModel:
    """Load any saved model directory; checks live in each class's from_state."""
    _ensure_loaded()
    meta = read_meta(directory)
    name = meta.get("model")
    if name not in _CLASSES:
        raise ModelDirError(f"{directory}: unknown model type {name!r}")
    return _CLASSES[name].from_state(meta["state"], Path(directory))


def _ensure_loaded() -> None:
    import arenapref.models.zoo  # noqa: F401  (imports every model module, which registers itself)
