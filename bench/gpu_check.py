"""The one prepared GPU check (issue 27): the fine-tuned tier at real sizes on one GPU, and a projection of a 9B
model predicting Kaggle's 25,000 test battles on 2 x T4. Needs no network: the bundled SmolLM2-135M (or
--smollm2 FOLDER), the bundled MiniLM and Auto-J from --data.

Stages (each prints battles per second, peak GPU memory and held-out log loss against the prior):
1. llm: SmolLM2-135M + LoRA fine-tuned on 1,000 Auto-J battles at a 1,024-token window, bfloat16 weights,
   adamw-kahan; predicts 392 held-out battles (other prompts) with swap TTA at 2,048 tokens in bfloat16, in
   float16 and, where bitsandbytes is installed, with 8-bit weights;
2. cross-encoder: the bundled MiniLM likewise (its window is 512 tokens: it is trained and predicts at 512);
3. gemma2: a tiny random Gemma-2 (soft-capping off, SmolLM2's tokenizer) trained and predicting the same way,
   so Gemma-2's code path (eager attention, its norms) runs on the card.

The projection (printed with its inputs): a forward pass costs about 2 x parameters x tokens FLOPs, twice per
battle (both orders). The measured float16 prediction rate of stage 1 gives the FLOP rate this card achieved on
SmolLM2, as a share of the card's peak (its model utilisation); a 9B model (9.24e9 parameters, Gemma-2-9B) on a T4
(65 TFLOPS float16 peak) is assumed to reach the same share. A small model uses a big card worse than a big model
does, so the projection errs long. 9B in float16 (18.5 GB) fits no 16 GB T4: either 8-bit weights, one process per
card (two copies, twice the rate; the 8-bit/float16 speed ratio of stage 1 applied when measured), or float16 split
over both cards (device_map=auto: one copy, one card's rate).

    python bench/gpu_check.py --data ../shared/data --out out/gpu_check       # on a GPU: under 8 minutes on an H100
    python bench/gpu_check.py --dry-run --out /tmp/gpu_check                  # CPU, tiny sizes (the test runs this)
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.folds import prompt_groups
from arenapref.data.io import read_battles
from arenapref.evaluation.metrics import score
from arenapref.models.registry import create, load

KAGGLE_TEST_ROWS = 25_000
KAGGLE_HOURS = 9.0
NINE_B_PARAMETERS = 9.24e9
#: Dense float16 / bfloat16 peak FLOP/s by card name (vendor sheets, without sparsity).
PEAK_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12, "A10": 125e12, "T4": 65e12}
T4_PEAK = PEAK_FLOPS["T4"]


@dataclass(frozen=True)
class Sizes:
    train: int
    test: int
    train_window: int
    predict_window: int
    lora_r: int
    batch_size: int


FULL = Sizes(train=1000, test=392, train_window=1024, predict_window=2048, lora_r=16, batch_size=8)
DRY = Sizes(train=8, test=4, train_window=32, predict_window=48, lora_r=2, batch_size=4)


def split(battles: pd.DataFrame, sizes: Sizes, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`sizes.train` battles and up to `sizes.test` battles of other prompts (whole prompts on one side)."""
    groups = prompt_groups(battles)
    order = np.random.default_rng(seed).permutation(int(groups.max()) + 1)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    by_prompt = battles.iloc[np.argsort(rank[groups], kind="stable")]
    cut = sizes.train
    while cut < len(by_prompt) and prompt_groups(by_prompt.iloc[[cut - 1, cut]]).max() == 0:
        cut += 1  # do not split a prompt
    return by_prompt.iloc[:cut], by_prompt.iloc[cut : cut + sizes.test]


def gpu_memory() -> tuple[Any, Any]:
    """(reset, peak in GiB) of this process's GPU memory; no-ops on a CPU."""
    import torch

    if not torch.cuda.is_available():
        return (lambda: None), (lambda: None)
    return torch.cuda.reset_peak_memory_stats, lambda: round(torch.cuda.max_memory_allocated() / 2**30, 2)


