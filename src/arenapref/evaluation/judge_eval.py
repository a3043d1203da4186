"""A judge's verdicts in both orders against human labels: Auto-J's agreement (both orders must match the label),
MT-bench's position consistency, a verbosity measure on the real battles (how often a decisive verdict picks the
longer answer, beside how often the humans did) and self-enhancement where the judge's model wrote a side.

Inputs are the per-order verdicts (`arenapref judge`'s details file, or a benchmark run's two orders)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.errors import DataError
from arenapref.judge.probes import Agreement, agreement_both_orders
from arenapref.models.baselines import length_difference

DETAIL_COLUMNS = ("id", "verdict_ab", "verdict_ba")


@dataclass(frozen=True)
class JudgeReport:
    agreement: Agreement
    longer_picked_judge: float  # share of decisive per-order verdicts picking the longer answer
    longer_picked_human: float  # same for the human labels (decisive, different lengths)
    n_decisive_judge: int
    n_decisive_human: int
    judge_name: str | None = None
    n_own: int = 0
    own_judge_win_rate: float = float("nan")
    own_human_win_rate: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["agreement"] = self.agreement.to_dict()
        return out


def read_details(path: Path, ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The per-order verdicts of `path` aligned to `ids`; DataError naming the file, row or field otherwise."""
    try:
        frame = pd.read_csv(path, dtype={"id": str})
    except (OSError, ValueError) as exc:
        raise DataError(str(path), f"cannot read judge details ({exc})") from None
    missing = [c for c in DETAIL_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(str(path), "not a judge details file (written by `arenapref judge`)", field=missing[0])
    frame = frame.drop_duplicates("id").set_index("id")
    absent = ~ids.astype(str).isin(frame.index)
    if absent.any():
        raise DataError(str(path), f"no verdicts for {int(absent.sum())} battles, e.g. id {ids[absent].iloc[0]!r}")
    rows = frame.loc[ids.astype(str)]
    for column in DETAIL_COLUMNS[1:]:
        bad = ~rows[column].isin([-1, 0, 1, 2])
        if bad.any():
            raise DataError(str(path), f"verdict must be -1, 0, 1 or 2 (id {rows.index[bad][0]!r})", field=column)
    return rows["verdict_ab"].to_numpy(dtype=np.int64), rows["verdict_ba"].to_numpy(dtype=np.int64)


def judge_report(
    battles: pd.DataFrame, verdict_ab: np.ndarray, verdict_ba: np.ndarray, judge_name: str | None = None
) -> JudgeReport:
    """Every measure on the labelled battles; verdicts in the battles' own order (-1: none)."""
    labelled = battles["label"].notna().to_numpy()
    table = battles[labelled].reset_index(drop=True)
    y = table["label"].to_numpy(dtype=np.int64)
    ab, ba = np.asarray(verdict_ab)[labelled], np.asarray(verdict_ba)[labelled]
    longer = np.sign(length_difference(table))  # +1: A longer
    votes = np.concatenate([ab, ba])
    sides = np.concatenate([longer, longer])
    decisive = np.isin(votes, [0, 1]) & (sides != 0)
    picked_longer = np.where(votes == 0, 1, -1) == sides
    human = np.isin(y, [0, 1]) & (longer != 0)
    human_longer = np.where(y == 0, 1, -1) == longer
    report = JudgeReport(
        agreement_both_orders(y, ab, ba),
        float(picked_longer[decisive].mean()) if decisive.any() else float("nan"),
        float(human_longer[human].mean()) if human.any() else float("nan"),
        int(decisive.sum()),
        int(human.sum()),
        judge_name,
    )
    if judge_name is None:
        return report
    own_a = (table["model_a"] == judge_name).to_numpy()
    own = own_a ^ (table["model_b"] == judge_name).to_numpy()
    if not own.any():
        return report
    side = np.where(own_a[own], 0, 1)

    def rate(v: np.ndarray) -> np.ndarray:
        return (v == side).astype(float) + (v == 2) / 2

    judge_rate = float(np.mean(np.concatenate([rate(ab[own]), rate(ba[own])])))
    human_rate = float(np.mean(rate(y[own])))
    return replace(report, n_own=int(own.sum()), own_judge_win_rate=judge_rate, own_human_win_rate=human_rate)


def judge_lines(report: JudgeReport) -> list[str]:
    a = report.agreement
    lines = [
        "judge (Auto-J protocol, both orders must match the label): "
        f"agreement {100 * a.agreement:.2f}% on {a.n} battles (GPT-4 on Auto-J's test set: 62.28%); "
        f"order A-B alone {100 * a.agreement_first:.2f}%, order B-A alone {100 * a.agreement_second:.2f}%",
        f"judge position consistency (same verdict in both orders): {100 * a.consistency:.2f}% "
        "(MT-bench: GPT-4 65%; Auto-J's test set: GPT-4 86.28%)",
        f"judge verbosity: decisive verdicts picking the longer answer {100 * report.longer_picked_judge:.2f}% "
        f"({report.n_decisive_judge} verdicts); humans {100 * report.longer_picked_human:.2f}% "
        f"({report.n_decisive_human} labels)",
    ]
    if report.judge_name is not None:
        if report.n_own:
            lines.append(
                f"judge self-enhancement: on {report.n_own} battles where {report.judge_name} wrote a side, the judge "
                f"gives it {100 * report.own_judge_win_rate:.2f}% wins (tie = half), humans "
                f"{100 * report.own_human_win_rate:.2f}%"
            )
        else:
            lines.append(f"judge self-enhancement: no labelled battle where {report.judge_name} wrote a side")
    return lines
