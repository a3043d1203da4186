"""The benchmark: every registered model through both protocols on every set of a data folder, cached, scored.

Sets are found by reading every file of the folder and grouping the battles by their `source` column. The prior
model always runs too: it is the reference every log loss is compared with.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from arenapref import __version__
from arenapref.data.sources import family
from arenapref.evaluation.cache import RunCache, cache_key, model_config, source_hash, table_hash
from arenapref.evaluation.judge_bench import judge_section
from arenapref.evaluation.metrics import TWO_WAY_NOTE
from arenapref.evaluation.protocols import (
    IN_DOMAIN,
    MIN_TEST_ROWS,
    PROTOCOLS,
    TRANSFER,
    Run,
    Split,
    cap_train,
    in_domain_sources,
    in_domain_splits,
    run_splits,
    subsample,
    transfer_families,
    transfer_split,
)
from arenapref.evaluation.results import (
    BenchResult,
    SetPredictions,
    score_row,
    sort_rows,
    split_by_source,
    with_families,
)
from arenapref.evaluation.sets import data_summary, load_sets
from arenapref.evaluation.sizes import FULL_SPLITS, QUICK_MAX_ROWS, QUICK_MAX_TRAIN, QUICK_SPLITS
from arenapref.evaluation.transfer_calibrated import DRAWS, K_VALUES, TRANSFER_CALIBRATED, calibrated_rows
from arenapref.models import registry

REFERENCE_MODEL = "prior"
#: Every protocol `--protocols` can name; the first two run by default.
ALL_PROTOCOLS = (*PROTOCOLS, TRANSFER_CALIBRATED)
DEFAULT_PROTOCOLS = PROTOCOLS

Progress = Callable[[str], None]


@dataclass
class BenchConfig:
    """What to run. `quick`: QUICK_SPLITS folds, at most QUICK_MAX_ROWS battles per source, QUICK_MAX_TRAIN
    training battles per transfer fit, and a dataset's splits cross-validated together."""

    data_dir: Path
    models: list[str] | None = None  # None: every registered model run by default (not the slow judges)
    quick: bool = False
    seed: int = 0
    cache_dir: Path | None = None  # None: no cache
    model_options: dict[str, str] = field(default_factory=dict)  # for models that take options (set_options)
    protocols: tuple[str, ...] = DEFAULT_PROTOCOLS  # of ALL_PROTOCOLS

    @property
    def n_splits(self) -> int:
        return QUICK_SPLITS if self.quick else FULL_SPLITS

    @property
    def max_rows(self) -> int | None:
        return QUICK_MAX_ROWS if self.quick else None

    @property
    def max_train(self) -> int | None:
        return QUICK_MAX_TRAIN if self.quick else None


def model_names(requested: list[str] | None) -> list[str]:
    """The models to run, the reference prior first (default: every registered model but the slow ones that ask to
    be named, e.g. the fine-tuned transformers); unknown names raise KeyError listing the known ones."""
    names = requested or registry.default_models()
    unknown = [n for n in names if n not in registry.MODELS]
    if unknown:
        raise KeyError(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(sorted(registry.MODELS))}")
    return [REFERENCE_MODEL, *[n for n in dict.fromkeys(names) if n != REFERENCE_MODEL]]


@dataclass
class Task:
    """One model-independent unit of work: a table and its splits under one protocol."""

    protocol: str
    name: str  # the source (in-domain) or the held-out dataset (transfer)
    table: pd.DataFrame
    splits: list[Split]
    data_hash: str


