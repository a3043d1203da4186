"""From protocol runs to the benchmark's rows: predictions per set (a dataset's splits also together), scored
against the prior on the same rows, with position consistency."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from arenapref.evaluation.metrics import score
from arenapref.evaluation.probes import position_consistency
from arenapref.evaluation.protocols import PROTOCOLS, Run
from arenapref.evaluation.published import CITATIONS, published_for
from arenapref.evaluation.transfer_calibrated import CalibratedRow


@dataclass
class SetPredictions:
    """Scored rows of one set under one protocol for one model."""

    labels: np.ndarray
    proba: np.ndarray
    proba_swapped: np.ndarray  # on swap(x), as the model returned them
    two_way: bool
    seconds: float | None  # None when the run is shared with the other parts of a dataset
    cached: bool


@dataclass
class ResultRow:
    """One line of the benchmark table (accuracy etc. as fractions; log losses in nats)."""

    set_name: str
    protocol: str
    model: str
    classes: int
    n: int
    accuracy: float
    accuracy_non_tie: float
    log_loss: float
    prior_log_loss: float
    brier: float
    ece: float
    consistency: float
    mean_abs_diff: float
    seconds: float | None
    cached: bool


@dataclass
class BenchResult:
    config: dict[str, Any]
    data: dict[str, Any]
    rows: list[ResultRow]
    notes: list[str]
    cache: dict[str, int]
    seconds: float
    failures: list[dict[str, str]] = field(default_factory=list)
    judges: list[dict[str, Any]] = field(default_factory=list)  # evaluation.judge_bench's section, per judge
    calibrated: list[CalibratedRow] = field(default_factory=list)  # the transfer-calibrated protocol's rows

    def to_dict(self) -> dict[str, Any]:
        published = [
            {**asdict(p), "citation": CITATIONS[p.citation]}
            for name in dict.fromkeys(r.set_name for r in self.rows)
            for p in published_for(name)
        ]
        return {
            "config": self.config,
            "data": self.data,
            "rows": [asdict(r) for r in self.rows],
            "published": published,
            "notes": self.notes,
            "failures": self.failures,
            "judges": self.judges,
            "calibrated": [asdict(r) for r in self.calibrated],
            "cache": self.cache,
            "seconds": self.seconds,
        }


def split_by_source(table: pd.DataFrame, run: Run, cached: bool, whole: str) -> dict[str, SetPredictions]:
    """A run's predictions per source, plus all of them under `whole` when the run covers several sources."""
    tested = table.iloc[run.test]
    sources = tested["source"].to_numpy()
    seconds = run.fit_seconds + run.predict_seconds
    names = list(dict.fromkeys(sources))
    groups = {name: sources == name for name in names}
    if len(names) > 1:
        groups[whole] = np.ones(len(sources), dtype=bool)
    out: dict[str, SetPredictions] = {}
    for name, mask in groups.items():
        part = tested[mask]
        out[name] = SetPredictions(
            labels=part["label"].to_numpy(dtype=np.int64),
            proba=run.proba[mask],
            proba_swapped=run.proba_swapped[mask],
            two_way=not bool(part["tie_allowed"].any()),
            seconds=seconds if (len(names) == 1 or name == whole) else None,
            cached=cached,
        )
    return out


def _concat(parts: list[SetPredictions]) -> SetPredictions:
    seconds = [p.seconds for p in parts]
    return SetPredictions(
        np.concatenate([p.labels for p in parts]),
        np.vstack([p.proba for p in parts]),
        np.vstack([p.proba_swapped for p in parts]),
        all(p.two_way for p in parts),
        None if any(s is None for s in seconds) else float(sum(s for s in seconds if s is not None)),
        all(p.cached for p in parts),
    )


def with_families(sets: dict[str, SetPredictions], members: dict[str, list[str]]) -> dict[str, SetPredictions]:
    """The sets plus, for a dataset whose splits ran one by one, all its splits together (only if every one ran)."""
    out = dict(sets)
    for fam, names in members.items():
        complete = len(names) > 1 and fam not in out and all(n in sets for n in names)
        if complete and len({sets[n].two_way for n in names}) == 1:
            out[fam] = _concat([sets[n] for n in names])
    return out


def score_row(set_name: str, protocol: str, model: str, pred: SetPredictions, prior: SetPredictions) -> ResultRow:
    """Every metric of one set's predictions, with the prior's log loss on the same rows."""
    s = score(pred.labels, pred.proba, pred.two_way)
    ref = score(prior.labels, prior.proba, prior.two_way)
    pos = position_consistency(pred.proba, pred.proba_swapped, pred.two_way)
    return ResultRow(
        set_name=set_name,
        protocol=protocol,
        model=model,
        classes=2 if pred.two_way else 3,
        n=s.n,
        accuracy=s.accuracy,
        accuracy_non_tie=s.accuracy_non_tie,
        log_loss=s.log_loss,
        prior_log_loss=ref.log_loss,
        brier=s.brier,
        ece=s.ece,
        consistency=pos.share_unchanged,
        mean_abs_diff=pos.mean_abs_diff,
        seconds=pred.seconds,
        cached=pred.cached,
    )


def sort_rows(rows: list[ResultRow], models: list[str]) -> list[ResultRow]:
    """By set, then protocol (in-domain first), then model in run order."""
    return sorted(rows, key=lambda r: (r.set_name, PROTOCOLS.index(r.protocol), models.index(r.model)))
