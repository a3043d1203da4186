"""GGUF files as plain Hugging Face checkpoint folders, materialised once and cached.

transformers loads a GGUF file (dequantised to float32) but refuses to `save_pretrained` such a model, and
`transformers serve` cannot serve it (its config has no `architectures`). So the model is rebuilt from the GGUF's
config (without `quantization_config`, with `architectures` set), given the dequantised state dict, and saved with
its tokenizer as an ordinary folder. Every other path (fine-tuning, judging, serving) then loads ordinary folders.

The folder is cached under `<cache>/gguf/<file stem>-<first 16 hex of the file's SHA-256>`; it is written to a
temporary sibling and renamed into place, so two processes materialising the same file at once both end with a
complete folder.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from arenapref.weights.hashes import file_sha256
from arenapref.weights.locations import cache_root


def materialise(gguf_path: str | Path, cache: str | Path | None = None) -> Path:
    """A plain checkpoint folder (config, safetensors weights, tokenizer) for `gguf_path`, built on first use."""
    source = Path(gguf_path)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such GGUF file")
    target = Path(cache or cache_root()) / "gguf" / f"{source.stem}-{file_sha256(source)[:16]}"
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _convert(source, staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first: keep its folder
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert(source: Path, out: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder, name = str(source.parent), source.name
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = [type(loaded).__name__]
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(out)
    AutoTokenizer.from_pretrained(folder, gguf_file=name).save_pretrained(out)


def resolve_checkpoint(path: str | Path) -> Path:
    """A plain checkpoint folder for `path` (a .gguf file is materialised once into the cache)."""
    source = Path(path)
    if source.suffix == ".gguf":
        return materialise(source)
    if not (source / "config.json").is_file():
        raise FileNotFoundError(f"{source}: not a checkpoint folder (config.json missing)")
    return source
