"""Registered models by name: the benchmark runs every one, `train --model NAME` builds one, load() reads any.

The registry sits on top of the model modules: adding a model is one line in MODELS ("name": "module:Class"),
and no model module imports this one back. A model module is imported when its model is first created or
loaded, so loading a fast model never imports a neural one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arenapref.models.base import ModelDirError, PreferenceModel
from arenapref.models.manifest import checked_manifest

Factory = Callable[[], PreferenceModel]

#: name -> "module:Class" (imported on first use) or a zero-argument factory; insertion order is the benchmark's.
MODELS: dict[str, str | Factory] = {
    "prior": "arenapref.models.baselines:PriorModel",
    "longer_wins": "arenapref.models.baselines:LengthModel",
    "fast": "arenapref.models.trees.fast:FastModel",
    "fast-multiclass": "arenapref.models.trees.fast:FastMulticlassModel",
    "embed": "arenapref.models.embedding.embed:EmbedModel",
    "embed-minilm": "arenapref.models.embedding.embed:EmbedMiniLMModel",
    "embed-mlp": "arenapref.models.embedding.embed_mlp:EmbedMLPModel",
    "ensemble": "arenapref.models.embedding.ensemble:EnsembleModel",
    "calibrated": "arenapref.models.calibrated.model:CalibratedModel",
    "cross-encoder": "arenapref.models.finetuned.model:CrossEncoderModel",
    "llm": "arenapref.models.finetuned.model:LLMModel",
    "judge": "arenapref.judge.model:JudgeModel",
    "judge-smollm2": "arenapref.judge.model:SmolLM2Judge",
}
#: Models a plain `arenapref bench` skips; `arenapref bench --models NAME` runs them: the zero-shot judges (slow),
#: MiniLM embeddings (every text of every set encoded once: 1.6x the `embed` model's bench time on a CPU with
#: bfloat16 units, its encoding about 3x slower in float32 elsewhere), the ensemble (fits each member
#: (inner folds + 1) times per split; on mixed data one inner fold per dataset), the fine-tuned transformers
#: (GPU-sized work), and `calibrated` (it wraps a trained model; `bench --protocols transfer-calibrated` runs it).
OPT_IN = {"judge", "judge-smollm2", "embed-minilm", "ensemble", "calibrated", "cross-encoder", "llm"}


def create(name: str, options: dict[str, Any] | None = None) -> PreferenceModel:
    """A fresh model; `options` (name -> value) go to its set_options (ValueError if it takes none)."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    model = _resolve(MODELS[name])()
    if options:
        if not accepts_options(model):
            raise ValueError(f"model {name!r} takes no options")
        model.set_options(options)  # type: ignore[attr-defined]
    return model


def model_class(name: str) -> type[PreferenceModel] | None:
    """The class registered under `name` (None when unknown, or registered as a factory that is not a class)."""
    entry = MODELS.get(name)
    if entry is None:
        return None
    resolved = _resolve(entry)
    return resolved if isinstance(resolved, type) else None


def default_models() -> list[str]:
    """Registered names a plain `arenapref bench` runs: all but OPT_IN (no model module is imported to tell)."""
    return [name for name in MODELS if name not in OPT_IN]


def accepts_options(model: PreferenceModel) -> bool:
    """Whether the model can be configured by name with set_options (the fine-tuned models)."""
    return callable(getattr(model, "set_options", None))


def load(directory: str | Path, options: dict[str, Any] | None = None) -> PreferenceModel:
    """Load any saved model directory: model.json checked against its schema (here the envelope, in each class's
    from_state its state) and every recorded file against its SHA-256 before anything is read; any failure to
    load becomes a ModelDirError, so predict and serve refuse alike. `options` (name -> value) apply before the
    weights load (a fine-tuned model's quantization, device_map, ...)."""
    meta = checked_manifest(directory)
    cls = model_class(meta.model)
    if cls is None:
        raise ModelDirError(f"{directory}: unknown model type {meta.model!r}")
    state = meta.state
    if options:
        with_options = getattr(cls, "with_load_options", None)
        if with_options is None:
            raise ModelDirError(f"{directory}: a {meta.model} model takes no options")
        try:
            state = with_options(state, options)
        except ValueError as exc:
            raise ModelDirError(f"{directory}: {exc}") from None
    try:
        return cls.from_state(state, Path(directory))
    except ModelDirError:
        raise
    except Exception as exc:
        raise ModelDirError(f"{directory}: cannot load model ({type(exc).__name__}: {exc})") from exc


def _resolve(entry: str | Factory) -> Factory:
    if not isinstance(entry, str):
        return entry
    module, _, attribute = entry.partition(":")
    resolved: Factory = getattr(importlib.import_module(module), attribute)
    return resolved
