"""TRL: a real GRPOTrainer run on CPU (SmolLM2-135M as the policy, an arenapref `fast` model trained on Auto-J as
the reward): the rewards reach TRL's logs and the policy's weights change. And the adapter's call shapes."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arenapref.integrations.trl import PairwiseJudge, reward_function
from serve_support import small_fast_model_dir

CHAT = [
    {"prompt": [{"role": "user", "content": "Name a colour."}], "reference": "Blue."},
    {"prompt": [{"role": "user", "content": "What is 2+2?"}], "reference": ""},
]


def test_importing_the_adapters_loads_no_host_library() -> None:
    code = (
        "import sys, arenapref.integrations.trl, arenapref.integrations.verl, arenapref.integrations.openrlhf\n"
        "print(sorted(m for m in ('trl', 'verl', 'openrlhf', 'torch', 'transformers') if m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_reward_function_takes_both_data_formats_and_trls_own_keywords() -> None:
    reward = reward_function(small_fast_model_dir())
    extras = {"completion_ids": [[1, 2]] * 2, "trainer_state": object(), "log_extra": print, "log_metric": print}
    text = reward(prompts=["Name a colour.", "Say hi."], completions=["Blue.", "Hi!"], solution=["x", "y"], **extras)
    chat = reward(
        prompts=[[{"role": "user", "content": "Name a colour."}], [{"role": "user", "content": "Say hi."}]],
        completions=[[{"role": "assistant", "content": "Blue."}], [{"role": "assistant", "content": "Hi!"}]],
        **extras,
    )
    assert text == chat and all(isinstance(r, float) and 0 <= r <= 1 for r in text)
    assert reward.__name__ == "arenapref"
    assert pickle.loads(pickle.dumps(reward))(prompts=["Say hi."], completions=["Hi!"]) == text[1:]  # for workers


def test_reward_function_reads_the_reference_column() -> None:
    model_dir = small_fast_model_dir()
    with_reference = reward_function(model_dir, reference_column="solution")
    plain = reward_function(model_dir)
    prompts, completions = ["Q", "Q"], ["An answer.", "An answer."]
    got = with_reference(prompts=prompts, completions=completions, solution=["An answer.", None])
    assert got[0] == pytest.approx(0.5)  # against itself
    assert got[1] == plain(prompts=prompts[1:], completions=completions[1:])[0]  # None: the baseline
    with pytest.raises(KeyError, match="reference column 'answer' is not in the dataset"):
        reward_function(model_dir, reference_column="answer")(prompts=prompts, completions=completions, solution=[])


def test_pairwise_judge_has_trls_signature() -> None:
    judge = PairwiseJudge(small_fast_model_dir())
    prompts = ["Explain gravity.", "Say hi.", "Broken"]
    pairs: list[Any] = [
        ["Mass attracts mass: the force falls with the square of the distance.", "idk"],
        ["Hi!", "Hi!"],
        ["only one"],
    ]
    picks = judge.judge(prompts, pairs)
    assert picks[1] == 0 and picks[2] == -1 and picks[0] in (0, 1)
    scores = judge.judge(prompts, pairs, shuffle_order=False, return_scores=True)
    assert scores[1] == pytest.approx(0.5) and np.isnan(scores[2])
    assert (scores[0] > 0.5) == (picks[0] == 0)
    swapped = judge.judge(prompts[:1], [pairs[0][::-1]], return_scores=True)
    assert swapped[0] == pytest.approx(1 - scores[0])


@pytest.mark.slow
def test_grpo_trains_a_policy_on_arenapref_rewards(smollm2_folder: Path, tmp_path: Path) -> None:
    pytest.importorskip("trl")
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    policy = AutoModelForCausalLM.from_pretrained(smollm2_folder, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(smollm2_folder)
    before = {name: p.detach().clone() for name, p in policy.named_parameters()}
    reward = reward_function(small_fast_model_dir(), reference_column="reference")
    returned: list[list[float | None]] = []

    def arenapref(prompts: Any, completions: Any, **columns: Any) -> list[float | None]:  # records what TRL got
        out = reward(prompts, completions, **columns)
        returned.append(out)
        return out

    config = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        use_cpu=True,
        max_completion_length=8,
        num_generations=2,
        per_device_train_batch_size=2,
        max_steps=2,
        learning_rate=1e-4,
        logging_steps=1,
        report_to=[],
        bf16=False,
        save_strategy="no",
        gradient_checkpointing=False,  # GRPOConfig's default; on a 135M model on CPU it only costs time
        seed=0,
    )
    trainer = GRPOTrainer(
        model=policy,
        reward_funcs=[arenapref],
        args=config,
        train_dataset=Dataset.from_list(CHAT),
        processing_class=tokenizer,
    )
    trainer.train()

    logged = [
        entry["rewards/arenapref/mean"] for entry in trainer.state.log_history if "rewards/arenapref/mean" in entry
    ]
    assert len(logged) == 2 and len(returned) == 2
    for mean, values in zip(logged, returned, strict=True):
        assert len(values) == 2 and all(v is not None and 0 <= v <= 1 for v in values)
        assert mean == pytest.approx(float(np.mean([v for v in values if v is not None])), abs=1e-6)
    changed = [name for name, p in policy.named_parameters() if not torch.equal(before[name], p.detach())]
    assert changed, "GRPO left every weight of the policy as it was"
