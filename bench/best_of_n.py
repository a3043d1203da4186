"""Benchmark (not a test): arenapref as a reward model, on sets the model never trained on.

Quality, leave one dataset out (the `fast` model trained on every other shared set, minus battles sharing a prompt
with the held-out one, as evaluation/protocols.py's transfer split does):
- best-of-n on the sets with several answers per prompt (vicuna80: 79 questions x 8 models, 3 crowd votes per
  pair; tulu1: 4 models, graded judgments): per prompt, every pair of distinct answers ranked by `rank` (Bradley-
  Terry over the pairwise probabilities). Top-1: the model's best answer is the human-majority winner (the answer
  with the highest win rate over its battles' majority labels, a tie or no majority counting half; among equal win
  rates, the highest human Bradley-Terry score on the vote shares; answers still equal all count as the winner).
  Kendall tau-b of the model's scores against the human Bradley-Terry scores. Beside them: "longer wins" (score =
  length) and random (200 draws).
- chosen-over-rejected accuracy on hh-rlhf, hhh and lfqa (RewardBench's measure: the chosen answer must be preferred;
  an exact draw counts half), beside "longer wins" and PairRM's published figures.
Speed, as ratios measured in the same run: ranking 8 candidates (28 pairs, both orders) against 28 single
predictions of the same pairs; POST /get_reward (one sample per request, as OpenRLHF sends) against POST /v1/predict,
both at concurrency 32 on a loopback `arenapref serve`, p50/p99 latency and calls per second.

    python bench/best_of_n.py --data ../shared/data --out out/best_of_n [--max-train N] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from scipy.stats import kendalltau

from arenapref.data.schema import targets
from arenapref.data.sources import family
from arenapref.evaluation.protocols import cap_train, transfer_split
from arenapref.evaluation.sets import load_sets
from arenapref.models import registry
from arenapref.reward.compare import compare_pairs
from arenapref.reward.files import battle_dialogue
from arenapref.reward.inputs import Pair
from arenapref.reward.model import RewardModel
from arenapref.reward.strengths import strengths
from serve_load import Phase, run_phase, start_server  # a sibling script: python bench/best_of_n.py puts bench/ first

console = Console(width=160)
BEST_OF_N = ("vicuna80", "tulu1")
CHOSEN_REJECTED = ("hh-rlhf", "hhh", "lfqa")
#: PairRM's published figures (llm-blender's model card), with GPT-4's beside them.
PUBLISHED = {"hhh": {"PairRM": 84.62, "GPT-4": 88.69}, "mt-bench human": {"PairRM": 59.0, "GPT-4": 63.87}}
CHATML = "<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


def text(turns: Any) -> str:
    return "\n".join(t for t in turns if t)


@dataclass
class Prompt:
    """One prompt of a best-of-n set: its distinct answers and the human comparisons between them."""

    prompt: list[str | None]
    answers: list[list[str | None]]
    i: np.ndarray  # battle: answer index on side A
    j: np.ndarray
    shares: np.ndarray  # (battles, 3) human outcome shares (vote shares, graded preferences)
    majority: np.ndarray  # (battles,) 0 A, 1 B, 2 tie or no majority


def prompts_of(battles: pd.DataFrame) -> list[Prompt]:
    shares = targets(battles)
    label = battles["label"].to_numpy(dtype=float, na_value=2.0).astype(int)
    out = []
    for _, rows in battles.groupby(battles["prompt"].map(tuple), sort=False):
        index: dict[tuple[Any, ...], int] = {}
        for turns in (*rows["response_a"], *rows["response_b"]):
            index.setdefault(tuple(turns), len(index))
        if len(index) < 2:
            continue
        pos = battles.index.get_indexer(rows.index)
        out.append(
            Prompt(
                list(rows["prompt"].iloc[0]),
                [list(k) for k in index],
                np.array([index[tuple(t)] for t in rows["response_a"]]),
                np.array([index[tuple(t)] for t in rows["response_b"]]),
                shares[pos],
                label[pos],
            )
        )
    return out


def human_winners(p: Prompt, human: np.ndarray) -> set[int]:
    """The answers with the best majority win rate, equal rates broken by the human Bradley-Terry score."""
    n = len(p.answers)
    points = np.where(p.majority == 0, 1.0, np.where(p.majority == 1, 0.0, 0.5))
    games = np.bincount(p.i, minlength=n) + np.bincount(p.j, minlength=n)
    rate = (np.bincount(p.i, points, minlength=n) + np.bincount(p.j, 1 - points, minlength=n)) / np.maximum(games, 1)
    top = np.flatnonzero(np.isclose(rate, rate.max()))
    best = human[top].max()
    return {int(k) for k in top if np.isclose(human[k], best, atol=1e-9)}


def tau(scores: np.ndarray, human: np.ndarray) -> float:
    value = kendalltau(scores, human).statistic
    return float(value) if np.isfinite(value) else float("nan")


def nanmean(values: list[float]) -> float:
    """The mean of the finite values (tau is undefined where every human score is equal); NaN when none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def best_of_n(model: RewardModel, battles: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    prompts = prompts_of(battles)
    dialogues = [battle_dialogue(p.prompt, p.answers) for p in prompts]
    start = time.perf_counter()
    rankings = model.rank_many([d[0] for d in dialogues], [d[1] for d in dialogues])
    seconds = time.perf_counter() - start
    rng = np.random.default_rng(seed)
    rows = {"model": ([], []), "longer wins": ([], []), "random": ([], [])}
    for p, ranking in zip(prompts, rankings, strict=True):
        human = strengths(len(p.answers), p.i, p.j, p.shares)
        winners = human_winners(p, human)
        lengths = np.array([len(text(a)) for a in p.answers], dtype=float)
        rows["model"][0].append(ranking.best in winners)
        rows["model"][1].append(tau(ranking.scores, human))
        rows["longer wins"][0].append(int(np.argmax(lengths)) in winners)
        rows["longer wins"][1].append(tau(lengths, human))
        draws = rng.random((200, len(p.answers)))
        rows["random"][0].append(len(winners) / len(p.answers))
        rows["random"][1].append(nanmean([tau(d, human) for d in draws]))
    pairs = sum(len(a.answers) * (len(a.answers) - 1) // 2 for a in prompts)
    result: dict[str, Any] = {"prompts": len(prompts), "pairs": pairs, "rank_seconds": seconds}
    for name, (top1, taus) in rows.items():
        result[name] = {"top1": float(np.mean(top1)), "kendall_tau": nanmean(taus)}
    return result


def chosen_accuracy(model: RewardModel, battles: pd.DataFrame) -> dict[str, Any]:
    rows = battles[battles["label"].isin([0, 1])].reset_index(drop=True)
    pairs = [
        Pair(list(p), list(a), list(b)) for p, a, b in zip(rows.prompt, rows.response_a, rows.response_b, strict=True)
    ]
    proba = np.vstack([compare_pairs(model.model, pairs[k : k + 4096]) for k in range(0, len(pairs), 4096)])
    chosen_a = rows["label"].to_numpy(dtype=int) == 0
    p_chosen = np.where(chosen_a, proba[:, 0], proba[:, 1])
    p_rejected = np.where(chosen_a, proba[:, 1], proba[:, 0])
    len_a = rows.response_a.map(text).str.len().to_numpy()
    len_b = rows.response_b.map(text).str.len().to_numpy()
    len_chosen, len_rejected = np.where(chosen_a, len_a, len_b), np.where(chosen_a, len_b, len_a)

    def accuracy(x: np.ndarray, y: np.ndarray) -> float:
        return float(100 * (np.mean(x > y) + 0.5 * np.mean(x == y)))

    by_source = {
        str(s): accuracy(p_chosen[m], p_rejected[m])
        for s in sorted(rows.source.unique())
        if (m := (rows.source == s).to_numpy()).any()
    }
    return {
        "pairs": len(rows),
        "model": accuracy(p_chosen, p_rejected),
        "longer wins": accuracy(len_chosen, len_rejected),
        "random": 50.0,
        "by_source": by_source,
    }


def train_without(battles: pd.DataFrame, held_out: str, max_train: int | None) -> tuple[RewardModel, dict[str, Any]]:
    split = cap_train(transfer_split(battles, held_out), max_train)
    start = time.perf_counter()
    model = registry.create("fast").fit(battles.iloc[split.train].reset_index(drop=True))
    seconds = time.perf_counter() - start
    trained_on = sorted({family(s) for s in battles.iloc[split.train]["source"]})
    console.print(
        f"[dim]fast without {held_out}: {len(split.train):,} battles of {', '.join(trained_on)} in {seconds:.0f} s[/]"
    )
    return RewardModel(model), {"train_battles": len(split.train), "trained_on": trained_on, "fit_seconds": seconds}


def rank_speed(model: RewardModel, battles: pd.DataFrame, prompts: int, repeats: int) -> dict[str, Any]:
    """Per prompt of 8 answers: one rank call (28 pairs) against 28 single compare calls of the same pairs."""
    chosen = [p for p in prompts_of(battles) if len(p.answers) == 8][:prompts]
    rank_s, single_s = [], []
    for p in chosen:
        messages, answers = battle_dialogue(p.prompt, p.answers)
        pairs = [(answers[a], answers[b]) for a in range(8) for b in range(a + 1, 8)]
        for _ in range(repeats):
            start = time.perf_counter()
            model.rank(messages, answers)
            rank_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            for a, b in pairs:
                model.compare([messages], [a], [b])
            single_s.append(time.perf_counter() - start)
    rank_ms, single_ms = 1000 * statistics.median(rank_s), 1000 * statistics.median(single_s)
    return {
        "prompts": len(chosen),
        "repeats": repeats,
        "rank_8_ms": rank_ms,
        "singles_28_ms": single_ms,
        "speedup": single_ms / rank_ms,
    }


def serve_speed(model_dir: Path, battles: pd.DataFrame, seconds: float, concurrency: int) -> dict[str, Any]:
    """/get_reward (one templated sample per request) against /v1/predict (one battle), both at `concurrency`."""
    rows = battles.reset_index(drop=True)
    bodies = [(text(r.prompt), text(r.response_a), text(r.response_b)) for r in rows.itertuples()]

    def predict(i: int) -> tuple[str, str, Any]:
        q, a, b = bodies[i % len(bodies)]
        return "POST", "/v1/predict?reasons=false", {"prompt": q, "response_a": a, "response_b": b}

    def reward(i: int) -> tuple[str, str, Any]:
        q, a, _ = bodies[i % len(bodies)]
        prompt = CHATML.format(q=q)
        return "POST", "/get_reward", {"query": [prompt + a + "<|im_end|>"], "prompts": [prompt], "labels": [""]}

    proc, url = start_server(model_dir, 1)
    try:
        phases = {}
        for name, request in (("warm-up", predict), ("/v1/predict", predict), ("/get_reward", reward)):
            phase = Phase(name, concurrency, 1)
            asyncio.run(run_phase(url, proc, phase, seconds if name != "warm-up" else 2.0, request, None))
            phases[name] = phase.summary()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    del phases["warm-up"]
    predict_s, reward_s = phases["/v1/predict"], phases["/get_reward"]
    return {
        "concurrency": concurrency,
        "seconds": seconds,
        "phases": phases,
        "throughput_ratio": reward_s["calls_per_s"] / predict_s["calls_per_s"],
        "p50_ratio": reward_s["p50_ms"] / predict_s["p50_ms"],
    }


def show(results: dict[str, Any]) -> None:
    table = Table(title="best-of-n, leave one dataset out (fast trained on the other shared sets)")
    for col in ("set", "prompts", "pairs", "top-1 model", "longer", "random", "tau model", "longer", "random"):
        table.add_column(col, justify="left" if col == "set" else "right")
    for name, r in results["best_of_n"].items():
        table.add_row(
            name, str(r["prompts"]), str(r["pairs"]),
            *(f"{100 * r[k]['top1']:.1f}" for k in ("model", "longer wins", "random")),
            *(f"{r[k]['kendall_tau']:+.3f}" for k in ("model", "longer wins", "random")),
        )  # fmt: skip
    console.print(table)
    table = Table(title="chosen over rejected, accuracy % (RewardBench's measure), leave one dataset out")
    for col in ("set", "pairs", "model", "longer wins", "random", "PairRM (published)", "GPT-4 (published)"):
        table.add_column(col, justify="left" if col == "set" else "right")
    for name, r in results["chosen_rejected"].items():
        published = PUBLISHED.get(name, {})
        table.add_row(
            name, f"{r['pairs']:,}", f"{r['model']:.2f}", f"{r['longer wins']:.2f}", f"{r['random']:.1f}",
            str(published.get("PairRM", "-")), str(published.get("GPT-4", "-")),
        )  # fmt: skip
    console.print(table)
    s = results["speed"]["rank"]
    console.print(
        f"rank 8 candidates (28 pairs): {s['rank_8_ms']:.1f} ms; 28 single predictions: {s['singles_28_ms']:.1f} ms "
        f"-> ranking is {s['speedup']:.1f}x faster (median of {s['prompts']} prompts x {s['repeats']})"
    )
    v = results["speed"]["serve"]
    for name, p in v["phases"].items():
        console.print(
            f"{name:12s} concurrency {p['concurrency']}: p50 {p['p50_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms, "
            f"{p['calls_per_s']:.0f} calls/s, {p['errors']} errors"
        )
    console.print(
        f"/get_reward vs /v1/predict: {v['throughput_ratio']:.2f}x the calls per second, {v['p50_ratio']:.2f}x the p50"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="arenapref as a reward model: best-of-n, chosen/rejected, speed.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("out/best_of_n"))
    parser.add_argument(
        "--max-train", type=int, default=None, help="Cap the training battles of each fit (quick runs)."
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="Length of each serving phase.")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    started = time.perf_counter()
    battles = load_sets(args.data).battles
    console.print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    results: dict[str, Any] = {"best_of_n": {}, "chosen_rejected": {}, "training": {}, "published": PUBLISHED}
    models: dict[str, RewardModel] = {}
    for held_out in (*BEST_OF_N, *CHOSEN_REJECTED):
        models[held_out], results["training"][held_out] = train_without(battles, held_out, args.max_train)
        part = battles[battles["source"].map(family) == held_out].reset_index(drop=True)
        if held_out in BEST_OF_N:
            results["best_of_n"][held_out] = best_of_n(models[held_out], part)
        else:
            results["chosen_rejected"][held_out] = chosen_accuracy(models[held_out], part)
    vicuna = battles[battles["source"].map(family) == "vicuna80"].reset_index(drop=True)
    speed_model = models["vicuna80"]
    args.out.mkdir(parents=True, exist_ok=True)
    model_dir = speed_model.model.save(args.out / "fast-without-vicuna80")
    results["speed"] = {
        "rank": rank_speed(speed_model, vicuna, prompts=20, repeats=3),
        "serve": serve_speed(model_dir, vicuna, args.seconds, args.concurrency),
    }
    results["seconds"] = time.perf_counter() - started
    show(results)
    (args.out / "best_of_n.json").write_text(json.dumps(results, indent=2))
    console.print(f"wrote {args.out / 'best_of_n.json'} in {results['seconds']:.0f} s")


if __name__ == "__main__":
    main()
