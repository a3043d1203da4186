"""GGUF -> plain checkpoint folder: same outputs as the GGUF-loaded model, cached, and reloadable."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from arenapref.weights.gguf import materialise  # noqa: E402
from arenapref.weights.locations import SMOLLM2_FILE, bundled_smollm2  # noqa: E402


def test_bundled_gguf_found() -> None:
    path = bundled_smollm2()
    assert path.name == SMOLLM2_FILE and path.stat().st_size > 50_000_000


def test_folder_matches_gguf_model_and_is_cached(smollm2_folder: Path) -> None:
    files = {p.name for p in smollm2_folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= files
    config = transformers.AutoConfig.from_pretrained(smollm2_folder)
    assert config.architectures == ["LlamaForCausalLM"] and getattr(config, "quantization_config", None) is None

    gguf = bundled_smollm2()
    tokenizer = transformers.AutoTokenizer.from_pretrained(smollm2_folder)
    ids = tokenizer("The capital of France is", return_tensors="pt")["input_ids"]
    plain = transformers.AutoModelForCausalLM.from_pretrained(smollm2_folder)
    direct = transformers.AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    with torch.no_grad():
        assert torch.equal(plain(ids).logits, direct(ids).logits)

    stamp = (smollm2_folder / "model.safetensors").stat().st_mtime_ns
    assert materialise(gguf, cache=smollm2_folder.parents[1]) == smollm2_folder
    assert (smollm2_folder / "model.safetensors").stat().st_mtime_ns == stamp


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such GGUF file"):
        materialise(tmp_path / "absent.gguf", cache=tmp_path)
