"""The network in a model directory: a LoRA adapter beside a hash-checked reference to its base checkpoint, or
full weights (a fully fine-tuned body, or LoRA merged into the base on request); the head always in head.safetensors.

    <dir>/adapter/   peft adapter (adapter_config.json, adapter_model.safetensors)   -- LoRA, not merged
    <dir>/backbone/  save_pretrained of the full body                                 -- full weights
    <dir>/head.safetensors, <dir>/tokenizer/
    <dir>/base/      the adapter's base checkpoint, when carried (models.portable); found before the recorded path
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arenapref.models.base import ModelDirError
from arenapref.models.finetuned.backbones import PreferenceNet, assemble, inference_device, load_body
from arenapref.models.finetuned.config import BackboneConfig
from arenapref.models.finetuned.precision import DeviceCapability, prediction_dtype, query_capability
from arenapref.models.portable import base_checkpoint
from arenapref.weights.hashes import checkpoint_hash

ADAPTER_DIR = "adapter"
BACKBONE_DIR = "backbone"
HEAD_FILE = "head.safetensors"
TOKENIZER_DIR = "tokenizer"
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
_BLOCK = 1 << 20


def is_lora(net: PreferenceNet) -> bool:
    return hasattr(net.body, "peft_config")


def merge(net: PreferenceNet) -> PreferenceNet:
    """LoRA folded into the base weights (W + BA * alpha / r); the same network without adapters."""
    if is_lora(net):
        net.body = net.body.merge_and_unload()
    return net


def save_net(net: PreferenceNet, tokenizer: Any, directory: Path, base: Path) -> dict[str, Any]:
    """Write the network and tokenizer; returns the state entries load_net needs."""
    from safetensors.torch import save_file

    head = {k: v.detach().contiguous().cpu() for k, v in net.head.state_dict().items()}
    save_file(head, str(directory / HEAD_FILE))
    tokenizer.save_pretrained(directory / TOKENIZER_DIR)
    if is_lora(net):
        net.body.save_pretrained(directory / ADAPTER_DIR)
        return {"weights": "adapter", "base": str(base.resolve()), "base_sha256": checkpoint_hash(base)}
    net.body.save_pretrained(directory / BACKBONE_DIR)
    return {"weights": "full", "base": str(base.resolve())}


def load_net(
    directory: Path, state: dict[str, Any], config: BackboneConfig, capability: DeviceCapability | None = None
) -> PreferenceNet:
    """The saved network for prediction, in eval mode, in the dtype the device predicts in (precision module;
    `capability` defaults to this process's device), quantised or split over GPUs as `config` says; ModelDirError
    if files are missing or the base checkpoint changed."""
    from safetensors.torch import load_file

    capability = capability or query_capability()
    dtype = prediction_dtype(capability) if config.predict_dtype == "auto" else config.predict_dtype
    config = config.model_copy(update={"dtype": dtype, "gradient_checkpointing": False})
    if state.get("weights") == "full":
        source = directory / BACKBONE_DIR
        if not (source / "config.json").is_file():
            raise ModelDirError(f"{directory}: missing {BACKBONE_DIR}/config.json")
        body = load_body(source, config, for_training=False)
    else:
        body = _base_with_adapter(directory, state, config)
    net = assemble(body, config)
    head_path = directory / HEAD_FILE
    if not head_path.is_file():
        raise ModelDirError(f"{directory}: missing {HEAD_FILE}")
    net.head.load_state_dict(load_file(str(head_path)))
    if config.quantization == "none" and config.device_map == "none":
        net = net.to(inference_device())
    else:  # bitsandbytes and device_map place the body themselves (.to() is refused); the head follows the pooling
        net.head.to(inference_device())
    return net.eval()


def _base_with_adapter(directory: Path, state: dict[str, Any], config: BackboneConfig) -> Any:
    from peft import PeftModel

    base = base_checkpoint(directory, state)  # the copy carried in the directory (a Kaggle kit) first
    if not (base / "config.json").is_file():
        raise ModelDirError(
            f"{directory}: base checkpoint {base} not found (the adapter needs it: attach it at that path)"
        )
    if checkpoint_hash(base) != state["base_sha256"]:
        raise ModelDirError(f"{directory}: base checkpoint {base} changed since training (SHA-256 mismatch)")
    if not (directory / ADAPTER_DIR / "adapter_config.json").is_file():
        raise ModelDirError(f"{directory}: missing {ADAPTER_DIR}/adapter_config.json")
    body = load_body(base, config, for_training=False)
    return PeftModel.from_pretrained(body, directory / ADAPTER_DIR)
