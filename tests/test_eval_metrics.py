"""Metrics against hand-computed values and scikit-learn: Kaggle log loss (eps clipping, unnormalised rows),
2-way folding, accuracy, Brier score, confusion matrix and calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

from arenapref.evaluation.calibration import expected_calibration_error, reliability_bins
from arenapref.evaluation.metrics import (
    accuracy,
    brier,
    confusion,
    fold_ties,
    kaggle_log_loss,
    non_tie_accuracy,
    score,
)

LABELS = np.array([0, 1, 2])
PROBA = np.array([[0.5, 0.3, 0.2], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]])


def test_log_loss_hand_computed_and_sklearn() -> None:
    expected = -(math.log(0.5) + math.log(0.7) + math.log(0.4)) / 3
    assert kaggle_log_loss(LABELS, PROBA) == pytest.approx(expected, abs=1e-12)
    assert kaggle_log_loss(LABELS, PROBA) == pytest.approx(log_loss(LABELS, PROBA, labels=[0, 1, 2]), abs=1e-12)


def test_log_loss_normalises_rows_that_do_not_sum_to_one() -> None:
    scaled = PROBA * np.array([[2.0], [0.5], [10.0]])
    assert kaggle_log_loss(LABELS, scaled) == pytest.approx(kaggle_log_loss(LABELS, PROBA), abs=1e-12)
    # e.g. raw scores (0.2, 0.2, 0.1): normalised to (0.4, 0.4, 0.2) before the log.
    assert kaggle_log_loss(np.array([2]), np.array([[0.2, 0.2, 0.1]])) == pytest.approx(-math.log(0.2))


def test_log_loss_clips_zero_probability_at_machine_eps() -> None:
    eps = np.finfo(np.float64).eps
    zero_on_truth = np.array([[0.0, 1.0, 0.0]])
    assert kaggle_log_loss(np.array([0]), zero_on_truth) == pytest.approx(-math.log(eps))
    assert kaggle_log_loss(np.array([0]), zero_on_truth) == pytest.approx(
        log_loss([0], zero_on_truth, labels=[0, 1, 2])
    )
    assert math.isfinite(kaggle_log_loss(np.array([1, 0]), np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])))


def test_two_way_folding_removes_the_tie_mass() -> None:
    folded = fold_ties(np.array([[0.3, 0.5, 0.2], [0.0, 0.0, 1.0]]))
    np.testing.assert_allclose(folded, [[0.375, 0.625], [0.5, 0.5]])
    s = score(np.array([1]), np.array([[0.3, 0.5, 0.2]]), two_way=True)
    assert s.two_way and "folded" in s.note
    assert s.log_loss == pytest.approx(-math.log(0.625))
    assert s.accuracy == 1.0
    assert s.brier == pytest.approx(2 * 0.375**2)
    assert s.confusion == [[0, 0], [0, 1]]


def test_two_way_set_rejects_a_tie_label() -> None:
    with pytest.raises(ValueError, match="tie"):
        score(np.array([2]), np.array([[0.3, 0.5, 0.2]]), two_way=True)


def test_accuracy_and_non_tie_accuracy() -> None:
    assert accuracy(LABELS, PROBA) == pytest.approx(accuracy_score(LABELS, PROBA.argmax(axis=1)))
    assert accuracy(LABELS, PROBA) == 1.0
    # Non-tie rows only, verdict = larger of P(A), P(B): the tie row is left out, the tie prediction ignored.
    labels = np.array([0, 1, 2, 0])
    proba = np.array([[0.3, 0.2, 0.5], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1]])
    assert non_tie_accuracy(labels, proba) == pytest.approx(2 / 3)
    assert math.isnan(non_tie_accuracy(np.array([2]), proba[:1]))


def test_brier_hand_computed_and_sklearn() -> None:
    expected = ((0.5**2 + 0.3**2 + 0.2**2) + (0.2**2 + 0.3**2 + 0.1**2) + (0.3**2 + 0.3**2 + 0.6**2)) / 3
    assert brier(LABELS, PROBA) == pytest.approx(expected)
    assert brier(LABELS, PROBA) == pytest.approx(brier_score_loss(LABELS, PROBA, labels=[0, 1, 2], scale_by_half=False))


def test_confusion_rows_true_columns_predicted() -> None:
    labels = np.array([0, 0, 1, 2, 2])
    proba = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.2, 0.7, 0.1], [0.5, 0.2, 0.3], [0.1, 0.1, 0.8]])
    assert confusion(labels, proba).tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_expected_calibration_error_hand_computed() -> None:
    # Two rows at confidence 0.9 (one right): gap 0.4; two at 0.7 (both right): gap 0.3.
    labels = np.array([0, 1, 1, 0])
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.3, 0.7], [0.7, 0.3]])
    assert expected_calibration_error(labels, proba) == pytest.approx(0.5 * 0.4 + 0.5 * 0.3)
    bins = reliability_bins(labels, proba)
    assert len(bins) == 15 and bins["count"].sum() == 4
    used = bins[bins["count"] > 0]
    assert used["confidence"].tolist() == pytest.approx([0.7, 0.9])
    assert used["accuracy"].tolist() == pytest.approx([1.0, 0.5])


def test_score_rejects_bad_probabilities() -> None:
    for bad in ([[np.nan, 0.5, 0.5]], [[-0.1, 0.6, 0.5]], [[0.0, 0.0, 0.0]]):
        with pytest.raises(ValueError):
            score(np.array([0]), np.array(bad))


def test_score_of_a_perfect_and_a_uniform_prediction() -> None:
    perfect = score(LABELS, np.eye(3)[LABELS])
    assert perfect.accuracy == 1.0 and perfect.brier == 0.0 and perfect.log_loss < 1e-12
    uniform = score(LABELS, np.full((3, 3), 1 / 3))
    assert uniform.log_loss == pytest.approx(math.log(3))
