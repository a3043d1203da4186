"""The notebook's time budget: the rate measured after the first batches, projected to Kaggle's test size, and a
clear stop when the projection passes the time limit (instead of a silent failure at the deadline)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from arenapref.kaggle.errors import KitError

KAGGLE_ROWS = 25_000
KAGGLE_HOURS = 9.0
#: The first batch's size: the projection is judged once, after it, so a slow model stops early.
JUDGE_AFTER_ROWS = 256


def batch_bounds(n: int, size: int, first: int = JUDGE_AFTER_ROWS) -> list[tuple[int, int]]:
    """(start, stop) of prediction batches over `n` rows: `first` rows (the budget is judged early), then `size`."""
    cuts = [0, *range(min(first, n), n, size), n] if n else [0]
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


class OverBudget(KitError):
    """The projected time for the test set passes the time limit."""


@dataclass
class TimeBudget:
    """Rows per second of a prediction run and its projection to `rows` (per process: each predicts its share)."""

    rows: int = KAGGLE_ROWS
    limit_hours: float = KAGGLE_HOURS
    processes: int = 1
    spent_before: float = 0.0  # seconds already used (loading the model)
    say: bool = True  # print the rate and projection (rank 0 of a launched run)
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    judged: bool = False

    def advance(self, rows: int) -> None:
        """Count `rows` more predicted; after the first batch, print the rate and the projection, and raise
        OverBudget when it passes the limit."""
        self.done += rows
        if self.judged:
            return
        self.judged = True
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else float("inf")
        hours = self.projected_hours(rate)
        if self.say:
            print(
                f"{rate:.2f} rows/s per process after {self.done:,} rows ({self.processes} process(es)): "
                f"{self.rows:,} rows projected at {hours:.2f} h (limit {self.limit_hours:g} h)",
                flush=True,
            )
        if hours > self.limit_hours:
            raise OverBudget(
                f"stopping: {self.rows:,} rows would take {hours:.1f} h at {rate:.2f} rows/s per process "
                f"({self.processes} process(es)), over the {self.limit_hours:g} h limit; use a smaller window "
                "(--set max_length), 8-bit weights, more GPUs or a faster model"
            )

    def projected_hours(self, rate: float) -> float:
        """Hours for `rows` at `rate` rows per second per process, plus what was spent before."""
        return (self.spent_before + self.rows / (rate * self.processes)) / 3600
