"""Settings of the fine-tuned models (pydantic, validated): input building, backbone, loss, training.

Pure data, no torch: the registered model classes import it at start-up. Every field name is unique across the
four parts, so `FineTuneConfig.with_options({"max_length": "128", "epochs": "1"})` can set any of them by name
(the `--set KEY=VALUE` options of `arenapref train` and `arenapref bench`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Truncation = Literal["turns", "left", "right"]
Pooling = Literal["last", "mean", "cls"]
Precision = Literal["auto", "no", "bf16", "fp16"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class InputConfig(_Strict):
    """How a battle becomes one token sequence (processor.BattleProcessor)."""

    max_length: int = Field(default=512, ge=16, description="Window in tokens, special tokens included.")
    truncation: Truncation = Field(
        default="turns",
        description="turns: keep whole turns from the end, cap the prompt, trim the longer answer first; "
        "left: keep the last tokens; right: keep the first tokens.",
    )
    prompt_cap: int = Field(
        default=128, ge=1, description="'turns': a prompt is cut to this many tokens when space runs out."
    )
    null_marker: str = Field(default="[no response]", description="Text standing for a missing (None) turn.")
    prompt_header: str = "<prompt>: "
    a_header: str = "\n\n<response_a>: "
    b_header: str = "\n\n<response_b>: "
    turn_separator: str = "\n\n"


class BackboneConfig(_Strict):
    """Which checkpoint and how it is adapted (backbones.build_net)."""

    backbone: str | None = Field(default=None, description="Checkpoint folder or .gguf file; None: the kind's default.")
    pooling: Pooling = Field(default="mean", description="Sequence vector fed to the 3-way head.")
    lora_r: int = Field(default=0, ge=0, description="LoRA rank; 0 trains every weight.")
    lora_alpha: int = Field(default=16, ge=1)
    lora_dropout: float = Field(default=0.05, ge=0, lt=1)
    lora_targets: str | list[str] = Field(default="all-linear", description="peft target_modules.")
    dtype: Literal["float32", "bfloat16", "float16"] = Field(
        default="float32", description="Weights' dtype (bfloat16 on a GPU, with optimizer=adamw-kahan)."
    )
    gradient_checkpointing: bool = False
    quantization: Literal["none", "4bit", "8bit"] = Field(
        default="none",
        description="bitsandbytes loading (GPU only): in training (QLoRA), or at prediction (`predict --set`).",
    )
    predict_dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        default="auto",
        description="dtype of a loaded network: auto: bfloat16 on GPUs with it, float16 on older GPUs (T4), float32 "
        "on the CPU; or this one.",
    )
    device_map: Literal["none", "auto"] = Field(
        default="none",
        description="auto: split the body over every GPU (accelerate's device_map, capped by max_memory_per_gpu) "
        "for a model that fits no single card; none: the whole network on this process's device.",
    )
    max_memory_per_gpu: str | None = Field(
        default=None, description='Memory each GPU may hold with device_map=auto, e.g. "14GiB" on a 16 GB T4.'
    )
    soft_cap: bool = Field(
        default=True, description="Gemma-2 attention and final logit soft-capping; False switches both off."
    )
    head_dropout: float = Field(default=0.1, ge=0, lt=1)
    merge_on_save: bool = Field(default=False, description="Save LoRA merged into full weights instead of an adapter.")


class LossConfig(_Strict):
    """alpha * CE(labels) + (1 - alpha) * T^2 * KL(teacher || student) (losses.preference_loss)."""

    alpha: float = Field(default=1.0, ge=0, le=1, description="Weight of the label cross entropy against distillation.")
    temperature: float = Field(default=1.0, gt=0, description="Distillation temperature T.")


class TrainConfig(_Strict):
    """The optimisation (training.fit_net)."""

    epochs: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=8, ge=1, description="Battles per micro-batch; each goes in with its swap.")
    grad_accum: int = Field(default=1, ge=1, description="Micro-batches per optimisation step.")
    max_tokens: int | None = Field(default=None, ge=16, description="Cap on padded tokens per micro-batch.")
    lr: float = Field(default=5e-5, gt=0)
    head_lr: float | None = Field(default=None, gt=0, description="Learning rate of the new head (default: lr).")
    weight_decay: float = Field(default=0.01, ge=0)
    warmup_ratio: float = Field(default=0.1, ge=0, lt=1)
    max_grad_norm: float = Field(default=1.0, gt=0)
    optimizer: Literal["adamw", "adamw-kahan"] = Field(
        default="adamw", description="torch AdamW, or torch-optimi's AdamW with Kahan summation (for bf16 weights)."
    )
    precision: Precision = Field(
        default="auto", description="auto: bf16 where the GPU supports it, else fp16 on GPU, else no."
    )
    seed: int = 0
    eval_fraction: float = Field(default=0.1, ge=0, lt=1, description="Share of prompts held out for early stopping.")
    eval_every: int = Field(default=0, ge=0, description="Evaluate every N optimisation steps; 0: once per epoch.")
    patience: int = Field(default=2, ge=1, description="Evaluations without improvement before stopping.")
    max_seconds: float | None = Field(default=None, gt=0, description="Stop training after this long (a time cap).")
    max_train_battles: int | None = Field(default=None, ge=1, description="Train on a random subset of this size.")
    predict_batch_size: int = Field(default=16, ge=1, description="Battles per prediction batch (each with its swap).")
    predict_max_tokens: int | None = Field(
        default=None,
        ge=16,
        description="Cap on padded tokens per prediction batch, both orders counted (e.g. 16384 for a 9B model "
        "at a 2,048-token window on a 16 GB card); None: rows only.",
    )
    checkpoint_dir: str | None = Field(
        default=None, description="Resumable checkpoints go here (resumed when present)."
    )
    progress_bar: bool = True


class FineTuneConfig(_Strict):
    """Everything a fine-tuned model needs, stored in its model directory."""

    kind: Literal["cross-encoder", "llm"]
    input: InputConfig = InputConfig()
    net: BackboneConfig = BackboneConfig()
    loss: LossConfig = LossConfig()
    train: TrainConfig = TrainConfig()

    def with_options(self, options: dict[str, Any]) -> FineTuneConfig:
        """A copy with fields set by their (unique) names; ValueError names an unknown key or a bad value."""
        data = self.model_dump()
        parts = {name: part for name, part in data.items() if isinstance(part, dict)}
        for key, value in options.items():
            owner = next((p for p, fields in parts.items() if key in fields), None)
            if owner is None:
                known = sorted(f for fields in parts.values() for f in fields)
                raise ValueError(f"unknown option {key!r}; known: {', '.join(known)}")
            parts[owner][key] = _parse(value)
        try:
            return FineTuneConfig.model_validate({**data, **parts})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ValueError(f"option {first['loc'][-1]}: {first['msg']}") from None


def _parse(value: Any) -> Any:
    """Strings from the command line: 'none' -> None, lists by commas; pydantic converts the rest."""
    if not isinstance(value, str):
        return value
    if value.lower() in ("none", "null"):
        return None
    if "," in value:
        return [v.strip() for v in value.split(",") if v.strip()]
    return value
