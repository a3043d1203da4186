"""Registered models by name: the benchmark runs every one, `train --model NAME` builds one, load() reads any."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from arenapref.models.base import ModelDirError, PreferenceModel, read_meta

MODELS: dict[str, Callable[[], PreferenceModel]] = {}
_CLASSES: dict[str, type[PreferenceModel]] = {}


def register(cls: type[PreferenceModel], factory: Callable[[], PreferenceModel] | None = None) -> type[PreferenceModel]:
    """Register a model class under cls.name (usable as a class decorator)."""
    MODELS[cls.name] = factory or cls
    _CLASSES[cls.name] = cls
    return cls


def create(name: str, options: dict[str, Any] | None = None) -> PreferenceModel:
    """A fresh model; `options` (name -> value) go to its set_options (ValueError if it takes none)."""
    _ensure_loaded()
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    model = MODELS[name]()
    if options:
        if not accepts_options(model):
            raise ValueError(f"model {name!r} takes no options")
        model.set_options(options)  # type: ignore[attr-defined]
    return model


def in_default_bench(name: str) -> bool:
    """False for models that run in `arenapref bench` only when named (class attribute default_bench)."""
    return bool(getattr(_CLASSES.get(name), "default_bench", True))


def accepts_options(model: PreferenceModel) -> bool:
    """Whether the model can be configured by name with set_options (the fine-tuned models)."""
    return callable(getattr(model, "set_options", None))


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
