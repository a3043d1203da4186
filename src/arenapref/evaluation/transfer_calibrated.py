"""The protocol "transfer + k labelled": a model trained on the other datasets, calibrated on k labelled battles of
the held-out one, scored on the rest of it.

For each held-out dataset of the transfer protocol and each k of K_VALUES (those with k <= half its labelled
battles), DRAWS draws (seeded by the bench seed, k, the draw and the set's name; the same for every model) of k
labelled battles form the sample; the rest is every labelled battle of the set whose prompt is not in the sample.
On the rest three predictions are scored: the plain transfer model, the class prior fitted on the k battles
(models.baselines.PriorModel), and the transfer model calibrated on them (models.calibrated: the choice and the
refusal made on the sample alone, exactly as `arenapref calibrate`; where it refuses, the model stays as it was).
The sample's targets are its hard labels, the labels scored (a set's soft labels, e.g. vicuna80's vote shares,
are another target: 11 % of its votes are ties, 4.8 % of its majorities). The transfer model's predictions are
the transfer protocol's run (cached), averaged over both orders; nothing is refit.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arenapref.data.folds import prompt_groups
from arenapref.data.schema import SOFT_COLUMNS
from arenapref.data.swap import swap_proba
from arenapref.evaluation.metrics import score
from arenapref.evaluation.protocols import Run
from arenapref.models.baselines import PriorModel
from arenapref.models.calibrated.family import Calibration, CalibrationInputs
from arenapref.models.calibrated.fit import DEFAULT_WHAT, Sample, SampleTooSmall, calibrate, parameters

TRANSFER_CALIBRATED = "transfer-calibrated"
K_VALUES = (25, 50, 100, 200)
DRAWS = 20
METHODS = ("transfer", "prior", "calibrated")


@dataclass
class CalibratedRow:
    """One set, model and k: mean and standard deviation over the draws of each method's scores on the rest."""

    set_name: str
    classes: int
    model: str
    k: int
    draws: int
    n_rest: float  # mean size of the scored rest
    log_loss: dict[str, float]  # method -> mean over draws
    log_loss_std: dict[str, float]
    accuracy: dict[str, float]
    accuracy_std: dict[str, float]
    kept: int  # draws where the calibration was refused (the model stayed as it was)
    seconds: float
    draw_log_loss: dict[str, list[float]]  # method -> log loss of each draw (same rest for every method)

    @property
    def best(self) -> str:
        """The better, on average, of the plain transfer model and the k-battle prior."""
        return min(("transfer", "prior"), key=lambda m: self.log_loss[m])

    def delta_best(self) -> tuple[float, float]:
        """Mean over the draws of (calibrated - best) log loss on the same rest, and its standard error."""
        diff = np.subtract(self.draw_log_loss["calibrated"], self.draw_log_loss[self.best])
        return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0


def sample_and_rest(groups: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """k positions drawn at random, and every position whose prompt group is not among theirs."""
    sample = np.sort(rng.choice(len(groups), size=k, replace=False))
    return sample, np.flatnonzero(~np.isin(groups, groups[sample]))


def draw_rng(seed: int, k: int, draw: int, set_name: str) -> np.random.Generator:
    return np.random.default_rng([seed, k, draw, zlib.crc32(set_name.encode())])


def calibrated_rows(
    set_name: str, model: str, table: pd.DataFrame, run: Run, seed: int = 0, what: tuple[str, ...] = DEFAULT_WHAT
) -> list[CalibratedRow]:
    """The rows of one model on one held-out set, from its transfer run over `table`."""
    held = table.iloc[run.test].reset_index(drop=True)
    held[list(SOFT_COLUMNS)] = np.nan  # the sample's targets are the hard labels (module docstring)
    proba = (np.asarray(run.proba, dtype=float) + swap_proba(np.asarray(run.proba_swapped, dtype=float))) / 2
    inputs = CalibrationInputs.from_proba(proba, held)
    labels = held["label"].to_numpy(dtype=np.int64)
    two_way = not bool(held["tie_allowed"].any())
    groups = prompt_groups(held)
    free = parameters(what)
    rows = []
    for k in (k for k in K_VALUES if k <= len(held) / 2):
        start = time.perf_counter()
        scores: dict[str, list[tuple[float, float]]] = {m: [] for m in METHODS}
        sizes, kept = [], 0
        for draw in range(DRAWS):
            sample, rest = sample_and_rest(groups, k, draw_rng(seed, k, draw, set_name))
            calibration, refused = _calibration(Sample.build(held.iloc[sample], proba[sample]), free, seed)
            kept += refused
            predictions = {
                "transfer": proba[rest],
                "prior": PriorModel().fit(held.iloc[sample]).predict_proba(held.iloc[rest]),
                "calibrated": calibration.proba(inputs.rows(rest)),
            }
            for method, p in predictions.items():
                s = score(labels[rest], p, two_way)
                scores[method].append((s.log_loss, s.accuracy))
            sizes.append(len(rest))
        rows.append(
            CalibratedRow(
                set_name=set_name,
                classes=2 if two_way else 3,
                model=model,
                k=k,
                draws=DRAWS,
                n_rest=float(np.mean(sizes)),
                log_loss={m: float(np.mean([s[0] for s in v])) for m, v in scores.items()},
                log_loss_std={m: float(np.std([s[0] for s in v])) for m, v in scores.items()},
                accuracy={m: float(np.mean([s[1] for s in v])) for m, v in scores.items()},
                accuracy_std={m: float(np.std([s[1] for s in v])) for m, v in scores.items()},
                kept=kept,
                seconds=time.perf_counter() - start,
                draw_log_loss={m: [s[0] for s in v] for m, v in scores.items()},
            )
        )
    return rows


def _calibration(sample: Sample, free: tuple[str, ...], seed: int) -> tuple[Calibration, bool]:
    """The calibration `arenapref calibrate` would write, and whether it refused (then the identity)."""
    try:
        fit = calibrate(sample, free, seed)
    except SampleTooSmall:
        return Calibration(), True
    return fit.usable, fit.cv.worse
