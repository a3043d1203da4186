"""Teachers and pseudo-labels with the fast model: soft labels identical to the teacher's mirror-averaged
probabilities, the confidence filter counted, predictions files aligned by id with clear errors, and the soft
labels read back as training targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.errors import DataError
from arenapref.data.io import read_battles
from arenapref.data.schema import SOFT_COLUMNS, targets
from arenapref.data.submission import write_submission
from arenapref.data.swap import swap
from arenapref.models.base import mirror_average
from arenapref.models.baselines import LengthModel
from arenapref.models.registry import create
from arenapref.pipeline.pseudo_labels import pseudo_label
from arenapref.pipeline.soft_targets import with_teacher
from arenapref.pipeline.teachers import read_predictions, teacher_proba
from cli_support import run_cli as run


@pytest.fixture(scope="module")
def sample(data_dir: Path) -> pd.DataFrame:
    return read_battles(data_dir / "kaggle-sample" / "train.csv")[0]


@pytest.fixture(scope="module")
def teacher_dir(sample: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("teacher") / "fast"
    create("fast").fit(sample).save(out)
    return out


def test_pseudo_labels_are_the_teachers_mirror_averaged_probabilities(
    teacher_dir: Path, data_dir: Path, sample: pd.DataFrame, tmp_path: Path
) -> None:
    from arenapref.models.registry import load

    model = load(teacher_dir)
    unlabelled = sample.assign(label=pd.NA).drop(columns=list(SOFT_COLUMNS))
    pool = tmp_path / "pool.parquet"
    unlabelled.to_parquet(pool)
    code, text = run("pseudo-label", teacher_dir, pool, "-o", tmp_path / "pseudo.parquet")
    assert code == 0, text
    assert "kept 100 of 100 battles (no filter; dropped 0)" in text
    written, _ = read_battles(tmp_path / "pseudo.parquet")
    direct = model.predict_proba(sample)
    swapped = model.predict_proba(swap(sample))[:, [1, 0, 2]]
    expected = (direct + swapped) / 2
    assert list(written["id"]) == list(sample["id"])
    np.testing.assert_array_equal(written[list(SOFT_COLUMNS)].to_numpy(), expected)
    np.testing.assert_array_equal(targets(written), expected / expected.sum(axis=1, keepdims=True))
    assert written["label"].isna().all()


def test_mirror_average_makes_a_position_biased_model_symmetric(sample: pd.DataFrame) -> None:
    class FirstWins(LengthModel):
        def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
            return np.tile([0.7, 0.2, 0.1], (len(battles), 1))

    p = mirror_average(FirstWins(), sample.head(5))
    np.testing.assert_allclose(p, np.tile([0.45, 0.45, 0.1], (5, 1)))


def test_confidence_filter_keeps_confident_rows_and_counts_the_rest(sample: pd.DataFrame) -> None:
    proba = np.tile([1 / 3, 1 / 3, 1 / 3], (len(sample), 1))
    proba[:10] = [0.8, 0.1, 0.1]
    out, report = pseudo_label(sample, proba, min_confidence=0.6)
    assert list(out["id"]) == list(sample["id"][:10])
    assert (report.rows, report.kept, report.dropped) == (100, 10, 90)
    assert "dropped 90" in report.line()
    with pytest.raises(ValueError, match="min_confidence"):
        pseudo_label(sample, proba, min_confidence=0.2)


def test_predictions_file_is_aligned_by_id(sample: pd.DataFrame, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1, 1, 1], size=len(sample))
    order = rng.permutation(len(sample))
    path = write_submission(sample["id"].iloc[order], proba[order], tmp_path / "teacher.csv")
    np.testing.assert_allclose(teacher_proba(path, sample), proba, atol=1e-15)


def test_predictions_file_errors_name_file_field_and_count(sample: pd.DataFrame, tmp_path: Path) -> None:
    proba = np.tile([0.5, 0.3, 0.2], (len(sample), 1))
    partial = write_submission(sample["id"].iloc[:97], proba[:97], tmp_path / "partial.csv")
    with pytest.raises(DataError, match=r"partial\.csv.*field 'id'.*3 of 100 battle ids missing from the file"):
        read_predictions(partial, sample["id"])
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"id": ["a"], "winner_model_a": [0.5], "winner_model_b": ["x"], "winner_tie": [0.5]}).to_csv(bad)
    with pytest.raises(DataError, match=r"bad\.csv, row 1, field 'winner_model_b': not a number"):
        read_predictions(bad, pd.Series(["a"]))
    off = tmp_path / "off.csv"
    pd.DataFrame({"id": ["a"], "winner_model_a": [0.5], "winner_model_b": [0.4], "winner_tie": [0.5]}).to_csv(off)
    with pytest.raises(DataError, match=r"sum to 1\.4000"):
        read_predictions(off, pd.Series(["a"]))
    with pytest.raises(DataError, match="winner_tie"):
        pd.DataFrame({"id": ["a"], "winner_model_a": [1.0], "winner_model_b": [0.0]}).to_csv(off)
        read_predictions(off, pd.Series(["a"]))


def test_cli_missing_ids_is_one_line_exit_2(
    teacher_dir: Path, data_dir: Path, sample: pd.DataFrame, tmp_path: Path
) -> None:
    partial = write_submission(sample["id"].iloc[:50], np.tile([0.5, 0.3, 0.2], (50, 1)), tmp_path / "t.csv")
    code, text = run("pseudo-label", partial, data_dir / "kaggle-sample" / "train.csv", "-o", tmp_path / "x.parquet")
    assert code == 2
    assert "50 of 100 battle ids missing" in text and "Traceback" not in text
    code, text = run("pseudo-label", tmp_path, data_dir / "kaggle-sample" / "train.csv", "-o", tmp_path / "x.parquet")
    assert code == 2 and "not a model directory" in text


def test_teacher_folded_into_soft_labels_equals_the_loss_mix(sample: pd.DataFrame) -> None:
    battles = sample.head(4).copy()
    battles.loc[3, "label"] = pd.NA
    teacher = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4], [0.1, 0.8, 0.1]])
    mixed = targets(with_teacher(battles, teacher, alpha=0.25))
    onehot = np.eye(3)[battles["label"].fillna(0).to_numpy(dtype=int)]
    np.testing.assert_allclose(mixed[:3], 0.25 * onehot[:3] + 0.75 * teacher[:3])
    np.testing.assert_allclose(mixed[3], teacher[3])


def test_rows_without_a_teacher_keep_their_own_labels(sample: pd.DataFrame) -> None:
    battles = sample.head(3).copy()
    battles.loc[2, ["soft_a", "soft_b", "soft_tie"]] = [0.2, 0.2, 0.6]  # a pseudo-labelled row
    teacher = np.array([[0.6, 0.3, 0.1], [np.nan] * 3, [np.nan] * 3])
    mixed = targets(with_teacher(battles, teacher, alpha=0.5))
    np.testing.assert_allclose(mixed[1:], targets(battles)[1:])
    np.testing.assert_allclose(mixed[0], 0.5 * targets(battles)[0] + 0.5 * teacher[0])
