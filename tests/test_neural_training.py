"""The training loop on a tiny random Llama: resumable checkpoints, early stopping restoring the best weights,
the time cap, the Kahan-summation optimiser and bf16 autocast, and the battle table's soft labels as targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from arenapref.models.finetuned.model import LLMModel  # noqa: E402
from arenapref.models.finetuned.training import evaluate  # noqa: E402
from neural_support import one_thread, random_battles, tiny_checkpoint  # noqa: E402, F401


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "llama")


def model(tiny: Path, **options: object) -> LLMModel:
    base = {
        "backbone": str(tiny),
        "max_length": 48,
        "lora_r": 4,
        "batch_size": 4,
        "lr": 5e-3,
        "eval_fraction": 0,
        "progress_bar": False,
        "max_train_battles": "none",
    }
    return LLMModel().set_options({**base, **options})


def head_and_lora(m: LLMModel) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in m.net.named_parameters() if p.requires_grad}


class Interrupted(Exception):
    pass


def test_interrupted_training_resumes_to_the_same_weights(tiny: Path, tmp_path: Path) -> None:
    battles = random_battles(24)
    options = {"epochs": 2, "eval_every": 2, "lora_dropout": 0.1, "head_dropout": 0.1}
    reference = head_and_lora(model(tiny, **options).fit(battles))

    ckpt = str(tmp_path / "ckpt")
    interrupted = model(tiny, **options, checkpoint_dir=ckpt)
    calls = []

    def stop_at_step_seven(message: str) -> None:
        calls.append(message)
        if len(calls) == 7:
            raise Interrupted

    interrupted.progress = stop_at_step_seven
    with pytest.raises(Interrupted):
        interrupted.fit(battles)
    assert (tmp_path / "ckpt" / "progress.json").is_file()
    resumed = model(tiny, **options, checkpoint_dir=ckpt)
    resumed.progress = calls.append
    resumed.fit(battles)
    assert len(calls) == 7 + 12 - 6  # resumed after the checkpoint at micro-step 6 of 12
    after = head_and_lora(resumed)
    assert after.keys() == reference.keys()
    assert all(torch.allclose(after[k], reference[k], atol=1e-6) for k in reference)


def test_early_stopping_restores_the_best_held_out_weights(tiny: Path) -> None:
    battles = random_battles(80, seed=1)
    m = model(tiny, epochs=4, eval_every=1, patience=2, lr=0.05, eval_fraction=0.3).fit(battles)
    history = [h["held_out_log_loss"] for h in m.training["history"]]
    assert m.training["best_loss"] == min(history) and len(history) >= 3
    assert m.training["stopped"] in ("early stopping", "completed")
    if m.training["stopped"] == "early stopping":
        assert len(history) - 1 - int(np.argmin(history)) == 2  # patience evaluations without improvement
    # the weights kept are the best evaluation's: re-scoring the held-out set gives its loss
    from arenapref.models.finetuned.model import held_out_split

    _, held_rows = held_out_split(battles, 0.3, 0)
    held = battles.iloc[held_rows].reset_index(drop=True)
    from arenapref.data.schema import targets

    data = m.encode(held, targets(held))
    assert evaluate(m.net, data, 16, m.pad_id) == pytest.approx(m.training["best_loss"], abs=1e-9)
    assert m.training["held_out_battles"] == len(held_rows)


def test_time_cap_stops_training(tiny: Path) -> None:
    m = model(tiny, epochs=50, max_seconds=0.5).fit(random_battles(16))
    assert m.training["stopped"] == "time cap" and m.training["steps"] < 50 * 4


def test_kahan_adamw_and_bf16_autocast_train(tiny: Path) -> None:
    battles = random_battles(8)
    fresh = model(tiny, epochs=1, lr=1e-9, head_lr=1e-9)
    fresh.fit(battles)
    start = head_and_lora(fresh)
    for options in ({"optimizer": "adamw-kahan"}, {"precision": "bf16"}):
        trained = model(tiny, epochs=1, **options).fit(battles)
        moved = head_and_lora(trained)
        assert any(not torch.allclose(moved[k], start[k]) for k in start)
        assert np.isfinite(trained.predict_proba(battles)).all()
    assert trained.training["precision"] == "bf16"


def test_soft_labels_are_training_targets(tiny: Path) -> None:
    battles = random_battles(16)
    battles["label"] = None
    tie_heavy = np.arange(16) % 2 == 0  # their prompts use other words (neural_support.random_battles)
    battles[["soft_a", "soft_b", "soft_tie"]] = np.where(tie_heavy[:, None], [0.05, 0.05, 0.9], [0.6, 0.3, 0.1])
    m = model(tiny, epochs=6, lr=0.02).fit(battles)
    p = m.predict_proba(battles)
    assert np.median(p[tie_heavy, 2]) > 0.6 and np.median(p[~tie_heavy, 2]) < 0.3


def test_a_loaded_network_predicts_on_this_process_gpu_when_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from arenapref.models.finetuned.backbones import inference_device

    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert inference_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert inference_device() == torch.device("cuda", 1)
    monkeypatch.delenv("LOCAL_RANK")
    assert inference_device() == torch.device("cuda", 0)
