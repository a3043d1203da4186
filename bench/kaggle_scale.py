"""Build a Kaggle-scale train.csv (57,477 rows by default) from the real texts in ../shared/data.

The full Kaggle file is not on these machines; this one has its shape: the columns of train.csv (id, model_a,
model_b, prompt, response_a, response_b as JSON lists of turns, one-hot winner columns), about 10 % multi-turn
rows, per-turn lengths drawn from log-normal distributions like chat prompts and answers (responses: median
~750 characters, long tail), and the defects of the real file sprinkled in: lone UTF-16 surrogates, null turns
and a few broken backslash escapes. Texts are slices of real prompts and answers of the shared sets, each slice
starting at the beginning of a real text. Deterministic for (data, n_rows, seed); the file is cached next to a
small JSON of its parameters and reused when they match.

    python bench/kaggle_scale.py --data ../shared/data --out bench/cache/kaggle_scale.csv
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.io import expand_paths, read_many

BUILDER_VERSION = 1
MULTI_TURN_SHARE = 0.10
LABEL_SHARES = (0.349, 0.342, 0.309)  # A, B, tie in the Kaggle training file
PROMPT_LENGTH = (80.0, 1.5)  # log-normal (median characters, sigma) per user turn
RESPONSE_LENGTH = (750.0, 0.9)  # per answer turn
MAX_TURN_CHARS = 30_000
NULL_TURN_RATE = 0.002  # share of answer turns that are null
SURROGATE_ROW_RATE = 0.003  # share of rows with a lone surrogate (an emoji cut in half)
BROKEN_ESCAPE_EVERY = 5_000  # one row in this many gets an invalid backslash escape
LONE_SURROGATE = "\ud83d"


class Corpus:
    """Real texts joined into one string; slices start at a text's beginning and may run on into the next."""

    def __init__(self, texts: list[str]) -> None:
        self.text = "\n\n".join(texts)
        lengths = np.fromiter((len(t) + 2 for t in texts), dtype=np.int64, count=len(texts))
        self.starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])

    def slices(self, rng: np.random.Generator, lengths: np.ndarray) -> list[str]:
        starts = self.starts[rng.integers(0, len(self.starts), len(lengths))]
        starts = np.minimum(starts, len(self.text) - lengths)
        return [self.text[s : s + n] for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)]


def _fingerprint(data_dir: Path) -> list[list[object]]:
    return [[str(p.relative_to(data_dir)), p.stat().st_size] for p in expand_paths([data_dir])]


@functools.lru_cache(maxsize=2)
def _pools(data_dir: Path) -> tuple[Corpus, Corpus, list[str]]:
    """Prompt texts, answer texts and model names of every set in the data folder (read once per process)."""
    battles, _ = read_many([data_dir])
    prompts = [t for turns in battles["prompt"] for t in turns if t and t.strip()]
    answers = [t for col in ("response_a", "response_b") for turns in battles[col] for t in turns if t and t.strip()]
    models = sorted(set(battles["model_a"].dropna()) | set(battles["model_b"].dropna()))
    return Corpus(prompts), Corpus(answers), models


def _lengths(rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
    values = rng.lognormal(np.log(median), sigma, n)
    return np.clip(values, 1, MAX_TURN_CHARS).astype(np.int64)


def _json_lists(turns: list[list[str | None]]) -> list[str]:
    return [json.dumps(t) for t in turns]  # ensure_ascii, as in the Kaggle file: non-ASCII as \u escapes


def build_table(data_dir: Path, n_rows: int, seed: int) -> pd.DataFrame:
    """The Kaggle-format table (strings ready for CSV)."""
    rng = np.random.default_rng(seed)
    prompts, answers, models = _pools(data_dir)
    turns = np.where(rng.random(n_rows) < MULTI_TURN_SHARE, 1 + rng.geometric(0.45, n_rows), 1)
    total = int(turns.sum())
    prompt_turns = prompts.slices(rng, _lengths(rng, total, *PROMPT_LENGTH))
    sides: list[list[str | None]] = []
    for _ in range(2):
        texts: list[str | None] = list(answers.slices(rng, _lengths(rng, total, *RESPONSE_LENGTH)))
        for i in np.flatnonzero(rng.random(total) < NULL_TURN_RATE).tolist():
            texts[i] = None
        sides.append(texts)
    bounds = np.concatenate([[0], np.cumsum(turns)]).tolist()
    for i in np.flatnonzero(rng.random(n_rows) < SURROGATE_ROW_RATE).tolist():
        side = sides[int(rng.integers(0, 2))]
        side[bounds[i]] = (side[bounds[i]] or "") + LONE_SURROGATE  # the row's first turn

    def per_row(values: list) -> list[list]:
        return [values[bounds[r] : bounds[r + 1]] for r in range(n_rows)]

    pair = rng.choice(len(models), size=(n_rows, 2), replace=True)
    pair[:, 1] = np.where(pair[:, 0] == pair[:, 1], (pair[:, 1] + 1) % len(models), pair[:, 1])
    label = rng.choice(3, size=n_rows, p=LABEL_SHARES)
    table = pd.DataFrame(
        {
            "id": 30192 + np.cumsum(rng.integers(1, 149_000, n_rows)),
            "model_a": np.array(models, dtype=object)[pair[:, 0]],
            "model_b": np.array(models, dtype=object)[pair[:, 1]],
            "prompt": _json_lists(per_row(prompt_turns)),
            "response_a": _json_lists(per_row(sides[0])),
            "response_b": _json_lists(per_row(sides[1])),
        }
    )
    for k, name in enumerate(("winner_model_a", "winner_model_b", "winner_tie")):
        table[name] = (label == k).astype(np.int8)
    broken = np.arange(BROKEN_ESCAPE_EVERY // 2, n_rows, BROKEN_ESCAPE_EVERY)
    table.loc[broken, "response_b"] = table.loc[broken, "response_b"].str.replace(r'"]$', r'\\q"]', regex=True)
    return table


def build_kaggle_scale(data_dir: Path, out_path: Path, n_rows: int = 57477, seed: int = 0) -> Path:
    """Write (or reuse, when built from the same data with the same parameters) the Kaggle-scale CSV."""
    data_dir, out_path = Path(data_dir), Path(out_path)
    params = {"version": BUILDER_VERSION, "n_rows": n_rows, "seed": seed, "data": _fingerprint(data_dir)}
    meta = out_path.with_name(out_path.name + ".params.json")
    if out_path.is_file() and meta.is_file() and json.loads(meta.read_text()) == params:
        return out_path
    table = build_table(data_dir, n_rows, seed)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    table.to_csv(partial, index=False)
    os.replace(partial, out_path)
    meta.write_text(json.dumps(params))
    return out_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data folder")
    parser.add_argument("--out", type=Path, default=Path("bench/cache/kaggle_scale.csv"), help="CSV to write")
    parser.add_argument("--rows", type=int, default=57477)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    path = build_kaggle_scale(args.data, args.out, args.rows, args.seed)
    size = path.stat().st_size / 2**20
    print(f"{path}: {args.rows} rows, {size:.1f} MiB, ready in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
