"""The benchmark's fold counts and quick-run sizes: plain numbers, light to import (the CLI's help shows them)."""

from __future__ import annotations

FULL_SPLITS = 5
# Quick runs (`make demo`: a few minutes on 2 cores with every registered model): 2 folds, at most 800 battles
# per source drawn at random, at most 1,500 training battles per transfer fit, and the splits of one dataset
# (hh-rlhf) cross-validated together in-domain (still grouped by prompt) rather than one by one.
QUICK_SPLITS = 2
QUICK_MAX_ROWS = 800
QUICK_MAX_TRAIN = 1500
