"""The leaderboard recovers what was planted: battles simulated from known ratings, ties and a length effect."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from arenapref.ranking.bradley_terry import fit_ratings
from leaderboard_sim import covered, simulate

ROUNDS = 100


def _slope(table, truth):
    """Least-squares slope of the estimated ratings on the true ones (1 when the scale is right)."""
    return np.polyfit(table["model"].map(truth).to_numpy(), table["rating"].to_numpy(), 1)[0]


@pytest.fixture(scope="module")
def verbose_strong():
    """BT outcomes (no ties); stronger models write longer answers and length adds 0.3 log-odds per SD."""
    return simulate(seed=0, n_battles=12_000, kind="bt", length_coef=0.3, verbosity=0.8)


def test_style_control_recovers_order_ratings_and_length_coefficient(verbose_strong):
    sim = verbose_strong
    ratings = fit_ratings(sim.battles, style=True, rounds=ROUNDS, seed=1)
    table = ratings.table()
    assert spearmanr(table["rating"], table["model"].map(sim.truth))[0] > 0.98
    assert covered(table, sim.truth).sum() >= 8, table.assign(truth=table["model"].map(sim.truth))
    coef = ratings.style_coefficients().set_index("element").loc["length"]
    assert abs(coef["coefficient"] - sim.length_coef) < 0.05
    assert coef["lower"] <= sim.length_coef <= coef["upper"]
    # Headers, lists and bold never occur in the simulated answers: left out, and said so.
    assert ratings.style_names == ["length"]
    assert any("'bold' never differs" in n for n in ratings.comp.notes)


def test_without_style_control_verbosity_inflates_the_ratings(verbose_strong):
    sim = verbose_strong
    plain = fit_ratings(sim.battles, style=False, rounds=0).table()
    styled = fit_ratings(sim.battles, style=True, rounds=0).table()
    # The plain fit credits the verbose (strong) models with the length effect: its scale is stretched, while
    # the style-controlled fit's is right (slope standard error about 0.013 here).
    assert _slope(plain, sim.truth) > 1.05
    assert abs(_slope(styled, sim.truth) - 1) < 0.04


def test_intervals_cover_the_true_ratings_at_about_the_nominal_rate():
    hits = []
    for seed in range(10):
        sim = simulate(seed=100 + seed, n_battles=2_000, kind="bt")
        hits.append(covered(fit_ratings(sim.battles, rounds=300, seed=seed).table(), sim.truth))
    coverage = np.mean(hits)
    assert 0.88 <= coverage <= 0.99, coverage


@pytest.mark.parametrize(("kind", "tie_param"), [("davidson", 0.5), ("rao-kupper", 1.8)])
def test_tie_models_recover_ratings_tie_parameter_and_length(kind, tie_param):
    sim = simulate(seed=1, n_battles=10_000, kind=kind, tie_param=tie_param, length_coef=0.3, verbosity=0.8)
    assert 0.1 < (sim.battles["label"] == 2).mean() < 0.35
    ratings = fit_ratings(sim.battles, kind=kind, style=True, rounds=ROUNDS, seed=2)
    table = ratings.table()
    assert spearmanr(table["rating"], table["model"].map(sim.truth))[0] > 0.98
    assert covered(table, sim.truth).sum() >= 8
    tie = ratings.tie_parameter()
    assert tie is not None and abs(tie["value"] - tie_param) < 0.1 * tie_param
    assert tie["lower"] < tie["value"] < tie["upper"]
    length = ratings.style_coefficients().set_index("element").loc["length", "coefficient"]
    assert abs(length - sim.length_coef) < 0.06
    # Ties as half a win (the default model) still orders the models correctly on tie-model data.
    half = fit_ratings(sim.battles, kind="bt", style=True, rounds=0).table()
    assert spearmanr(half["rating"], half["model"].map(sim.truth))[0] > 0.98
