"""A kit's model needs nothing outside itself: a LoRA adapter's base checkpoint is carried into the kit (hash checked
when packing and when loading) and found there once the original is gone; what cannot travel is refused in one
line. A tiny random Llama with a rank-2 adapter stands for SmolLM2 / MiniLM bases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from arenapref.kaggle.modelcopy import copy_model
from arenapref.models import registry
from arenapref.models.errors import ModelDirError
from arenapref.models.portable import PACKED_BASE_DIR, externals
from cli_support import run_cli
from neural_support import lora_model_dir, one_thread, random_battles, tiny_checkpoint  # noqa: F401


@pytest.fixture(scope="module")
def lora_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(model directory of a LoRA `llm`, its base checkpoint), both in a module folder of their own."""
    return lora_model_dir(tmp_path_factory.mktemp("lora"))


def moved_away(base: Path) -> Path:
    """The base checkpoint renamed, so the recorded path no longer exists (as on Kaggle)."""
    return base.rename(base.with_name(base.name + "-gone"))


def test_the_kit_carries_the_adapters_base_and_loads_without_the_original(
    lora_model: tuple[Path, Path], tmp_path: Path
) -> None:
    model_dir, base = lora_model
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["state"]["weights"]["weights"] == "adapter" and meta["state"]["weights"]["base"] == str(base)
    battles = random_battles(12, seed=3)
    expected = registry.load(model_dir).predict_proba(battles)

    _, _, carried = copy_model(model_dir, tmp_path / "kit" / "model")
    copy = tmp_path / "kit" / "model"
    assert [c["to"] for c in carried] == [PACKED_BASE_DIR]
    assert carried[0]["from"] == str(base) and carried[0]["sha256"] == meta["state"]["weights"]["base_sha256"]
    assert (copy / PACKED_BASE_DIR / "config.json").is_file() and (copy / "adapter" / "adapter_config.json").is_file()

    gone = moved_away(base)
    try:
        with pytest.raises(ModelDirError, match=r"base checkpoint .* not found"):
            registry.load(model_dir)  # the original directory really depended on the outside path
        loaded = registry.load(copy)
        assert loaded.base == copy / PACKED_BASE_DIR  # type: ignore[attr-defined]
        np.testing.assert_allclose(loaded.predict_proba(battles), expected, rtol=1e-6, atol=1e-7)
        # The carried copy is hash checked when loading too.
        weights = next((copy / PACKED_BASE_DIR).glob("*.safetensors"))
        weights.write_bytes(weights.read_bytes() + b"\0")
        with pytest.raises(ModelDirError, match="changed since training"):
            registry.load(copy)
        # Packing once the base is gone: refused in one line, before anything is copied.
        with pytest.raises(ModelDirError, match=r"base checkpoint .*base-llama is missing"):
            copy_model(model_dir, tmp_path / "again")
        assert not (tmp_path / "again").exists()
        code, text = run_cli("kaggle", "pack", model_dir, "-o", tmp_path / "kit2")
        assert code == 2 and "base checkpoint" in text and "is missing" in text and "Traceback" not in text
        assert not (tmp_path / "kit2").exists()
    finally:
        gone.rename(base)


def test_packing_refuses_a_changed_base(lora_model: tuple[Path, Path], tmp_path: Path) -> None:
    model_dir, _ = lora_model
    changed = tmp_path / "model"
    shutil.copytree(model_dir, changed)
    other = tiny_checkpoint(tmp_path / "other-base", seed=1)
    meta = json.loads((changed / "model.json").read_text())
    meta["state"]["weights"]["base"] = str(other)  # same shape, other weights
    (changed / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelDirError, match="changed since training"):
        copy_model(changed, tmp_path / "kit")


def test_an_ensembles_lora_member_gets_its_base(lora_model: tuple[Path, Path], tmp_path: Path) -> None:
    model_dir, base = lora_model
    ensemble = tmp_path / "ensemble"
    shutil.copytree(model_dir, ensemble / "members" / "0-llm")
    (ensemble / "model.json").write_text(json.dumps({"model": "ensemble", "state": {}}))
    found = externals(ensemble)
    assert [(e.source, e.dest) for e in found] == [(base, f"members/0-llm/{PACKED_BASE_DIR}")]
    _, _, carried = copy_model(ensemble, tmp_path / "kit")
    assert (tmp_path / "kit" / "members" / "0-llm" / PACKED_BASE_DIR / "config.json").is_file()
    assert carried[0]["to"] == f"members/0-llm/{PACKED_BASE_DIR}"


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"model": "embed-mlp", "state": {"params": {"encoder": "/data/my-encoder"}}}, "encoder folder /data/my-enc"),
        ({"model": "judge", "state": {"config": {"backend": "openai"}}}, "cannot run offline"),
    ],
)
def test_what_cannot_travel_is_refused_in_one_line(meta: dict, message: str, tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelDirError, match=message):
        copy_model(model, tmp_path / "kit")
    code, text = run_cli("kaggle", "pack", model, "-o", tmp_path / "kit")
    assert code == 2 and message in text and len(text.strip().splitlines()) <= 3 and "Traceback" not in text


def test_an_encoders_identity_ignores_bytecode_and_where_it_lies(tmp_path: Path) -> None:
    """The same package installed elsewhere (the kit's venv) must give the same identity, or the model refuses."""
    from arenapref.features.encoders.base import folder_fingerprint

    folder = tmp_path / ".cache" / "weights"  # a folder under a .cache directory still counts its own files
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "tokenizer.json").write_text('{"a": 1}')
    (folder / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"install time 1")
    before = folder_fingerprint(folder, "scheme")
    (folder / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"install time 2")
    assert folder_fingerprint(folder, "scheme") == before
    (folder / "tokenizer.json").write_text('{"a": 2}')
    assert folder_fingerprint(folder, "scheme") != before


def test_packaged_encoders_and_full_weights_need_nothing_outside(tmp_path: Path) -> None:
    for name, state in [
        ("embed", {"params": {"encoder": "wordllama"}}),
        ("embed-mlp", {"params": {"encoder": "minilm"}}),
        ("cross-encoder", {"weights": {"weights": "full", "base": "/nowhere/minilm"}}),
    ]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.json").write_text(json.dumps({"model": name, "state": state}))
        assert externals(tmp_path / name) == []
