"""Fine-tuned transformers as preference models: `cross-encoder` (MiniLM by default) and `llm` (a causal LM with
LoRA; SmolLM2-135M by default), gluing models/neural: processor -> collator -> backbones -> training -> adapters.

Nothing here imports torch at import time (the registry imports this module); the neural modules are imported
inside the methods. Options are set by name (`set_options({"max_length": 128})`, `arenapref train --set`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from arenapref import __version__
from arenapref.data.folds import prompt_groups
from arenapref.data.schema import targets
from arenapref.models.base import ModelDirError, PreferenceModel
from arenapref.models.model_dir import check_version, require, training_data_hash
from arenapref.models.portable import base_checkpoint

if TYPE_CHECKING:  # pydantic comes with the nn extra; the core install registers these classes without it
    from arenapref.models.finetuned.config import FineTuneConfig

MIN_HELD_OUT = 20  # fewer held-out battles than this: no early stopping set


#: Key of the state under which registry.load passes options given at load time (never saved).
LOAD_OPTIONS = "load_options"


class FineTunedModel(PreferenceModel):
    """A transformer body with a 3-way head, trained on both orders of every battle, predicting their average."""

    name: ClassVar[str] = "fine-tuned"
    position_symmetric = True  # predict_pairs averages both orders
    fold_averaging = True  # adapters, heads or full weights: pipeline.fold_average
    kind: ClassVar[str] = "cross-encoder"

    def __init__(self, config: FineTuneConfig | None = None) -> None:
        self.config = config or self.default_config()
        self.net: Any = None
        self.tokenizer: Any = None
        self.base: Path | None = None
        self.training: dict[str, Any] = {}
        self.weights: dict[str, Any] = {}
        self.data_sha256: str | None = None
        self.progress: Any = None
        self._processor: Any = None

    @classmethod
    def default_config(cls) -> FineTuneConfig:
        from arenapref.models.finetuned.config import FineTuneConfig

        return FineTuneConfig(kind=cls.kind)  # type: ignore[arg-type]

    def set_options(self, options: dict[str, Any]) -> FineTunedModel:
        """Set config fields by name (ValueError on unknown names or bad values)."""
        self.config = self.config.with_options(options)
        self._processor = None
        return self

    @property
    def processor(self) -> Any:
        from arenapref.models.finetuned.processor import BattleProcessor

        if self._processor is None:
            self._processor = BattleProcessor(self.tokenizer, self.config.input, causal=self.kind == "llm")
        return self._processor

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else self.tokenizer.eos_token_id)

    def encode(self, battles: pd.DataFrame, y: np.ndarray | None = None, teacher: np.ndarray | None = None) -> Any:
        from arenapref.models.finetuned.training import Encoded

        y = np.zeros((len(battles), 3)) if y is None else y
        proc = self.processor
        return Encoded(proc.encode_battles(battles), proc.encode_battles(battles, swapped=True), y, teacher)

    def fit(self, battles: pd.DataFrame, teacher: np.ndarray | None = None) -> FineTunedModel:
        """Train on every battle with a label (or a teacher row); a prompt-grouped share is held out for early
        stopping. `teacher`: (n, 3) probabilities, NaN rows for none (distillation)."""
        import torch
        from transformers import AutoTokenizer

        from arenapref.models.finetuned.backbones import build_net, default_backbone
        from arenapref.models.finetuned.training import fit_net
        from arenapref.weights.gguf import resolve_checkpoint

        cfg = self.config
        self.base = resolve_checkpoint(cfg.net.backbone or default_backbone(self.kind))
        self.tokenizer = AutoTokenizer.from_pretrained(self.base)
        self._processor = None
        y = targets(battles)
        usable = y.sum(axis=1) > 0
        if teacher is not None:
            usable |= ~np.isnan(teacher).any(axis=1)
        rows = np.flatnonzero(usable)
        rng = np.random.default_rng(cfg.train.seed)
        if cfg.train.max_train_battles is not None and len(rows) > cfg.train.max_train_battles:
            rows = np.sort(rng.choice(rows, cfg.train.max_train_battles, replace=False))
        fit_rows, held_rows = held_out_split(battles.iloc[rows], cfg.train.eval_fraction, cfg.train.seed)
        fit_rows, held_rows = rows[fit_rows], rows[held_rows]
        if len(fit_rows) == 0:
            raise ValueError("no labelled battles to train on")

        def part(idx: np.ndarray) -> Any:
            t = None if teacher is None else teacher[idx]
            return self.encode(battles.iloc[idx].reset_index(drop=True), y[idx], t)

        torch.manual_seed(cfg.train.seed)
        self.net = build_net(self.base, cfg.net)
        init_head_bias(self.net, y[fit_rows])
        report = fit_net(
            self.net,
            part(fit_rows),
            part(held_rows) if len(held_rows) else None,
            cfg.train,
            cfg.loss,
            self.pad_id,
            self.progress,
        )
        from arenapref.models.finetuned.backbones import trainable_parameters

        self.training = {
            **report.to_dict(),
            "train_battles": len(fit_rows),
            "held_out_battles": len(held_rows),
            "trainable_parameters": trainable_parameters(self.net),
        }
        self.data_sha256 = training_data_hash(battles)
        return self

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        from arenapref.models.finetuned.training import predict_pairs

        if self.net is None:
            raise RuntimeError(f"{self.name}: fit or load the model first")
        if len(battles) == 0:
            return np.zeros((0, 3))
        data = self.encode(battles)
        train = self.config.train
        return predict_pairs(
            self.net, data.ids, data.swapped, train.predict_batch_size, self.pad_id, train.predict_max_tokens
        )

    def merge(self) -> FineTunedModel:
        """Fold LoRA into the base weights (the directory then holds full weights)."""
        from arenapref.models.finetuned.adapters import merge

        merge(self.net)
        return self

    def save_artifacts(self, directory: Path) -> None:
        from arenapref.models.finetuned.adapters import save_net

        if self.net is None or self.base is None:
            raise RuntimeError(f"{self.name}: nothing to save before fit")
        if self.config.net.merge_on_save:
            self.merge()
        self.weights = save_net(self.net, self.tokenizer, directory, self.base)

    def get_state(self) -> dict[str, Any]:
        return {
            "config": self.config.model_dump(),
            "weights": self.weights,
            "training": self.training,
            "data_sha256": self.data_sha256,
            "version": __version__,
        }

    @classmethod
    def with_load_options(cls, state: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        """The saved state with options to apply before the network loads (quantization, device_map, dtype-free
        prediction settings such as predict_max_tokens); ValueError on unknown names or bad values."""
        from arenapref.models.finetuned.config import FineTuneConfig

        FineTuneConfig.model_validate(state.get("config", {})).with_options(options)  # refuse bad options now
        return {**state, LOAD_OPTIONS: dict(options)}

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> FineTunedModel:
        from transformers import AutoTokenizer

        from arenapref.models.finetuned.adapters import TOKENIZER_DIR, load_net
        from arenapref.models.finetuned.config import FineTuneConfig

        require(state, ("config", "weights", "version"), directory)
        check_version("arenapref", state["version"], __version__, directory)
        model = cls(FineTuneConfig.model_validate(state["config"]))
        options = state.get(LOAD_OPTIONS) or {}
        if options:
            model.set_options(options)
        if not (directory / TOKENIZER_DIR).is_dir():
            raise ModelDirError(f"{directory}: missing {TOKENIZER_DIR}/")
        model.tokenizer = AutoTokenizer.from_pretrained(directory / TOKENIZER_DIR)
        net_config = model.config.net
        if state["weights"].get("weights") == "full" and "quantization" not in options:
            net_config = net_config.model_copy(update={"quantization": "none"})  # full weights: as saved, unless asked
        model.net = load_net(directory, state["weights"], net_config)
        model.weights, model.training = state["weights"], state.get("training", {})
        model.data_sha256 = state.get("data_sha256")
        model.base = base_checkpoint(directory, state["weights"])
        return model


def held_out_split(battles: pd.DataFrame, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit, held-out) positions, whole prompts on one side; no held-out set when it would be too small."""
    n = len(battles)
    if fraction <= 0 or n * fraction < MIN_HELD_OUT:
        return np.arange(n), np.zeros(0, dtype=int)
    groups = prompt_groups(battles)
    chosen = np.random.default_rng(seed).random(int(groups.max()) + 1) < fraction
    held = chosen[groups]
    return np.flatnonzero(~held), np.flatnonzero(held)


