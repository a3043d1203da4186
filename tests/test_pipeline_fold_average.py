"""Fold averaging on real peft LoRA adapters of a tiny Llama: the averaged adapter is the element-wise mean of
the folds' tensors and loads as one model; the delta average equals the mean of peft's merged fold models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arenapref.models.base import ModelDirError
from arenapref.pipeline.fold_average import average_folds
from cli_support import run_cli as run
from pipeline_support import full_fold, lora_fold, tiny_llama


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_llama(tmp_path_factory.mktemp("base"))


@pytest.fixture(scope="module")
def folds(base: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("folds")
    return [lora_fold(base, root / f"fold{k}", seed=k + 1) for k in range(2)]


def tensors(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path))


def test_adapter_average_is_the_elementwise_mean_and_loads_as_one_model(
    base: Path, folds: list[Path], tmp_path: Path
) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModel

    out = tmp_path / "avg"
    code, text = run("average-folds", *folds, "-o", out)
    assert code == 0, text
    assert "averaged 2 folds by adapters" in text
    for name in ("adapter/adapter_model.safetensors", "head.safetensors"):
        first, second, mean = (tensors(d / name) for d in (*folds, out))
        assert set(mean) == set(first) and len(mean) >= 2
        for key, value in mean.items():
            assert not torch.equal(first[key], second[key])
            torch.testing.assert_close(value, (first[key] + second[key]) / 2, rtol=0, atol=1e-7)
    meta = json.loads((out / "model.json").read_text())
    assert meta["averaged_from"] == {"method": "adapters", "folds": [str(f) for f in folds]}
    assert (out / "tokenizer" / "tokenizer_config.json").is_file()
    loaded = PeftModel.from_pretrained(AutoModel.from_pretrained(base), out / "adapter").eval()
    state = {k.replace(".default", ""): v for k, v in loaded.state_dict().items() if "lora_" in k}
    saved = tensors(out / "adapter" / "adapter_model.safetensors")
    assert set(state) == set(saved)
    for key, value in saved.items():
        torch.testing.assert_close(state[key], value, rtol=0, atol=0)
    ids = torch.tensor([[1, 5, 9, 3]])
    hidden = loaded(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
    assert hidden.shape == (1, 4, 32) and bool(torch.isfinite(hidden).all())


def test_delta_average_equals_the_mean_of_merged_fold_models(base: Path, folds: list[Path], tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModel

    out = tmp_path / "deltas"
    report = average_folds(folds, out, method="deltas")
    assert report.merged_modules == 2 * 7  # q, k, v, o, gate, up, down in each of 2 layers
    merged = [
        PeftModel.from_pretrained(AutoModel.from_pretrained(base), f / "adapter").merge_and_unload() for f in folds
    ]
    expected = {k: (merged[0].state_dict()[k] + merged[1].state_dict()[k]) / 2 for k in merged[0].state_dict()}
    averaged = AutoModel.from_pretrained(out / "backbone").state_dict()
    plain = AutoModel.from_pretrained(base).state_dict()
    assert set(averaged) == set(expected)
    changed = 0
    for key, value in averaged.items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=1e-6)
        changed += not torch.equal(value, plain[key])
    assert changed == 14
    meta = json.loads((out / "model.json").read_text())
    assert meta["state"]["weights"] == {"weights": "full", "base": str(base)}
    first, second = (tensors(f / "head.safetensors") for f in folds)
    for key, value in tensors(out / "head.safetensors").items():
        torch.testing.assert_close(value, (first[key] + second[key]) / 2, rtol=0, atol=1e-7)
    # mean(B) @ mean(A) differs from mean(B @ A): the two methods are really different
    adapter_avg = average_folds(folds, tmp_path / "adapters")
    assert adapter_avg.method == "adapters"
    via_adapter = PeftModel.from_pretrained(AutoModel.from_pretrained(base), tmp_path / "adapters" / "adapter")
    key = "layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(via_adapter.merge_and_unload().state_dict()[key], averaged[key], atol=1e-6)


def test_bare_peft_folders_average_both_ways(base: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModel

    bare = [lora_fold(base, tmp_path / f"peft{k}", seed=10 + k, model_dir=False) for k in range(3)]
    average_folds(bare, tmp_path / "avg")
    parts = [tensors(f / "adapter_model.safetensors") for f in bare]
    for key, value in tensors(tmp_path / "avg" / "adapter_model.safetensors").items():
        torch.testing.assert_close(value, sum(p[key] for p in parts) / 3, rtol=0, atol=1e-7)
    code, text = run("average-folds", *bare, "-o", tmp_path / "merged", "--method", "deltas", "--base", base)
    assert code == 0, text
    assert AutoModel.from_pretrained(tmp_path / "merged").config.hidden_size == 32


def test_incompatible_or_missing_folds_are_refused(base: Path, folds: list[Path], tmp_path: Path) -> None:
    other_rank = lora_fold(base, tmp_path / "r8", seed=5, r=8)
    with pytest.raises(ModelDirError, match=r"r8: adapter setting 'r' differs"):
        average_folds([folds[0], other_rank], tmp_path / "x")
    code, text = run("average-folds", folds[0], tmp_path, "-o", tmp_path / "y")
    assert code == 2 and "missing adapter_config.json" in text and "Traceback" not in text
    code, text = run("average-folds", *folds, "-o", folds[0])
    assert code == 2 and "not empty" in text


def test_fully_fine_tuned_folds_average_into_a_model_soup(base: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModel

    folds = [full_fold(base, tmp_path / f"full{k}", seed=20 + k) for k in range(2)]
    report = average_folds(folds, tmp_path / "soup", method="deltas")
    assert "model soup" in report.line()
    first, second = (AutoModel.from_pretrained(f / "backbone").state_dict() for f in folds)
    soup = AutoModel.from_pretrained(tmp_path / "soup" / "backbone").state_dict()
    for key, value in soup.items():
        assert not torch.equal(first[key], second[key])
        torch.testing.assert_close(value, (first[key] + second[key]) / 2, rtol=0, atol=1e-7)
    meta = json.loads((tmp_path / "soup" / "model.json").read_text())
    assert meta["state"]["weights"]["weights"] == "full" and meta["averaged_from"]["method"] == "deltas"