def check_protocols(protocols: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The protocols, validated; KeyError naming the unknown ones and the known."""
    unknown = [p for p in protocols if p not in ALL_PROTOCOLS]
    if unknown or not protocols:
        raise KeyError(f"unknown protocol(s) {', '.join(unknown) or '(none)'}; known: {', '.join(ALL_PROTOCOLS)}")
    return tuple(dict.fromkeys(protocols))


def plan_tasks(
    battles: pd.DataFrame,
    n_splits: int,
    seed: int,
    max_train: int | None = None,
    pool_splits: bool = False,
    protocols: tuple[str, ...] = ALL_PROTOCOLS,
) -> tuple[list[Task], list[str]]:
    """Tasks of the protocols (transfer-calibrated runs on the transfer tasks), and notes on sets left out (too
    few prompts for the folds). `pool_splits`: cross-validate all sources of a dataset (e.g. the hh-rlhf splits)
    together instead of one by one."""
    tasks, notes = [], []
    sources = in_domain_sources(battles) if IN_DOMAIN in protocols else []
    units = {family(s): [t for t in sources if family(t) == family(s)] for s in sources} if pool_splits else {}
    for name, members in (units or {s: [s] for s in sources}).items():
        table = battles[battles["source"].isin(members)].reset_index(drop=True)
        try:
            splits = in_domain_splits(table, n_splits, seed)
            tasks.append(Task(IN_DOMAIN, name, table, splits, table_hash(table)))
        except ValueError as exc:
            notes.append(f"{name}: no in-domain cross-validation ({exc})")
    all_hash = table_hash(battles)
    transfer_wanted = TRANSFER in protocols or TRANSFER_CALIBRATED in protocols
    for held_out in transfer_families(battles) if transfer_wanted else []:
        split = cap_train(transfer_split(battles, held_out), max_train, seed)
        if len(split.train) == 0:
            notes.append(f"{held_out}: no transfer run (no other dataset to train on)")
            continue
        tasks.append(Task(TRANSFER, held_out, battles, [split], all_hash))
    return tasks, notes


def split_hash(splits: list[Split]) -> str:
    """SHA-256 of the train and test row positions of every split."""
    digest = hashlib.sha256()
    for split in splits:
        digest.update(np.asarray(split.train, dtype=np.int64).tobytes() + b"|")
        digest.update(np.asarray(split.test, dtype=np.int64).tobytes() + b"/")
    return digest.hexdigest()


def _options(model: str, config: BenchConfig) -> dict[str, str] | None:
    """config.model_options for a model that takes options, else None."""
    return config.model_options if config.model_options and registry.accepts_options(registry.create(model)) else None


def _run_task(model: str, task: Task, config: BenchConfig, cache: RunCache, code: str) -> tuple[Run, bool]:
    options = _options(model, config)
    parts = {
        "model": model,
        "config": model_config(registry.create(model, options)),
        "code": code,
        "data": task.data_hash,
        "protocol": task.protocol,
        "task": task.name,
        "splits": split_hash(task.splits),
        "seed": config.seed,
    }
    key = cache_key(**parts)
    found = cache.get(key)
    if found is not None:
        return found, True
    run = run_splits(lambda: registry.create(model, options), task.table, task.splits)
    cache.put(key, run, parts)
    return run, False


def run_bench(config: BenchConfig, progress: Progress | None = None) -> BenchResult:
    """Run every model through every task (cache first) and score each set against the prior."""
    start = time.perf_counter()
    say = progress or (lambda _msg: None)
    data = load_sets(config.data_dir)
    battles = data.battles if config.max_rows is None else subsample(data.battles, config.max_rows, config.seed)
    models = model_names(config.models)
    protocols = check_protocols(config.protocols)
    tasks, notes = plan_tasks(
        battles, config.n_splits, config.seed, config.max_train, pool_splits=config.quick, protocols=protocols
    )
    cache, code = RunCache(config.cache_dir), source_hash()
    members: dict[str, list[str]] = {}
    for task in tasks:
        if task.protocol == IN_DOMAIN:
            members.setdefault(family(task.name), []).append(task.name)
    per_model: dict[str, dict[tuple[str, str], SetPredictions]] = {}
    failures: list[dict[str, str]] = []
    calibrated = []
    for model in models:
        sets: dict[str, dict[str, SetPredictions]] = {p: {} for p in PROTOCOLS}
        for task in tasks:
            say(f"{model} · {task.protocol} · {task.name}")
            try:
                run, cached = _run_task(model, task, config, cache, code)
            except Exception as exc:  # one broken model must not hide the others' results; it is reported
                if model == REFERENCE_MODEL:
                    raise
                failures.append({"model": model, "protocol": task.protocol, "set": task.name, "error": repr(exc)})
                continue
            sets[task.protocol].update(split_by_source(task.table, run, cached, whole=task.name))
            if task.protocol == TRANSFER and TRANSFER_CALIBRATED in protocols and model != REFERENCE_MODEL:
                say(f"{model} · {TRANSFER_CALIBRATED} · {task.name}")
                calibrated += calibrated_rows(task.name, model, task.table, run, config.seed)
        sets[IN_DOMAIN] = with_families(sets[IN_DOMAIN], members)
        per_model[model] = {(p, name): pred for p in PROTOCOLS for name, pred in sets[p].items()}
    say("judges: agreement and probes")
    judges = judge_section(per_model, models, battles, config.seed)
    reference = per_model[REFERENCE_MODEL]
    rows = sort_rows(
        [
            score_row(name, protocol, model, pred, reference[(protocol, name)])
            for model in models
            for (protocol, name), pred in per_model[model].items()
            if protocol in protocols
        ],
        models,
    )
    if config.quick:
        notes.append(
            f"quick: {config.n_splits} folds; at most {config.max_rows} battles per set (random); at most "
            f"{config.max_train} training battles per transfer fit; a dataset's splits cross-validated together"
        )
    if any(r.classes == 2 for r in rows):
        notes.append(f"classes 2: {TWO_WAY_NOTE}")
    if TRANSFER_CALIBRATED in protocols:
        notes.append(
            f"{TRANSFER_CALIBRATED}: per held-out dataset, k labelled battles (k in {', '.join(map(str, K_VALUES))}, "
            f"k at most half its labelled battles; {DRAWS} seeded draws each) calibrate the transfer model; scored on "
            "the rest of the set (battles sharing a prompt with the sample removed) beside the plain transfer model "
            "and the prior fitted on the same k battles; mean ± std over the draws; kept: draws where the calibration "
            "was refused by its cross-validation on the sample (the model stays as it was)"
        )
    notes.append(
        f"transfer: leave one dataset out (all hh-rlhf splits together); datasets with fewer than {MIN_TEST_ROWS} "
        "labelled rows are used for training only; training battles sharing a prompt with the test set are removed"
    )
    return BenchResult(
        config={
            "data_dir": str(config.data_dir),
            "models": models,
            "protocols": list(protocols),
            "quick": config.quick,
            "n_splits": config.n_splits,
            "max_rows_per_source": config.max_rows,
            "max_train_per_transfer_fit": config.max_train,
            "seed": config.seed,
            "model_options": config.model_options,
            "cache_dir": str(config.cache_dir) if config.cache_dir else None,
            "arenapref_version": __version__,
        },
        data=data_summary(data, battles),
        rows=rows,
        notes=notes,
        cache={"hits": cache.hits, "misses": cache.misses},
        seconds=time.perf_counter() - start,
        failures=failures,
        judges=judges,
        calibrated=calibrated,
    )
