"""verl's compute_score (the prompt from extra_info) and OpenRLHF's in-process reward_func, with the shapes their
hosts call them with."""

from __future__ import annotations

import numpy as np
import pytest

import arenapref
from arenapref.integrations import openrlhf, verl
from arenapref.integrations.loading import ENV_MODEL_DIR
from serve_support import small_fast_model_dir

CHAT_PROMPT = np.array([{"role": "user", "content": "Name a colour."}], dtype=object)  # as parquet gives it


def test_verl_compute_score_reads_the_prompt_from_extra_info() -> None:
    model_dir = small_fast_model_dir()
    local = arenapref.load(model_dir)
    score = verl.compute_score("arena", "Blue.", None, {"prompt": CHAT_PROMPT, "index": 3}, model_dir=model_dir)
    assert set(score) == {"score", "p_win", "p_tie"}
    assert score["score"] == pytest.approx(local.reward(["Name a colour."], ["Blue."])[0], abs=1e-12)
    assert score["score"] == pytest.approx(score["p_win"] + score["p_tie"] / 2)
    referenced = verl.compute_score(
        "arena", "Blue.", "x", {"prompt": "Name a colour.", "reference": "Blue."}, model_dir=model_dir
    )
    assert referenced["score"] == pytest.approx(0.5)
    truth = verl.compute_score(
        "arena", "Blue.", "Blue.", {"prompt": "Name a colour."}, model_dir=model_dir, use_ground_truth=True
    )
    assert truth["score"] == pytest.approx(0.5)
    templated = verl.compute_score("arena", "Blue.<|im_end|>", None, {"prompt": "Name a colour."}, model_dir=model_dir)
    assert templated["score"] == score["score"]  # the end token left by the decode is cut


def test_verl_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = small_fast_model_dir()
    with pytest.raises(ValueError, match=r"extra_info\['prompt'\].*extra_info has \['index'\]"):
        verl.compute_score("arena", "Blue.", None, {"index": 1}, model_dir=model_dir)
    with pytest.raises(ValueError, match="extra_info has NoneType"):
        verl.compute_score("arena", "Blue.", None, None, model_dir=model_dir)
    monkeypatch.delenv(ENV_MODEL_DIR, raising=False)
    with pytest.raises(ValueError, match=ENV_MODEL_DIR):
        verl.compute_score("arena", "Blue.", None, {"prompt": "Q"})
    monkeypatch.setenv(ENV_MODEL_DIR, str(model_dir))
    assert 0 <= verl.compute_score("arena", "Blue.", None, {"question": "Q"}, prompt_key="question")["score"] <= 1


def test_verl_batch_matches_one_by_one() -> None:
    model_dir = small_fast_model_dir()
    infos = [{"prompt": "Name a colour."}, {"prompt": "Say hi."}]
    batch = verl.compute_score_batch(["a", "b"], ["Blue.", "Hi!"], [None, None], infos, model_dir=model_dir)
    single = [
        verl.compute_score("a", s, None, i, model_dir=model_dir) for s, i in zip(["Blue.", "Hi!"], infos, strict=True)
    ]
    for got, alone in zip(batch, single, strict=True):
        assert got == pytest.approx(alone, abs=1e-12)


def test_openrlhf_reward_func_returns_tensors(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    monkeypatch.setenv(ENV_MODEL_DIR, str(small_fast_model_dir()))
    prompt = "<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n"
    out = openrlhf.reward_func([prompt + "Blue.<|im_end|>", prompt + "Red.<|im_end|>"], [prompt, prompt], ["", "Red."])
    assert set(out) == {"rewards", "scores", "extra_logs"} and isinstance(out["rewards"], torch.Tensor)
    assert out["rewards"].shape == (2,) and torch.equal(out["rewards"], out["scores"])
    assert out["extra_logs"]["arenapref_has_label"].tolist() == [0.0, 1.0]
    assert out["rewards"][1].item() == pytest.approx(0.5)
