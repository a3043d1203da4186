"""The GPU path, checked on the CPU: the precision chosen for each device capability (the capability is a value
the tests pass in), bitsandbytes settings per card, the token-capped prediction batches and their exact swap
symmetry, options applied before the weights load, and quantisation asked for where it cannot run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from arenapref.data.swap import swap, swap_proba
from arenapref.models.finetuned.backbones import QuantizationUnavailable, quantization_config
from arenapref.models.finetuned.precision import DeviceCapability, prediction_dtype, query_capability
from arenapref.models.finetuned.training import prediction_batches
from arenapref.models.registry import load
from cli_support import run
from neural_support import one_thread, random_battles, tiny_checkpoint  # noqa: F401

CPU = DeviceCapability(cuda=False)
T4 = DeviceCapability(cuda=True, bf16=False, bitsandbytes=True, name="Tesla T4", memory_bytes=15 << 30, count=2)
H100 = DeviceCapability(cuda=True, bf16=True, bitsandbytes=True, name="NVIDIA H100", memory_bytes=80 << 30, count=1)
TINY_OPTIONS = ["max_length=48", "max_train_battles=16", "eval_fraction=0", "progress_bar=false", "lora_r=2"]


def test_precision_follows_the_device() -> None:
    assert (prediction_dtype(CPU), prediction_dtype(T4), prediction_dtype(H100)) == ("float32", "float16", "bfloat16")
    assert query_capability().cuda is False  # this machine: no GPU, so prediction runs in float32


def test_four_bit_computes_in_the_cards_dtype() -> None:
    import torch

    assert quantization_config("4bit", T4).bnb_4bit_compute_dtype == torch.float16
    assert quantization_config("4bit", H100).bnb_4bit_compute_dtype == torch.bfloat16
    assert quantization_config("8bit", T4).load_in_8bit


@pytest.mark.parametrize(
    ("capability", "named", "not_named"),
    [
        (CPU, ["bitsandbytes", "CUDA GPU"], []),
        (DeviceCapability(cuda=True, bf16=False, bitsandbytes=False), ["bitsandbytes"], ["CUDA GPU"]),
        (DeviceCapability(cuda=False, bitsandbytes=True), ["CUDA GPU"], ["bitsandbytes package"]),
    ],
)
def test_quantisation_where_it_cannot_run_names_what_is_missing(
    capability: DeviceCapability, named: list[str], not_named: list[str]
) -> None:
    with pytest.raises(QuantizationUnavailable) as caught:
        quantization_config("8bit", capability)
    assert all(n in str(caught.value) for n in named) and not any(n in str(caught.value) for n in not_named)


def test_token_capped_batches_never_pass_the_cap() -> None:
    rng = np.random.default_rng(0)
    cap = 4096
    for _ in range(20):
        n = int(rng.integers(1, 300))
        ids = [list(range(int(k))) for k in rng.integers(1, cap // 2, n)]
        swapped = [list(reversed(s)) for s in ids]
        batches = prediction_batches(ids, swapped, batch_size=64, max_tokens=cap)
        assert sorted(np.concatenate(batches).tolist()) == list(range(n))  # every battle once
        for rows in batches:
            assert len(rows) <= 64
            assert 2 * len(rows) * max(len(ids[r]) for r in rows) <= cap  # both orders, padded


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tiny = tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "llama")
    folder = tmp_path_factory.mktemp("model")
    data = folder / "train.parquet"
    from arenapref.data.io import write_battles

    write_battles(random_battles(24), data)
    sets = [arg for opt in [f"backbone={tiny}", *TINY_OPTIONS] for arg in ("--set", opt)]
    from typer.testing import CliRunner

    from arenapref.cli import app

    result = CliRunner().invoke(app, ["train", str(data), "--model", "llm", *sets, "-o", str(folder / "m")])
    assert result.exit_code == 0, result.output
    return folder / "m"


def test_token_capped_prediction_is_exactly_mirrored_and_equals_the_uncapped_one(trained: Path) -> None:
    battles = random_battles(20, seed=3)
    plain = load(trained).predict_proba(battles)
    capped = load(trained, {"predict_max_tokens": "64", "predict_batch_size": "4"})
    proba = capped.predict_proba(battles)
    np.testing.assert_array_equal(swap_proba(capped.predict_proba(swap(battles))), proba)
    np.testing.assert_allclose(proba, plain, atol=1e-5)


def test_a_body_split_by_device_map_predicts_as_one_piece(trained: Path) -> None:
    battles = random_battles(8, seed=4)
    np.testing.assert_allclose(
        load(trained, {"device_map": "auto"}).predict_proba(battles), load(trained).predict_proba(battles), atol=1e-6
    )


def test_predict_with_8bit_where_it_cannot_run_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], trained: Path, data_dir: Path
) -> None:
    sample = data_dir / "kaggle-sample" / "train.csv"
    out = trained.parent / "s.csv"
    code, text = run(monkeypatch, capsys, "predict", trained, sample, "--set", "quantization=8bit", "-o", out)
    assert code == 2 and "Traceback" not in text and not out.exists(), text
    assert "quantization=8bit needs" in text and "CUDA GPU" in text
    code, text = run(monkeypatch, capsys, "predict", trained, sample, "--set", "quantisation=8bit", "-o", out)
    assert code == 2 and "unknown option 'quantisation'" in text, text