def train_stage(name: str, options: dict[str, str], train: pd.DataFrame, folder: Path) -> dict[str, Any]:
    reset, peak = gpu_memory()
    reset()
    start = time.perf_counter()
    model = create(name, options).fit(train)
    seconds = time.perf_counter() - start
    model.save(folder)
    return {
        "battles": len(train),
        "seconds": round(seconds, 1),
        "battles_per_s": round(len(train) / seconds, 2),
        "peak_gib": peak(),
    }


def predict_stage(folder: Path, options: dict[str, str], test: pd.DataFrame, prior: float) -> dict[str, Any]:
    reset, peak = gpu_memory()
    reset()
    model: Any = load(folder, options)  # a FineTunedModel: its encode and net are read below
    start = time.perf_counter()
    proba = model.predict_proba(test)
    seconds = time.perf_counter() - start
    data = model.encode(test)
    tokens = float(np.mean([max(len(a), len(b)) for a, b in zip(data.ids, data.swapped, strict=True)]))
    return {
        "battles": len(test),
        "seconds": round(seconds, 2),
        "battles_per_s": round(len(test) / seconds, 2),
        "peak_gib": peak(),
        "mean_tokens": round(tokens, 1),
        "log_loss": round(score(test["label"].to_numpy(dtype=int), proba).log_loss, 4),
        "prior_log_loss": round(prior, 4),
        "parameters": sum(p.numel() for p in model.net.parameters()),
    }


def prior_log_loss(train: pd.DataFrame, test: pd.DataFrame) -> float:
    proba = create("prior").fit(train).predict_proba(test)
    return score(test["label"].to_numpy(dtype=int), proba).log_loss


def precisions(gpu: bool) -> dict[str, dict[str, str]]:
    """Prediction settings per stage: bfloat16, float16 and (bitsandbytes and a GPU present) 8-bit weights."""
    import importlib.util

    out = {"bfloat16": {"predict_dtype": "bfloat16"}, "float16": {"predict_dtype": "float16"}}
    if gpu and importlib.util.find_spec("bitsandbytes") is not None:
        out["8bit"] = {"quantization": "8bit", "predict_dtype": "float16"}
    return out


