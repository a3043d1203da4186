"""The leaderboard against LMSYS's own code: FastChat's published Bradley-Terry formula (compute_mle_elo) on the
same battles gives the same order and ratings; style control counts markdown outside code, as LMSYS does."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

from arenapref.data.schema import conform
from arenapref.ranking.bradley_terry import DEFAULT_L2, fit_ratings
from arenapref.ranking.style import element_counts, style_covariates
from arenapref.report.inputs import rating_battles, read_inputs

WINNERS = ("model_a", "model_b", "tie")


def compute_mle_elo(df: pd.DataFrame, c: float, scale: int = 400, base: int = 10, init: int = 1000) -> pd.Series:
    """FastChat's compute_mle_elo (fastchat/serve/monitor/elo_analysis.py), transcribed; `c` is
    LogisticRegression's C (FastChat: penalty None or C=1.0)."""
    ptbl_a_win = pd.pivot_table(
        df[df["winner"] == "model_a"], index="model_a", columns="model_b", aggfunc="size", fill_value=0
    )
    if sum(df["winner"].isin(["tie", "tie (bothbad)"])) == 0:
        ptbl_tie = pd.DataFrame(0, index=ptbl_a_win.index, columns=ptbl_a_win.columns)
    else:
        ties = df[df["winner"].isin(["tie", "tie (bothbad)"])]
        ptbl_tie = pd.pivot_table(ties, index="model_a", columns="model_b", aggfunc="size", fill_value=0)
        ptbl_tie = ptbl_tie + ptbl_tie.T
    ptbl_b_win = pd.pivot_table(
        df[df["winner"] == "model_b"], index="model_a", columns="model_b", aggfunc="size", fill_value=0
    )
    ptbl_win = ptbl_a_win * 2 + ptbl_b_win.T * 2 + ptbl_tie
    models = pd.Series(np.arange(len(ptbl_win.index)), index=ptbl_win.index)
    p = len(models)
    x = np.zeros([p * (p - 1) * 2, p])
    y = np.zeros(p * (p - 1) * 2)
    cur_row, sample_weights = 0, []
    for m_a in ptbl_win.index:
        for m_b in ptbl_win.columns:
            if m_a == m_b or math.isnan(ptbl_win.loc[m_a, m_b]) or math.isnan(ptbl_win.loc[m_b, m_a]):
                continue
            x[cur_row, models[m_a]] = +math.log(base)
            x[cur_row, models[m_b]] = -math.log(base)
            y[cur_row] = 1.0
            sample_weights.append(ptbl_win.loc[m_a, m_b])
            x[cur_row + 1, models[m_a]] = math.log(base)
            x[cur_row + 1, models[m_b]] = -math.log(base)
            y[cur_row + 1] = 0.0
            sample_weights.append(ptbl_win.loc[m_b, m_a])
            cur_row += 2
    lr = LogisticRegression(fit_intercept=False, C=c, tol=1e-10, max_iter=10_000)
    lr.fit(x[:cur_row], y[:cur_row], sample_weight=sample_weights)
    return pd.Series(scale * lr.coef_[0] + init, index=models.index)


def vote_rows(battles: pd.DataFrame) -> pd.DataFrame:
    """One row per vote (soft labels are shares of 3 votes; a hard label is one vote), in both seat orders:
    FastChat's tables drop a pair of models met in one order only, and position carries no signal."""
    soft = battles[["soft_a", "soft_b", "soft_tie"]].to_numpy(dtype=float)
    label = battles["label"].to_numpy(dtype=float, na_value=np.nan)
    rows = []
    for i, (a, b) in enumerate(zip(battles["model_a"], battles["model_b"], strict=True)):
        votes = np.rint(soft[i] * 3) if not np.isnan(soft[i]).any() else np.eye(3)[int(label[i])]
        for k, n in enumerate(votes.astype(int)):
            rows += [(a, b, WINNERS[k]), (b, a, WINNERS[(1, 0, 2)[k]])] * n
    return pd.DataFrame(rows, columns=["model_a", "model_b", "winner"])


@pytest.mark.parametrize("name", ["vicuna80", "copilot-arena"])
def test_ratings_match_fastchats_formula(data_dir: Path, name: str) -> None:
    battles, _ = rating_battles(read_inputs([data_dir / name]))
    ours = fit_ratings(battles, rounds=0)
    used = battles.loc[(battles["label"].notna() | battles["soft_a"].notna()).to_numpy()]
    used = used[used["model_a"].notna() & (used["model_a"] != used["model_b"])]
    assert len(used) == ours.comp.n_battles
    votes = vote_rows(used)
    # FastChat's objective is C * 8 * sum over votes (x2 in ptbl_win, both loop orders, both seat orders) + |w|^2/2;
    # ours is sum over battles (a battle's loss is the mean over its votes) + l2/2 |w|^2: equal up to a factor when
    # C = battles / (4 l2 rows), rows = 2 per vote. Then the two fits must agree to solver precision.
    c = len(used) / (4 * DEFAULT_L2 * len(votes))
    theirs = compute_mle_elo(votes, c).reindex(ours.models)
    mine = pd.Series(ours.ratings, index=ours.models)
    gap = (mine - mine.mean()) - (theirs - theirs.mean())
    assert spearmanr(mine, theirs).statistic == pytest.approx(1.0)
    assert gap.abs().max() < 0.25, gap


def test_markdown_inside_code_blocks_is_not_style() -> None:
    code = "```python\n# a comment, not a header\n**not bold**\n- not a list\n```"
    texts = pd.Series([f"# Title\n{code}\n- item", code])
    counts = element_counts(texts)
    assert counts[["header", "bold", "list"]].to_numpy().tolist() == [[1, 0, 1], [0, 0, 0]]
    assert counts["chars"].tolist() == texts.str.len().tolist()  # length counts the code


def test_code_comments_do_not_enter_style_control() -> None:
    """Answers that differ only in Python comments inside code: no header covariate, as in LMSYS's analysis."""
    plain = "```python\nx = 1\n```"
    commented = "```python\n# step one\n# step two\nx = 1\n```"
    battles = conform(
        pd.DataFrame(
            {
                "id": [str(i) for i in range(4)],
                "source": ["code"] * 4,
                "prompt": [["code"]] * 4,
                "response_a": [[commented], [plain], [commented + "\nok"], [plain]],
                "response_b": [[plain], [commented], [plain], [commented + "\nok"]],
                "label": [0, 1, 0, 1],
            }
        )
    )
    _, names, notes = style_covariates(battles)
    assert "header" not in names and "style element 'header' never differs between the two answers: left out" in notes
