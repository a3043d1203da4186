"""k-fold training for any registered model: one model per prompt-grouped fold, out-of-fold predictions kept.

Extra battles (pseudo-labelled pools) join every fold's training, except those sharing a prompt with that fold's
evaluation battles (dropped and counted: evaluation data never leaks into training). A teacher (distillation) is
passed to `fit(battles, teacher=...)` when the model takes one, else folded into the soft labels (soft_targets).
A teacher's predictions must not come from a model that saw the held-out folds (train it on other data, or train
one teacher per fold as bench/pipeline_distill.py does).

    OUT/fold-0 ... OUT/fold-{K-1}   model directories
    OUT/oof.csv                     out-of-fold predictions (Kaggle submission format, the battles' order)
    OUT/folds.json                  per-fold rows, log loss and accuracy, extra rows dropped for leakage
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from arenapref.data.folds import grouped_folds
from arenapref.data.schema import conform
from arenapref.data.submission import write_submission
from arenapref.evaluation.metrics import accuracy, kaggle_log_loss
from arenapref.models.base import PreferenceModel, mirror_average
from arenapref.pipeline.distributed import barrier, is_main_process, predict_sharded
from arenapref.pipeline.soft_targets import with_teacher

Factory = Callable[[], PreferenceModel]


@dataclass
class FoldsReport:
    """What k-fold training did, fold by fold, and the out-of-fold scores."""

    folds: list[dict[str, float | int]] = field(default_factory=list)
    oof_log_loss: float = float("nan")
    oof_accuracy: float = float("nan")

    def lines(self) -> list[str]:
        out = [
            f"fold {f['fold']}: trained on {f['train']:,} (+{f['extra']:,} extra, {f['extra_dropped']:,} dropped: "
            f"prompt in the fold) · held out {f['held_out']:,} · log loss {f['log_loss']:.4f} · "
            f"accuracy {f['accuracy']:.2%}"
            for f in self.folds
        ]
        out.append(f"out-of-fold: log loss {self.oof_log_loss:.4f} · accuracy {self.oof_accuracy:.2%}")
        return out


def takes_teacher(model: PreferenceModel) -> bool:
    return "teacher" in inspect.signature(model.fit).parameters


def fit_with_teacher(
    model: PreferenceModel, battles: pd.DataFrame, teacher: np.ndarray | None, alpha: float
) -> PreferenceModel:
    """fit(battles), with the teacher handed to models that take one and folded into soft labels otherwise."""
    if teacher is None:
        return model.fit(battles)
    if takes_teacher(model):
        return model.fit(battles, teacher=teacher)  # type: ignore[call-arg]
    return model.fit(with_teacher(battles, teacher, alpha))


def prompt_keys(battles: pd.DataFrame) -> pd.Series:
    return battles["prompt"].map(lambda turns: " ".join(" ".join(t.split()) for t in turns if t).lower())


def train_folds(
    factory: Factory,
    battles: pd.DataFrame,
    k: int,
    out: str | Path,
    seed: int = 0,
    extra: pd.DataFrame | None = None,
    teacher: np.ndarray | None = None,
    extra_teacher: np.ndarray | None = None,
    alpha: float = 0.5,
    tta: bool = True,
) -> FoldsReport:
    """Train k models (prompt-grouped folds of the labelled `battles`) into out/fold-i, out-of-fold predictions
    (mirror-averaged when `tta`) into out/oof.csv. `teacher` / `extra_teacher`: (n, 3) probabilities for the
    battles / the extra rows (distillation)."""
    if k < 2:
        raise ValueError("k-fold training needs k >= 2")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    y = battles["label"].to_numpy(dtype=float, na_value=np.nan)  # soft-only rows train but are not scored
    extra = conform(extra) if extra is not None else None
    extra_keys = prompt_keys(extra) if extra is not None else None
    keys = prompt_keys(battles)
    oof = np.full((len(battles), 3), np.nan)
    report = FoldsReport()
    for i, (train_idx, test_idx) in enumerate(grouped_folds(battles, k, seed)):
        part = battles.iloc[train_idx]
        part_teacher = None if teacher is None else teacher[train_idx]
        kept_extra, dropped = 0, 0
        if extra is not None and extra_keys is not None:
            clean = ~extra_keys.isin(set(keys.iloc[test_idx])).to_numpy()
            kept_extra, dropped = int(clean.sum()), int((~clean).sum())
            part = pd.concat([part, extra[clean]], ignore_index=True)
            if part_teacher is not None or extra_teacher is not None:
                own = part_teacher if part_teacher is not None else np.full((len(train_idx), 3), np.nan)
                more = extra_teacher[clean] if extra_teacher is not None else np.full((kept_extra, 3), np.nan)
                part_teacher = np.vstack([own, more])
        model = fit_with_teacher(factory(), part.reset_index(drop=True), part_teacher, alpha)
        if is_main_process():
            model.save(out / f"fold-{i}", extra={"fold": i, "folds": k, "seed": seed})
        held = battles.iloc[test_idx]
        predict = functools.partial(mirror_average, model) if tta else model.predict_proba
        oof[test_idx] = predict_sharded(predict, held)
        report.folds.append(
            {
                "fold": i,
                "train": len(train_idx),
                "extra": kept_extra,
                "extra_dropped": dropped,
                "held_out": len(test_idx),
                **_scores(y[test_idx], oof[test_idx]),
            }
        )
    overall = _scores(y, oof)
    report.oof_log_loss, report.oof_accuracy = overall["log_loss"], overall["accuracy"]
    if is_main_process():
        write_submission(battles["id"], oof, out / "oof.csv")
        (out / "folds.json").write_text(json.dumps(asdict(report), indent=2))
    barrier()
    return report


def _scores(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Log loss and accuracy over the rows with a hard label (NaN when there are none)."""
    hard = ~np.isnan(y)
    if not hard.any():
        return {"log_loss": float("nan"), "accuracy": float("nan")}
    known = y[hard].astype(int)
    return {"log_loss": kaggle_log_loss(known, proba[hard]), "accuracy": accuracy(known, proba[hard])}
