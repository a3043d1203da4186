"""The rating fit's pieces: Elo scale, ties as half, anchors, predictions, solver agreement, bootstrap mechanics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from arenapref.data.schema import conform
from arenapref.ranking import bradley_terry as bt
from arenapref.ranking.solver import bootstrap, newton, resampled_counts
from leaderboard_sim import simulate


def battles_from(rows: list[tuple[str, str, int]], texts: tuple[str, str] = ("a", "b")) -> pd.DataFrame:
    """Battles (model_a, model_b, label) with fixed answers."""
    n = len(rows)
    return conform(
        pd.DataFrame(
            {
                "id": [str(i) for i in range(n)],
                "source": "t",
                "prompt": [["q"]] * n,
                "response_a": [[texts[0]]] * n,
                "response_b": [[texts[1]]] * n,
                "model_a": [r[0] for r in rows],
                "model_b": [r[1] for r in rows],
                "label": [r[2] for r in rows],
            }
        )
    )


def test_rating_gap_is_400_log10_of_the_odds():
    battles = battles_from([("x", "y", 0)] * 75 + [("x", "y", 1)] * 25)
    ratings = bt.fit_ratings(battles, rounds=0, l2=1e-9)
    gap = ratings.ratings[ratings.index("x")] - ratings.ratings[ratings.index("y")]
    assert gap == pytest.approx(400 * math.log10(3), abs=1e-3)
    assert ratings.ratings.mean() == pytest.approx(1000)
    assert ratings.predict("x", "y") == pytest.approx([0.75, 0.25, 0.0], abs=1e-6)


def test_a_tie_counts_as_half_a_win():
    wins_and_ties = battles_from([("x", "y", 0)] * 50 + [("x", "y", 2)] * 50)
    wins_only = battles_from([("x", "y", 0)] * 75 + [("x", "y", 1)] * 25)
    a = bt.fit_ratings(wins_and_ties, rounds=0).ratings
    b = bt.fit_ratings(wins_only, rounds=0).ratings
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_anchor_model_sits_at_the_anchor_rating_with_no_spread():
    sim = simulate(seed=3, n_battles=3000, n_models=5)
    ratings = bt.fit_ratings(sim.battles, rounds=50, anchor="model-02", anchor_rating=1200)
    table = ratings.table().set_index("model")
    assert table.loc["model-02", "rating"] == pytest.approx(1200)
    assert table.loc["model-02", "lower"] == pytest.approx(1200)
    assert table.loc["model-02", "upper"] == pytest.approx(1200)
    free = bt.fit_ratings(sim.battles, rounds=0).table().set_index("model")
    # Anchoring only shifts the scale.
    shift = (table["rating"] - free["rating"]).to_numpy()
    np.testing.assert_allclose(shift, shift[0], atol=1e-6)
    with pytest.raises(ValueError, match="not among the rated models"):
        bt.fit_ratings(sim.battles, rounds=0, anchor="nobody")


def test_win_probabilities_follow_the_elo_formula():
    sim = simulate(seed=4, n_battles=3000, n_models=4)
    ratings = bt.fit_ratings(sim.battles, rounds=0)
    probs = ratings.win_probabilities()
    r = pd.Series(ratings.ratings, index=ratings.models)
    expected = 1 / (1 + 10 ** ((r.to_numpy()[None, :] - r.to_numpy()[:, None]) / 400))
    np.fill_diagonal(expected, np.nan)
    np.testing.assert_allclose(probs.to_numpy(), expected, atol=1e-9)
    with pytest.raises(ValueError, match="not a rated model"):
        ratings.predict("model-00", "missing")


def test_davidson_prediction_has_a_tie_share():
    sim = simulate(seed=5, n_battles=4000, n_models=4, kind="davidson", tie_param=0.8)
    ratings = bt.fit_ratings(sim.battles, kind="davidson", rounds=0)
    p = ratings.predict("model-03", "model-00")
    assert p.sum() == pytest.approx(1)
    assert p[0] > p[1] and p[2] > 0.1


@pytest.mark.parametrize(("kind", "style"), [("bt", False), ("bt", True), ("davidson", True), ("rao-kupper", True)])
def test_batched_newton_reproduces_the_reference_fit(kind, style):
    """sklearn (bt) / scipy (tie models) full-data fits equal the bootstrap solver's fit with unit weights."""
    sim = simulate(seed=6, n_battles=3000, n_models=6, kind="bt" if kind == "bt" else kind,
                   tie_param=None if kind == "bt" else 1.5, length_coef=0.3)  # fmt: skip
    comp = bt.comparisons(sim.battles, style=style)
    reference = bt.fit_parameters(comp, kind)
    start = np.zeros((1, len(reference)))
    if kind != "bt":
        start[0, -1] = reference[-1] + 0.3
    solved = newton(bt.design_of(comp), kind, comp.target, comp.count[:, None], start, bt.DEFAULT_L2)[0]
    np.testing.assert_allclose(solved, reference, atol=1e-6)


