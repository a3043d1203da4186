"""The llm path: SmolLM2 + LoRA round trips (save, load, merge), exact swap mirroring, Gemma-2's soft-cap switch,
starting from a reward model, and the GPU-only switches refused clearly on CPU."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from arenapref.data.swap import swap  # noqa: E402
from arenapref.models.finetuned.backbones import build_net, load_body  # noqa: E402
from arenapref.models.finetuned.config import BackboneConfig  # noqa: E402
from arenapref.models.finetuned.model import LLMModel  # noqa: E402
from arenapref.models.registry import load  # noqa: E402
from neural_support import battle_table, tiny_bert_checkpoint, tiny_checkpoint  # noqa: E402

BATTLES = battle_table(
    [
        (["What is the capital of France?"], ["Paris."], ["It is Lyon, a city in the south east."], 0),
        (["Name a prime number."], ["Seven is prime."], ["Nine."], 0),
        (["Say hi", "Now say bye"], ["hi", "bye"], ["hello there", None], 1),
        (["2+2?"], ["4"], ["four"], 2),
    ]
)


@pytest.fixture(scope="module")
def smollm2_lora(smollm2_folder: Path) -> LLMModel:
    """SmolLM2-135M with LoRA r=4, trained two steps on 4 battles in a 48-token window."""
    model = LLMModel().set_options(
        {
            "backbone": str(smollm2_folder),
            "max_length": 48,
            "prompt_cap": 16,
            "lora_r": 4,
            "batch_size": 2,
            "epochs": 1,
            "lr": 1e-2,
            "eval_fraction": 0,
            "max_train_battles": "none",
            "progress_bar": False,
        }
    )
    return model.fit(BATTLES)


def test_lora_trains_only_adapters_and_head(smollm2_lora: LLMModel) -> None:
    net = smollm2_lora.net
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n.startswith("head.") for n in trainable)
    assert any("q_proj" in n for n in trainable) and any("down_proj" in n for n in trainable)  # all linear layers
    lora_b = [p for n, p in net.named_parameters() if "lora_B" in n]
    assert any(float(p.detach().abs().max()) > 0 for p in lora_b)  # B starts at zero: the step moved it
    assert smollm2_lora.training["steps"] == 2 and np.isfinite(smollm2_lora.training["battles_per_second"])


def test_swap_tta_gives_exactly_mirrored_probabilities(smollm2_lora: LLMModel) -> None:
    p = smollm2_lora.predict_proba(BATTLES)
    p_swapped = smollm2_lora.predict_proba(swap(BATTLES))
    assert np.array_equal(p_swapped, p[:, [1, 0, 2]])
    assert np.allclose(p.sum(axis=1), 1) and not np.allclose(p, p[0])


def test_save_load_and_merge_round_trips(smollm2_lora: LLMModel, smollm2_folder: Path, tmp_path: Path) -> None:
    p = smollm2_lora.predict_proba(BATTLES)
    adapter_dir = smollm2_lora.save(tmp_path / "adapter")
    assert (adapter_dir / "adapter" / "adapter_config.json").is_file() and not (adapter_dir / "backbone").exists()
    reloaded = load(adapter_dir)
    assert np.abs(reloaded.predict_proba(BATTLES) - p).max() < 1e-5

    reloaded.config.net.merge_on_save = True
    merged_dir = reloaded.save(tmp_path / "merged")
    assert (merged_dir / "backbone" / "model.safetensors").is_file() and not (merged_dir / "adapter").exists()
    merged = load(merged_dir)
    assert not hasattr(merged.net.body, "peft_config")
    assert np.abs(merged.predict_proba(BATTLES) - p).max() < 1e-5


def test_changed_base_checkpoint_is_refused(tmp_path: Path) -> None:
    from arenapref.models.base import ModelDirError

    base = tiny_checkpoint(tmp_path / "base")
    model = LLMModel().set_options(
        {"backbone": str(base), "max_length": 32, "lora_r": 2, "eval_fraction": 0, "progress_bar": False}
    )
    model.fit(BATTLES).save(tmp_path / "model")
    assert np.allclose(load(tmp_path / "model").predict_proba(BATTLES), model.predict_proba(BATTLES), atol=1e-6)
    tiny_checkpoint(base, seed=1)  # same files, other weights
    with pytest.raises(ModelDirError, match="changed since training"):
        load(tmp_path / "model")


def test_gemma2_soft_cap_switch(tmp_path: Path) -> None:
    folder = tiny_checkpoint(
        tmp_path / "gemma2", kind="gemma2", attn_logit_softcapping=0.5, final_logit_softcapping=0.1
    )
    ids = torch.randint(9, 500, (2, 12))
    mask = torch.ones_like(ids)
    capped = build_net(folder, BackboneConfig(pooling="last", soft_cap=True)).eval()
    plain = build_net(folder, BackboneConfig(pooling="last", soft_cap=False)).eval()
    assert capped.body.config.attn_logit_softcapping == 0.5 and capped.final_cap == 0.1
    assert plain.body.config.attn_logit_softcapping is None and plain.body.config.final_logit_softcapping is None
    assert plain.final_cap is None
    with torch.no_grad():
        plain.head.weight.mul_(200)
        capped.head.load_state_dict(plain.head.state_dict())
        h_capped = capped.body(input_ids=ids, attention_mask=mask).last_hidden_state
        h_plain = plain.body(input_ids=ids, attention_mask=mask).last_hidden_state
        logits_capped, logits_plain = capped(ids, mask), plain(ids, mask)
    assert not torch.allclose(h_capped, h_plain)  # attention soft-capping changes the body's output
    assert float(logits_capped.abs().max()) <= 0.1 + 1e-6 and float(logits_plain.abs().max()) > 0.2
    assert torch.allclose(logits_capped, 0.1 * torch.tanh(logits_plain_from(capped, ids, mask) / 0.1), atol=1e-6)

    # switched off, the body is exactly Gemma-2 built from a config without soft-capping
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(folder)
    config.attn_logit_softcapping = config.final_logit_softcapping = None
    reference = AutoModel.from_pretrained(folder, config=config, attn_implementation="eager").eval()
    with torch.no_grad():
        assert torch.allclose(reference(input_ids=ids, attention_mask=mask).last_hidden_state, h_plain, atol=1e-6)


def logits_plain_from(net, ids, mask):
    """The head's logits before the final soft-cap."""
    from arenapref.models.finetuned.backbones import pool

    hidden = net.body(input_ids=ids, attention_mask=mask).last_hidden_state
    return net.head(pool(hidden, mask, net.pooling))


