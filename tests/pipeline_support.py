"""Helpers for the pipeline tests: the real entry point in-process, and tiny peft LoRA folds of a tiny Llama."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TINY = {
    "vocab_size": 64,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 64,
}


def tiny_llama(folder: Path, seed: int = 0) -> Path:
    """A tiny random LlamaForCausalLM checkpoint (safetensors) saved to `folder`."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    torch.manual_seed(seed)
    AutoModelForCausalLM.from_config(LlamaConfig(**TINY)).save_pretrained(folder)
    return folder


def lora_fold(base: Path, folder: Path, seed: int, r: int = 4, model_dir: bool = True) -> Path:
    """A fold as the fine-tuning tier saves it (model.json, adapter/, head.safetensors, tokenizer/) with random
    LoRA A and B on every linear layer of the base's body, or (model_dir=False) a bare peft adapter folder."""
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import save_file
    from transformers import AutoModel

    from arenapref.weights.hashes import checkpoint_hash

    torch.manual_seed(seed)
    body = AutoModel.from_pretrained(base)
    config = LoraConfig(r=r, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    peft_body = get_peft_model(body, config)
    if not model_dir:
        peft_body.save_pretrained(folder)
        return folder
    peft_body.save_pretrained(folder / "adapter")
    head = torch.nn.Linear(TINY["hidden_size"], 3)
    save_file({k: v.contiguous() for k, v in head.state_dict().items()}, str(folder / "head.safetensors"))
    (folder / "tokenizer").mkdir()
    (folder / "tokenizer" / "tokenizer_config.json").write_text("{}")
    meta: dict[str, Any] = {
        "model": "llm",
        "arenapref_version": "0",
        "state": {"weights": {"weights": "adapter", "base": str(base), "base_sha256": checkpoint_hash(base)}},
    }
    (folder / "model.json").write_text(json.dumps(meta))
    return folder


def full_fold(base: Path, folder: Path, seed: int) -> Path:
    """A fully fine-tuned fold as the fine-tuning tier saves it: backbone/ (the whole body), head, model.json."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModel

    torch.manual_seed(seed)
    body = AutoModel.from_pretrained(base)
    with torch.no_grad():
        for param in body.parameters():
            param.add_(0.01 * torch.randn_like(param))
    body.save_pretrained(folder / "backbone")
    head = torch.nn.Linear(TINY["hidden_size"], 3)
    save_file({k: v.contiguous() for k, v in head.state_dict().items()}, str(folder / "head.safetensors"))
    meta = {
        "model": "cross-encoder",
        "arenapref_version": "0",
        "state": {"weights": {"weights": "full", "base": str(base)}},
    }
    (folder / "model.json").write_text(json.dumps(meta))
    return folder