def init_head_bias(net: Any, y: np.ndarray) -> None:
    """Start the head at the (A/B-symmetric) class prior of the training labels, so training starts at the
    prior's log loss."""
    import torch

    mean = y[y.sum(axis=1) > 0].mean(axis=0) if (y.sum(axis=1) > 0).any() else np.full(3, 1 / 3)
    ab = (mean[0] + mean[1]) / 2
    prior = np.clip(np.array([ab, ab, mean[2]]), 1e-3, None)
    with torch.no_grad():
        net.head.bias.copy_(torch.as_tensor(np.log(prior / prior.sum()), dtype=net.head.bias.dtype))


class CrossEncoderModel(FineTunedModel):
    """An encoder (default: the bundled MiniLM), fully fine-tuned, mean-pooled. CPU-sized defaults: 256-token window,
    at most 2,000 training battles, one epoch, a 30-minute cap per fit (lift them with options on a GPU)."""

    name = "cross-encoder"
    kind = "cross-encoder"

    @classmethod
    def default_config(cls) -> FineTuneConfig:
        from arenapref.models.finetuned.config import BackboneConfig, FineTuneConfig, InputConfig, TrainConfig

        return FineTuneConfig(
            kind="cross-encoder",
            input=InputConfig(max_length=256, prompt_cap=64),
            net=BackboneConfig(pooling="mean", lora_r=0),
            train=TrainConfig(
                epochs=1,
                batch_size=8,
                lr=5e-5,
                head_lr=1e-3,
                eval_fraction=0.1,
                max_train_battles=2000,
                max_seconds=1800,
            ),
        )


class LLMModel(FineTunedModel):
    """A causal LM (default: the bundled SmolLM2-135M-Instruct GGUF) with LoRA r=8 on every linear layer and a
    3-way head on the last token; CPU-sized window and subset by default (a GPU run sets its own)."""

    name = "llm"
    kind = "llm"

    @classmethod
    def default_config(cls) -> FineTuneConfig:
        from arenapref.models.finetuned.config import BackboneConfig, FineTuneConfig, InputConfig, TrainConfig

        return FineTuneConfig(
            kind="llm",
            input=InputConfig(max_length=256, prompt_cap=64),
            net=BackboneConfig(pooling="last", lora_r=8, lora_alpha=16, lora_dropout=0.05, head_dropout=0.0),
            train=TrainConfig(
                epochs=1,
                batch_size=4,
                lr=2e-4,
                head_lr=1e-3,
                eval_fraction=0.1,
                max_train_battles=1000,
                max_seconds=1800,
            ),
        )