@pytest.mark.parametrize("kind", ["llama", "bert"])
def test_reward_model_start_keeps_the_body(tmp_path: Path, kind: str) -> None:
    from transformers import AutoModelForSequenceClassification

    if kind == "bert":
        folder = tiny_bert_checkpoint(tmp_path / "rm", num_labels=1)
    else:
        folder = tiny_checkpoint(tmp_path / "rm", reward=True)
    reward = AutoModelForSequenceClassification.from_pretrained(folder)
    assert reward.config.num_labels == 1
    net = build_net(folder, BackboneConfig(pooling="last" if kind == "llama" else "cls"))
    body_state = net.body.state_dict()
    prefix = reward.base_model_prefix + "."
    reward_body = {k[len(prefix) :]: v for k, v in reward.state_dict().items() if k.startswith(prefix)}
    shared = set(body_state) & set(reward_body)
    assert len(shared) >= len(body_state) - 2  # every body weight (a pooler may be new)
    assert all(torch.equal(body_state[k], reward_body[k]) for k in shared)
    assert net.head.out_features == 3


@pytest.mark.parametrize("lora_r", [0, 2])
def test_every_trainable_parameter_of_an_encoder_gets_a_gradient(tmp_path: Path, lora_r: int) -> None:
    """A BERT body's pooler feeds nothing: it is frozen and LoRA leaves it out, so DDP (which refuses parameters
    without a gradient) can train a cross-encoder under torchrun, fully or with all-linear LoRA."""
    folder = tiny_bert_checkpoint(tmp_path / "bert")
    net = build_net(folder, BackboneConfig(pooling="mean", lora_r=lora_r))
    ids = torch.randint(9, 500, (2, 10))
    net(ids, torch.ones_like(ids)).sum().backward()
    idle = [name for name, p in net.named_parameters() if p.requires_grad and p.grad is None]
    assert idle == []
    pooler = [name for name, _ in net.named_parameters() if "pooler" in name]
    assert pooler and not any("lora" in name for name in pooler)


def test_lora_on_a_body_without_a_pooler_excludes_nothing(tmp_path: Path) -> None:
    """Decoder LLMs have no pooler: LoRA gets no exclusion pattern (peft warns when one matches nothing)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net = build_net(tiny_checkpoint(tmp_path / "tiny"), BackboneConfig(lora_r=2))
    assert not [w for w in caught if "exclude_modules" in str(w.message)]
    assert net.body.peft_config["default"].exclude_modules is None


def test_gpu_only_switches_are_refused_clearly_on_cpu(tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    folder = tiny_checkpoint(tmp_path / "tiny")
    with pytest.raises(ValueError, match=r"quantization=4bit needs the bitsandbytes package .* and a CUDA GPU"):
        load_body(folder, BackboneConfig(quantization="4bit"))


def test_gradient_checkpointing_gives_the_same_gradients(tmp_path: Path) -> None:
    folder = tiny_checkpoint(tmp_path / "tiny")
    ids = torch.randint(9, 500, (2, 10))
    mask = torch.ones_like(ids)
    grads = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        net = build_net(
            folder,
            BackboneConfig(
                pooling="last", lora_r=2, head_dropout=0, lora_dropout=0, gradient_checkpointing=checkpointing
            ),
        )
        net(ids, mask).sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in net.parameters() if p.grad is not None]))
    base = net.body.get_base_model()
    assert getattr(base, "is_activation_checkpointing", None) or base.is_gradient_checkpointing
    assert torch.allclose(grads[0], grads[1], atol=1e-6)
