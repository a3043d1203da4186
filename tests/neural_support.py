"""Helpers for the neural tests: a word-level tokenizer (one token per word, so truncation is readable) and tiny
randomly initialised checkpoints (Llama, Gemma-2, reward models) saved by the tests themselves.
Import `one_thread` into a test module to run its torch on one thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from arenapref.data.schema import conform

HEADERS = {"prompt_header": "P ", "a_header": " A ", "b_header": " B ", "turn_separator": " S ", "null_marker": "NULL"}
SPECIAL = ["[PAD]", "[UNK]", "[BOS]", "[EOS]", "P", "A", "B", "S", "NULL"]
WORDS = [f"{side}{turn}w{i}" for side in "pab" for turn in range(4) for i in range(40)] + [f"x{i}" for i in range(60)]


def word_tokenizer(folder: Path | None = None) -> Any:
    """A PreTrainedTokenizerFast with one id per word of SPECIAL + WORDS, BOS/EOS/PAD set; saved to `folder`."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(SPECIAL + WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="[BOS]", eos_token="[EOS]", pad_token="[PAD]", unk_token="[UNK]"
    )
    if folder is not None:
        tok.save_pretrained(folder)
    return tok


def words(side: str, turn: int, n: int) -> str:
    """n distinct words of one side ('p', 'a' or 'b') and turn: p0w0 p0w1 ..."""
    return " ".join(f"{side}{turn}w{i}" for i in range(n))


def battle_table(rows: list[tuple[list[str | None], list[str | None], list[str | None], int]]) -> pd.DataFrame:
    """A conformed battle table from (prompt turns, response_a turns, response_b turns, label)."""
    return conform(
        pd.DataFrame(
            {
                "id": [str(i) for i in range(len(rows))],
                "source": ["test"] * len(rows),
                "prompt": [r[0] for r in rows],
                "response_a": [r[1] for r in rows],
                "response_b": [r[2] for r in rows],
                "label": [r[3] for r in rows],
            }
        )
    )


def random_battles(n: int, seed: int = 0) -> pd.DataFrame:
    """n single-turn battles of random lengths where the longer answer wins (ties when equal-ish)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        la, lb, lp = (int(v) for v in rng.integers(1, 30, size=3))
        label = 2 if abs(la - lb) < 3 else (0 if la > lb else 1)
        rows.append(([words("p", i % 4, lp)], [words("a", 0, la)], [words("b", 0, lb)], label))
    return battle_table(rows)


def tiny_config(kind: str = "llama", **overrides: Any) -> Any:
    from transformers import Gemma2Config, LlamaConfig

    vocab = len(SPECIAL) + len(WORDS)
    common = {
        "vocab_size": vocab,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
        "pad_token_id": 0,
        "bos_token_id": 2,
        "eos_token_id": 3,
    }
    if kind == "gemma2":
        return Gemma2Config(**{**common, "head_dim": 8, "sliding_window": 16, **overrides})
    return LlamaConfig(**{**common, **overrides})


def tiny_checkpoint(folder: Path, kind: str = "llama", reward: bool = False, seed: int = 0, **overrides: Any) -> Path:
    """Save a tiny random causal LM (or, with `reward`, a one-output sequence classifier) with the word tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    torch.manual_seed(seed)
    config = tiny_config(kind, **overrides)
    if reward:
        config.num_labels = 1
        model = AutoModelForSequenceClassification.from_config(config)
    else:
        model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(folder)
    word_tokenizer(folder)
    return folder


def tiny_bert_checkpoint(folder: Path, num_labels: int = 2, seed: int = 0) -> Path:
    """Save a tiny random BERT (with its pooler) as a sequence classifier, with the word tokenizer."""
    import torch
    from transformers import AutoModelForSequenceClassification, BertConfig

    config = BertConfig(
        vocab_size=len(SPECIAL) + len(WORDS),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        num_labels=num_labels,
    )
    torch.manual_seed(seed)
    AutoModelForSequenceClassification.from_config(config).save_pretrained(folder)
    word_tokenizer(folder)
    return folder


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Run torch on one thread for the test (the test machine's cores are shared; two threads fight)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


LORA_OPTIONS = {"max_length": 32, "max_train_battles": 24, "eval_fraction": 0, "progress_bar": False, "lora_r": 2}


def lora_model_dir(root: Path) -> tuple[Path, Path]:
    """(model directory of a LoRA `llm` trained on 24 random battles, its tiny Llama base), both under `root`."""
    from arenapref.models import registry

    base = tiny_checkpoint(root / "base-llama")
    model = registry.create("llm", {**LORA_OPTIONS, "backbone": str(base)}).fit(random_battles(24))
    model.save(root / "model")
    return root / "model", base