def tiny_gemma2(folder: Path, tokenizer_from: Path) -> Path:
    """A random two-layer Gemma-2 with soft-capping off, saved with SmolLM2's tokenizer."""
    import torch
    from transformers import AutoTokenizer, Gemma2Config, Gemma2ForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_from)
    config = Gemma2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        max_position_embeddings=4096,
        attn_logit_softcapping=None,
        final_logit_softcapping=None,
        sliding_window=4096,
        pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    Gemma2ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def projection(llm: dict[str, Any], card: str) -> dict[str, Any]:
    """Hours for a 9B model to predict KAGGLE_TEST_ROWS battles on 2 x T4 (module docstring: how); `card`: the
    device that ran the stages, whose peak FLOP/s the measured rate is compared with."""
    peak = next((flops for name, flops in PEAK_FLOPS.items() if name in card), None)
    fp16 = llm["predict"]["float16"]
    if peak is None:
        return {"card": card, "note": "no peak FLOP/s known for this device: no projection"}
    flops_per_battle = 2 * 2 * fp16["parameters"] * fp16["mean_tokens"]
    utilisation = fp16["battles_per_s"] * flops_per_battle / peak
    nine_b = 2 * 2 * NINE_B_PARAMETERS * fp16["mean_tokens"]
    per_t4 = utilisation * T4_PEAK / nine_b
    eight_bit = llm["predict"].get("8bit")
    ratio = eight_bit["battles_per_s"] / fp16["battles_per_s"] if eight_bit else 1.0
    hours = {
        "8bit_two_processes": KAGGLE_TEST_ROWS / (2 * per_t4 * ratio) / 3600,
        "fp16_split_over_two_cards": KAGGLE_TEST_ROWS / per_t4 / 3600,
    }
    return {
        "card": card,
        "peak_flops": peak,
        "mean_tokens": fp16["mean_tokens"],
        "utilisation": float(f"{utilisation:.3g}"),
        "t4_9b_battles_per_s_per_card": float(f"{per_t4:.3g}"),
        "int8_over_fp16_speed": round(ratio, 3),
        "hours": {k: round(v, 2) for k, v in hours.items()},
        "limit_hours": KAGGLE_HOURS,
        "fits": {k: v <= KAGGLE_HOURS for k, v in hours.items()},
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from arenapref.weights.gguf import materialise
    from arenapref.weights.locations import bundled_smollm2

    gpu = torch.cuda.is_available()
    card = torch.cuda.get_device_name(0) if gpu else "cpu"
    sizes = DRY if args.dry_run else FULL
    battles, _ = read_battles(Path(args.data) / "autoj" / "testdata_pairwise.jsonl")
    train, test = split(battles, sizes)
    prior = prior_log_loss(train, test)
    smollm2 = Path(args.smollm2) if args.smollm2 else materialise(bundled_smollm2())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    common = {
        "epochs": "1",
        "progress_bar": "false",
        "eval_fraction": "0",
        "batch_size": str(sizes.batch_size),
        "predict_batch_size": str(sizes.batch_size),
    }
    half = {"dtype": "bfloat16", "optimizer": "adamw-kahan"} if gpu else {}  # float32 on a CPU
    stages = {
        "llm": ("llm", {"backbone": str(smollm2), "lora_r": str(sizes.lora_r), **half}, sizes.predict_window),
        "cross-encoder": ("cross-encoder", {**half}, min(512, sizes.predict_window)),
        "gemma2": (
            "llm",
            {
                "backbone": str(tiny_gemma2(out / "gemma2-base", smollm2)),
                "soft_cap": "false",
                "lora_r": str(sizes.lora_r),
                **half,
            },
            sizes.predict_window,
        ),
    }
    result: dict[str, Any] = {
        "card": card,
        "dry_run": args.dry_run,
        "train_battles": len(train),
        "test_battles": len(test),
        "prior_log_loss": round(prior, 4),
    }
    for stage, (model, options, window) in stages.items():
        train_window = str(min(window, sizes.train_window))
        trained = train_stage(model, {**common, **options, "max_length": train_window}, train, out / stage)
        predictions = {
            name: predict_stage(out / stage, {**extra, "max_length": str(window)}, test, prior)
            for name, extra in precisions(gpu).items()
        }
        result[stage] = {"train": trained, "predict": predictions}
        print(
            f"{stage}: trained {trained['battles']} battles at {train_window} tokens in {trained['seconds']} s "
            f"({trained['battles_per_s']} battles/s, peak {trained['peak_gib'] or 'n/a'} GiB)",
            flush=True,
        )
        for name, p in predictions.items():
            print(
                f"  predict {name} at {window} tokens (mean {p['mean_tokens']}): {p['battles_per_s']} battles/s "
                f"(both orders), peak {p['peak_gib'] or 'n/a'} GiB, "
                f"log loss {p['log_loss']} vs prior {p['prior_log_loss']}",
                flush=True,
            )
    result["projection"] = projection(result["llm"], args.assume_card or card)
    print("projection, 9B on 2 x T4:", json.dumps(result["projection"]), flush=True)
    (out / "gpu_check.json").write_text(json.dumps(result, indent=2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--out", default="out/gpu_check")
    parser.add_argument("--smollm2", help="SmolLM2-135M checkpoint folder (default: the bundled GGUF, materialised)")
    parser.add_argument("--dry-run", action="store_true", help="CPU-sized run (what the test suite runs)")
    parser.add_argument("--assume-card", help="Project as if this card (e.g. H100) had run it (a dry run's figures)")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
