"""Bias probes on constructed predictions: a position-biased model is caught, a symmetric one passes; verbosity
and breakdown tables hold the hand-computed numbers; the longer-wins baseline is exactly symmetric."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from arenapref.data.swap import swap
from arenapref.evaluation.probes import (
    breakdown,
    position_consistency,
    predict_both_orders,
    turn_bucket,
    verbosity_table,
)
from arenapref.models.base import PreferenceModel
from arenapref.models.baselines import LengthModel, PriorModel, length_difference
from eval_support import ConstantModel, synthetic_battles


class LeaningModel(ConstantModel):
    """Follows the length difference but adds `bias` to A's logit: its verdict flips where |4 d| < bias."""

    def __init__(self, bias: float) -> None:
        super().__init__()
        self.bias = bias

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        p_a = expit(4 * length_difference(battles) + self.bias)
        return np.column_stack([p_a, 1 - p_a, np.zeros(len(p_a))])


def _consistency(model: PreferenceModel, battles: pd.DataFrame, two_way: bool = False) -> tuple[float, float]:
    p, ps = predict_both_orders(model, battles)
    result = position_consistency(p, ps, two_way=two_way)
    return result.share_unchanged, result.mean_abs_diff


def test_a_purely_positional_model_is_caught() -> None:
    battles = synthetic_battles("s", 50)
    share, diff = _consistency(ConstantModel((0.6, 0.3, 0.1)), battles)
    assert share == 0.0
    assert diff == pytest.approx(0.3)  # |P_A(x) - P_B(swap x)| = |0.6 - 0.3|


def test_a_partly_biased_model_flips_exactly_where_its_bias_outweighs_the_evidence() -> None:
    battles = synthetic_battles("s", 400, seed=3)
    d = length_difference(battles)
    share, diff = _consistency(LeaningModel(bias=1.0), battles)
    # verdict on x: 4d + 1 > 0; on swap x mapped back: -4d + 1 < 0 (A still wins) -> same iff |4d| > 1.
    assert share == pytest.approx(np.mean(np.abs(4 * d) > 1.0))
    assert 0 < share < 1
    assert diff == pytest.approx(np.mean(np.abs(expit(4 * d + 1) - expit(4 * d - 1))))


def test_symmetric_models_are_fully_consistent() -> None:
    battles = synthetic_battles("s", 300, seed=1)
    length = LengthModel().fit(battles)
    assert _consistency(length, battles) == (1.0, 0.0)
    assert _consistency(PriorModel().fit(battles), battles) == (1.0, 0.0)
    share, diff = _consistency(LeaningModel(bias=0.0), battles, two_way=True)
    assert share == 1.0 and diff == pytest.approx(0.0, abs=1e-12)  # expit(x) vs 1 - expit(-x): rounding only


def test_longer_wins_learns_length_and_is_exactly_symmetric() -> None:
    battles = synthetic_battles("s", 1000, seed=2)
    model = LengthModel().fit(battles)
    p = model.predict_proba(battles)
    np.testing.assert_array_equal(p[:, [1, 0, 2]], model.predict_proba(swap(battles)))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    d = length_difference(battles)
    assert (p[d > 0.2, 0] > p[d > 0.2, 1]).all() and (p[d < -0.2, 1] > p[d < -0.2, 0]).all()
    # ties are predicted likelier when lengths are close
    assert p[np.abs(d) < 0.05, 2].mean() > p[np.abs(d) > 0.5, 2].mean()
    restored = LengthModel.from_state(model.get_state(), directory=None)  # type: ignore[arg-type]
    np.testing.assert_allclose(restored.predict_proba(battles), p)


def test_longer_wins_without_tie_labels_predicts_no_tie() -> None:
    battles = synthetic_battles("pairs", 300, tie_allowed=False)
    p = LengthModel().fit(battles).predict_proba(battles)
    assert (p[:, 2] == 0).all()


def test_verbosity_table_hand_computed() -> None:
    battles = synthetic_battles("s", 4, seed=0)
    battles["response_a"] = [["a" * 10], ["a" * 30], ["a" * 10], ["a" * 30]]
    battles["response_b"] = [["b" * 30], ["b" * 10], ["b" * 30], ["b" * 10]]
    battles["label"] = pd.array([1, 0, 2, 1], dtype="Int8")
    proba = np.array([[0.2, 0.6, 0.2], [0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0]])
    table = verbosity_table(battles, proba, n_bins=2)
    assert table["n"].tolist() == [2, 2]
    assert table["d_mean"].tolist() == pytest.approx([-0.5, 0.5])
    # A shorter (rows 0 and 2): outcomes B and tie -> A win rate (0 + 0.5) / 2; predicted (0.3 + 0.5) / 2.
    assert table["observed_a"].tolist() == pytest.approx([0.25, 0.5])
    assert table["predicted_a"].tolist() == pytest.approx([0.4, (0.75 + 0.5) / 2])
    assert table["observed_tie"].tolist() == pytest.approx([0.5, 0.0])


def test_verbosity_skips_unlabelled_rows() -> None:
    battles = synthetic_battles("s", 40)
    battles.loc[:9, "label"] = pd.NA
    table = verbosity_table(battles, np.full((40, 3), 1 / 3))
    assert table["n"].sum() == 30


def test_breakdown_by_source_and_turns() -> None:
    three = synthetic_battles("three", 20, seed=0)
    two = synthetic_battles("two", 10, seed=1, tie_allowed=False)
    battles = pd.concat([three, two], ignore_index=True)
    battles.loc[0, "prompt"] = ["first", "second"]
    proba = np.tile([0.5, 0.3, 0.2], (30, 1))
    by_source = breakdown(battles, proba, battles["source"]).set_index("group")
    assert by_source.loc["three", "classes"] == 3 and by_source.loc["two", "classes"] == 2
    assert by_source.loc["two", "accuracy"] == pytest.approx(np.mean(two["label"].to_numpy(int) == 0))
    assert by_source.loc["two", "log_loss"] == pytest.approx(
        -np.mean(np.where(two["label"].to_numpy(int) == 0, np.log(0.625), np.log(0.375)))
    )
    turns = turn_bucket(battles)
    assert turns.iloc[0] == "2" and (turns.iloc[1:] == "1").all()
    by_turns = breakdown(battles, proba, turns)
    assert by_turns["n"].sum() == 30
