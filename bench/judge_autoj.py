"""The local judge (SmolLM2-135M-Instruct, log-probability path) on a random slice of Auto-J's pairwise test set,
end to end: agreement with the human labels under Auto-J's protocol (both orders must match the label), position
consistency, accuracy and log loss of the combined prediction against the prior (label frequencies of the Auto-J
battles outside the slice) and the uniform distribution, and time per battle. Responses are cached, so a killed
run resumes.

    PYTHONPATH=src python bench/judge_autoj.py --n 30 --max-chars 700 --max-tokens 0 --probe-n 4
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from arenapref.data.io import read_battles
from arenapref.evaluation.metrics import score
from arenapref.judge.config import JudgeConfig, make_judge
from arenapref.judge.probes import agreement_both_orders, self_enhancement_probe, verbosity_probe
from arenapref.models.baselines import PriorModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/autoj/testdata_pairwise.jsonl")
    parser.add_argument("--n", type=int, default=30, help="battles in the slice (drawn at random)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-tokens", type=int, default=0, help="explanation tokens before the verdict is read")
    parser.add_argument("--max-chars", type=int, default=700, help="each text cut to this many characters")
    parser.add_argument("--cache-dir", default="/tmp/judge-autoj-cache")
    parser.add_argument("--out", default="/tmp/judge-autoj.json")
    parser.add_argument("--probe-n", type=int, default=4, help="battles of the slice used by each bias probe")
    args = parser.parse_args()

    battles, _ = read_battles(args.data)
    rng = np.random.default_rng(args.seed)
    pick = np.sort(rng.choice(len(battles), size=min(args.n, len(battles)), replace=False))
    sliced = battles.iloc[pick].reset_index(drop=True)
    rest = battles.drop(index=battles.index[pick]).reset_index(drop=True)
    config = JudgeConfig(
        backend="local", max_tokens=args.max_tokens, max_chars=args.max_chars, cache_dir=args.cache_dir
    )
    started = time.perf_counter()
    judge = make_judge(config)
    load_s = time.perf_counter() - started

    def progress(done: int, total: int, agree: float | None) -> None:
        shown = "-" if agree is None else f"{100 * agree:.1f}%"
        print(f"  {done}/{total} requests, running agreement {shown}", flush=True)

    result = judge.judge(sliced, progress=progress)
    labels = sliced["label"].to_numpy(dtype=np.int64)
    judged = score(labels, result.proba)
    prior = score(labels, PriorModel().fit(rest).predict_proba(sliced))
    ab = agreement_both_orders(labels, result.verdict_ab, result.verdict_ba)
    probe_start = time.perf_counter()
    verbosity = verbosity_probe(judge, sliced, n=args.probe_n, seed=args.seed)
    enhancement = self_enhancement_probe(judge, sliced, "SmolLM2", n=args.probe_n, seed=args.seed)
    probe_s = time.perf_counter() - probe_start
    report = {
        "slice": f"{len(sliced)} of {len(battles)} Auto-J pairwise test battles, drawn at random (seed {args.seed})",
        "judge": "SmolLM2-135M-Instruct (bundled GGUF, materialised), local backend, MT-bench pair-v2 prompt",
        "settings": {"max_tokens": args.max_tokens, "max_chars": args.max_chars},
        "label_counts": {str(k): int(v) for k, v in sliced["label"].value_counts().sort_index().items()},
        "autoj_agreement_both_orders": ab.agreement,
        "autoj_consistency": ab.consistency,
        "agreement_order_ab": ab.agreement_first,
        "agreement_order_ba": ab.agreement_second,
        "combined_accuracy": judged.accuracy,
        "combined_log_loss": judged.log_loss,
        "prior_log_loss": prior.log_loss,
        "uniform_log_loss": math.log(3),
        "counts": result.counts,
        "errors": result.errors[:5],
        "model_load_seconds": load_s,
        "judge_seconds": result.seconds,
        "seconds_per_battle": result.seconds / max(len(sliced), 1),
        "verbosity_probe": verbosity.to_dict(),
        "self_enhancement_probe": enhancement.to_dict(),
        "probe_seconds": probe_s,
        "published_gpt4_autoj": {"agreement": 62.28, "consistency": 86.28},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1, default=float))
    print(json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
