"""Benchmark (not a test): encoder throughput, the embedding cache's effect, and the embedding model at Kaggle
scale, every figure printed as a ratio to a baseline measured in the same run.

- encoders: MiniLM on N of the distinct Auto-J texts (prompts and responses: what training encodes) drawn at
  random (seed 0), in that order (naive batches) and length-sorted, texts/s at its window (256 word pieces, head +
  tail), at the precision `minilm` resolves to on this machine and in float32; with the padded tokens of both
  batchings, whose ratio bounds what sorting can gain on these texts. WordLlama on every distinct Auto-J text,
  sorted and naive. Weights are loaded before timing.
- --cv: the Auto-J 5-fold CV (the benchmark's folds) of MODEL three times: cold (empty embedding cache, no run
  cache), embeddings cached (fresh process state, the encoder never loads), and fully cached (the benchmark's run
  cache holds the run).
- --kaggle: fast and MODEL trained and predicted on the 57,477-row Kaggle-scale file (bench/kaggle_scale.py), each
  in a fresh process with an empty embedding cache; MiniLM's encoding time measured on a slice and projected to
  every distinct text of the file.

    python bench/embed_speed.py --data ../shared/data --out out/embed_speed [--cv] [--kaggle]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def encoders(data: Path, n_minilm: int) -> dict[str, Any]:
    from arenapref.data.io import read_battles
    from arenapref.features.encoders import get_encoder
    from arenapref.features.text import side_texts

    battles, _ = read_battles(data / "autoj" / "testdata_pairwise.jsonl")
    every = list(dict.fromkeys(t for c in ("prompt", "response_a", "response_b") for t in side_texts(battles, c)))
    rng = np.random.default_rng(0)
    sample = [every[i] for i in rng.choice(len(every), n_minilm, replace=False)]
    minilm = get_encoder("minilm")
    minilm.load()
    minilm.encode(sample[:8])  # warm-up
    _, naive = timed(lambda: minilm.encode(sample, sort=False))
    _, ordered = timed(lambda: minilm.encode(sample, sort=True))
    fp32 = get_encoder("minilm@float32")
    fp32.load()
    fp32.encode(sample[:8])
    _, naive32 = timed(lambda: fp32.encode(sample, sort=False))
    _, ordered32 = timed(lambda: fp32.encode(sample, sort=True))
    wordllama = get_encoder("wordllama")
    wordllama.load()
    wordllama.encode(every[:64])
    _, wl_sorted = timed(lambda: wordllama.encode(every, sort=True))
    _, wl_naive = timed(lambda: wordllama.encode(every, sort=False))
    padded = {order: padded_tokens(minilm, sample, order) for order in (False, True)}
    return {
        "minilm_precision": minilm.spec,
        "minilm_padded_tokens_naive": padded[False],
        "minilm_padded_tokens_sorted": padded[True],
        "minilm_padding_bound_x": padded[False] / padded[True],
        "minilm_float32_sorted_texts_per_s": n_minilm / ordered32,
        "minilm_float32_sorted_x_naive": naive32 / ordered32,
        "minilm_texts": n_minilm,
        "minilm_naive_s": naive,
        "minilm_sorted_s": ordered,
        "minilm_sorted_texts_per_s": n_minilm / ordered,
        "minilm_naive_texts_per_s": n_minilm / naive,
        "minilm_sorted_x_naive": naive / ordered,
        "wordllama_texts": len(every),
        "wordllama_sorted_texts_per_s": len(every) / wl_sorted,
        "wordllama_naive_texts_per_s": len(every) / wl_naive,
        "mean_chars": float(np.mean([len(t) for t in sample])),
    }


def padded_tokens(encoder: Any, texts: list[str], sort: bool) -> int:
    """Tokens the model computes over (padding included) when it encodes `texts` in that batching."""
    from arenapref.features.encoders.base import sorted_batches
    from arenapref.features.encoders.sentence import BATCH_TEXTS, BATCH_TOKENS

    lengths = encoder.windows(texts).lengths()
    batches = sorted_batches(lengths, BATCH_TEXTS, BATCH_TOKENS, sort)
    return int(sum(len(b) * lengths[b].max() for b in batches))


def cached_cv(data: Path, model: str) -> dict[str, Any]:
    """Auto-J 5-fold CV: cold, embeddings cached, fully cached (run cache)."""
    from arenapref.data.io import read_battles
    from arenapref.evaluation.cache import RunCache, cache_key
    from arenapref.evaluation.protocols import in_domain_splits, run_splits
    from arenapref.features.encoders import get_encoder
    from arenapref.models import registry

    battles, _ = read_battles(data / "autoj" / "testdata_pairwise.jsonl")
    splits = in_domain_splits(battles, 5, 0)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ARENAPREF_EMBED_CACHE"] = str(Path(tmp) / "embeddings")
        runs = RunCache(Path(tmp) / "runs")
        key = cache_key(model=model, task="autoj-cv")
        get_encoder.cache_clear()
        cold, cold_s = timed(lambda: run_splits(lambda: registry.create(model), battles, splits))
        runs.put(key, cold, {"model": model})
        get_encoder.cache_clear()  # a new encoder object: it would have to load its weights to encode anything
        warm, warm_s = timed(lambda: run_splits(lambda: registry.create(model), battles, splits))
        encoder_loaded = any(get_encoder(spec).loaded for spec in ("wordllama", "minilm"))
        full, full_s = timed(lambda: runs.get(key))
    assert full is not None
    return {
        "model": model,
        "cold_s": cold_s,
        "embeddings_cached_s": warm_s,
        "fully_cached_s": full_s,
        "embeddings_cached_x_cold": cold_s / warm_s,
        "fully_cached_x_cold": cold_s / full_s,
        "encoder_loaded_on_cached_rerun": encoder_loaded,
        "same_predictions": bool(np.array_equal(cold.proba, warm.proba) and np.array_equal(cold.proba, full.proba)),
    }


def kaggle(data: Path, file: Path, model: str, timeout: float, slice_rows: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).parent))
    from arenapref.data.io import read_battles
    from arenapref.features.encoders import get_encoder
    from arenapref.features.text import side_texts
    from kaggle_scale import build_kaggle_scale
    from speed import run_child

    path = build_kaggle_scale(data, file)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("fast", model):
            os.environ["ARENAPREF_EMBED_CACHE"] = str(Path(tmp) / name)  # empty: the child encodes every text
            rows[name] = run_child(name, path, timeout)
    battles, _ = read_battles(path)
    texts = list(dict.fromkeys(t for c in ("prompt", "response_a", "response_b") for t in side_texts(battles, c)))
    part = [texts[i] for i in np.random.default_rng(0).choice(len(texts), slice_rows, replace=False)]
    minilm = get_encoder("minilm")
    minilm.load()
    _, seconds = timed(lambda: minilm.encode(part))
    out: dict[str, Any] = {"file": str(path), "rows": len(battles), "models": rows}
    fast, other = rows["fast"], rows[model]
    if "error" not in fast and "error" not in other:
        out["train_predict_x_fast"] = (other["fit_s"] + other["predict_s"]) / (fast["fit_s"] + fast["predict_s"])
    out["minilm"] = {
        "slice_texts": slice_rows,
        "slice_s": seconds,
        "texts_per_s": slice_rows / seconds,
        "distinct_texts": len(texts),
        "projected_s": len(texts) * seconds / slice_rows,
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Encoder throughput, embedding cache, embedding model at scale.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("out/embed_speed"))
    parser.add_argument("--minilm-texts", type=int, default=256)
    parser.add_argument("--model", default="embed", help="the embedding model of --cv and --kaggle")
    parser.add_argument("--cv", action="store_true", help="time the Auto-J CV cold, embeddings cached, run cached")
    parser.add_argument("--kaggle", action="store_true", help="fast vs MODEL on the Kaggle-scale file")
    parser.add_argument("--skip-encoders", action="store_true", help="leave out the encoder throughput part")
    parser.add_argument("--file", type=Path, default=Path("bench/cache/kaggle_scale.csv"), help="built if absent")
    parser.add_argument("--slice", type=int, default=512, help="texts MiniLM encodes for the Kaggle projection")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per model at Kaggle scale")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    if not args.skip_encoders:
        results["encoders"] = encoders(args.data, args.minilm_texts)
        print(json.dumps({"encoders": results["encoders"]}, indent=1), flush=True)
    if args.cv:
        results["cached_cv"] = cached_cv(args.data, args.model)
        print(json.dumps({"cached_cv": results["cached_cv"]}, indent=1), flush=True)
    if args.kaggle:
        results["kaggle"] = kaggle(args.data, args.file, args.model, args.timeout, args.slice)
        print(json.dumps({"kaggle": results["kaggle"]}, indent=1), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "embed_speed.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out / 'embed_speed.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