def test_unbeaten_model_gets_a_finite_rating():
    battles = battles_from([("champ", "y", 0)] * 20 + [("y", "z", 0)] * 10 + [("y", "z", 1)] * 10)
    ratings = bt.fit_ratings(battles, rounds=20)
    assert np.isfinite(ratings.ratings).all()
    assert ratings.ratings[ratings.index("champ")] == ratings.ratings.max()


def test_comparisons_count_what_they_leave_out():
    rows = [("x", "y", 0), ("x", "y", 1), ("x", "x", 0), (None, "y", 0)]
    battles = battles_from(rows)
    battles.loc[1, "label"] = pd.NA
    comp = bt.comparisons(battles)
    assert comp.n_battles == 1
    assert comp.excluded == {"no model names": 1, "unlabelled": 1, "same model on both sides": 1}
    with pytest.raises(ValueError, match="no battle has two different model names and a label"):
        bt.comparisons(battles_from([("x", "x", 0), (None, "y", 1)]))


def test_tie_model_without_ties_is_refused():
    battles = battles_from([("x", "y", 0), ("y", "x", 0), ("x", "y", 1)])
    with pytest.raises(ValueError, match="needs ties"):
        bt.fit_ratings(battles, kind="davidson", rounds=0)


def test_resampling_draws_as_many_battles_as_there_are():
    counts = resampled_counts(np.array([0, 0, 1, 2, 2, 2]), 3, 50, np.random.default_rng(0))
    assert counts.shape == (3, 50)
    np.testing.assert_array_equal(counts.sum(axis=0), 6)
    assert counts[2].mean() > counts[1].mean()


def test_bootstrap_depends_on_the_seed_not_on_the_jobs():
    sim = simulate(seed=7, n_battles=2000, n_models=5)
    comp = bt.comparisons(sim.battles)
    theta = bt.fit_parameters(comp)
    args = (bt.design_of(comp), "bt", comp.target, comp.cell_of_battle, theta, bt.DEFAULT_L2, 60)
    one, present = bootstrap(*args, seed=3, n_jobs=1, batch_cells=len(comp.target) * 16)
    two, _ = bootstrap(*args, seed=3, n_jobs=2, batch_cells=len(comp.target) * 16)
    other, _ = bootstrap(*args, seed=4, n_jobs=1, batch_cells=len(comp.target) * 16)
    np.testing.assert_allclose(one, two)
    assert not np.allclose(one, other)
    assert one.shape == (60, len(theta)) and present.all()


def test_absent_models_leave_their_rounds_out_of_the_interval():
    # "rare" plays once: about 37% of resamples lack it; its interval comes from the rounds where it played.
    battles = battles_from([("x", "y", 0)] * 30 + [("x", "y", 1)] * 30 + [("rare", "x", 0)])
    ratings = bt.fit_ratings(battles, rounds=200, seed=0)
    assert ratings.present is not None
    absent = ~ratings.present[:, ratings.index("rare")]
    assert 0.2 < absent.mean() < 0.55
    lo, _ = ratings.interval()
    assert lo[ratings.index("rare")] > 1000  # it won its only battle, in every round where it played
