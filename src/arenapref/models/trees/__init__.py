"""Boosted-tree models: the fast model (LightGBM over hand-made features, two heads, calibrated on held-out
margins) and what it is built from (boosting, margins, calibration, inner folds, booster text, saved state)."""
