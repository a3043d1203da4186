"""Exploratory numbers on a battle table, each a small DataFrame: outcomes, models, length, position, turns,
similarity. Outcome shares use `targets` (soft labels where a set has them, e.g. vicuna80's vote shares)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import binomtest

from arenapref.data.schema import targets
from arenapref.features.pair import row_cosine
from arenapref.features.style import normalised_difference
from arenapref.features.text import side_text
from arenapref.features.tfidf import HashedTfidf

OUTCOMES = ("A wins", "B wins", "tie")
#: Fixed edges of the normalised length difference (A-B)/(A+B), shared by every source so curves compare.
LENGTH_EDGES = np.array([-1.0, -0.6, -0.4, -0.2, -0.07, 0.07, 0.2, 0.4, 0.6, 1.0])
SIMILARITY_EDGES = np.array([0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0 + 1e-9])


def has_models(battles: pd.DataFrame) -> np.ndarray:
    return (battles["model_a"].notna() & battles["model_b"].notna()).to_numpy()


def outcome_weights(battles: pd.DataFrame) -> np.ndarray:
    """(n, 3) outcome shares per battle (0 rows for unlabelled battles)."""
    return targets(battles)


def winner_distribution(battles: pd.DataFrame) -> pd.DataFrame:
    """Per source: battles, hard labels A / B / tie / unlabelled, soft-labelled rows, whether ties exist."""
    label = battles["label"].astype("float").fillna(-1).astype(int)
    frame = pd.DataFrame({"source": battles["source"], "label": label, "soft": battles["soft_a"].notna()})
    rows = []
    for source, part in frame.groupby("source", sort=True):
        counts = part["label"].value_counts()
        rows.append(
            {
                "source": source,
                "battles": len(part),
                **{name: int(counts.get(k, 0)) for k, name in enumerate(OUTCOMES)},
                "unlabelled": int(counts.get(-1, 0)),
                "soft labels": int(part["soft"].sum()),
                "ties possible": bool(battles.loc[part.index, "tie_allowed"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def model_usage(battles: pd.DataFrame) -> pd.DataFrame:
    """Battles per model (as A, as B, total), most used first; rows without model names are left out."""
    named = battles.loc[has_models(battles)]
    as_a, as_b = named["model_a"].value_counts(), named["model_b"].value_counts()
    table = pd.DataFrame({"as A": as_a, "as B": as_b}).fillna(0).astype(int)
    table["battles"] = table.sum(axis=1)
    table = table.rename_axis("model").reset_index()
    return table.sort_values(["battles", "model"], ascending=[False, True], ignore_index=True)


def model_win_rates(battles: pd.DataFrame) -> pd.DataFrame:
    """Per model: labelled battles, wins, losses, ties (soft shares summed) and win rate with a tie as half."""
    named = has_models(battles)
    t = outcome_weights(battles)[named]
    used = t.sum(axis=1) > 0
    a, b, t = battles["model_a"].to_numpy()[named][used], battles["model_b"].to_numpy()[named][used], t[used]
    frame = pd.DataFrame(
        {
            "model": np.r_[a, b],
            "wins": np.r_[t[:, 0], t[:, 1]],
            "losses": np.r_[t[:, 1], t[:, 0]],
            "ties": np.r_[t[:, 2], t[:, 2]],
        }
    )
    table = frame.groupby("model").agg(battles=("wins", "size"), wins=("wins", "sum"), losses=("losses", "sum"),
                                       ties=("ties", "sum"))  # fmt: skip
    table["win rate"] = (table["wins"] + table["ties"] / 2) / table["battles"]
    return table.reset_index().sort_values(["win rate", "battles"], ascending=False, ignore_index=True)


def pairwise_win_rates(battles: pd.DataFrame, models: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observed score of the row model against the column model (a tie counts half; NaN where they never met),
    and the battle counts, both in the order of `models`."""
    named = has_models(battles)
    t = outcome_weights(battles)[named]
    a, b = battles["model_a"].to_numpy()[named], battles["model_b"].to_numpy()[named]
    keep = (t.sum(axis=1) > 0) & pd.Series(a).isin(models).to_numpy() & pd.Series(b).isin(models).to_numpy()
    a, b, t = a[keep], b[keep], t[keep]
    score_a = t[:, 0] + t[:, 2] / 2
    frame = pd.DataFrame({"row": np.r_[a, b], "col": np.r_[b, a], "score": np.r_[score_a, 1 - score_a]})
    grouped = frame.groupby(["row", "col"])["score"]
    rates = grouped.mean().unstack().reindex(index=models, columns=models)
    counts = grouped.size().unstack().reindex(index=models, columns=models).fillna(0).astype(int)
    return rates, counts


def length_difference(battles: pd.DataFrame) -> np.ndarray:
    """(chars A - chars B) / (chars A + chars B) over all turns."""
    return normalised_difference(
        side_text(battles, "response_a").str.len().to_numpy(), side_text(battles, "response_b").str.len().to_numpy()
    )


def length_outcomes(battles: pd.DataFrame, diff: np.ndarray) -> pd.DataFrame:
    """Per source and bin of the length difference: battles and outcome shares (A, B, tie)."""
    t = outcome_weights(battles)
    used = t.sum(axis=1) > 0
    frame = pd.DataFrame(t[used] / t[used].sum(axis=1, keepdims=True), columns=list(OUTCOMES))
    frame["source"] = battles["source"].to_numpy()[used]
    frame["bin"] = pd.cut(diff[used], LENGTH_EDGES, include_lowest=True)
    frame["diff"] = diff[used]
    table = frame.groupby(["source", "bin"], observed=True).agg(
        battles=("diff", "size"), **{"mean difference": ("diff", "mean")}, **{o: (o, "mean") for o in OUTCOMES}
    )
    return table.reset_index().assign(bin=lambda d: d["bin"].astype(str))


def longer_wins(battles: pd.DataFrame, diff: np.ndarray) -> pd.DataFrame:
    """Per source, over battles with a decisive hard label and answers of unequal length: how often the longer
    answer wins."""
    label = battles["label"].to_numpy(dtype=float, na_value=np.nan)
    use = np.isin(label, (0, 1)) & (diff != 0)
    frame = pd.DataFrame({"source": battles["source"].to_numpy()[use], "won": (label[use] == 0) == (diff[use] > 0)})
    table = frame.groupby("source", sort=True)["won"].agg(["size", "mean"])
    return table.reset_index().rename(columns={"size": "decisive battles", "mean": "longer wins"})


def position_table(battles: pd.DataFrame) -> pd.DataFrame:
    """Per source, decisive hard labels: share won by position A, its 95% interval and a two-sided binomial test."""
    rows = []
    for source, part in battles.groupby("source", sort=True):
        label = part["label"].dropna().astype(int)
        wins_a, decisive = int((label == 0).sum()), int((label < 2).sum())
        if decisive == 0:
            continue
        test = binomtest(wins_a, decisive, 0.5)
        ci = test.proportion_ci(confidence_level=0.95, method="wilson")
        rows.append(
            {
                "source": source,
                "decisive battles": decisive,
                "A wins": wins_a,
                "share A": wins_a / decisive,
                "lower": ci.low,
                "upper": ci.high,
                "p-value": test.pvalue,
            }
        )
    return pd.DataFrame(rows)


def turns_table(battles: pd.DataFrame) -> pd.DataFrame:
    """Battles per source and number of user turns (columns 1 ... 5, then '6+')."""
    turns = battles["prompt"].map(len).clip(upper=6).map(lambda n: "6+" if n >= 6 else str(n))
    table = pd.crosstab(battles["source"], turns).rename_axis(columns=None)
    return table.reindex(columns=[c for c in ["1", "2", "3", "4", "5", "6+"] if c in table.columns]).reset_index()


def answer_similarity(battles: pd.DataFrame) -> np.ndarray:
    """Cosine similarity of the two answers' word TF-IDF vectors (idf from both sides of these battles)."""
    tfidf = HashedTfidf(analyzer="word", vocab_size=50_000, min_df=1)
    counts_a = tfidf.counts(side_text(battles, "response_a"))
    counts_b = tfidf.counts(side_text(battles, "response_b"))
    tfidf.fit(sp.vstack([counts_a, counts_b]).tocsr())
    return np.clip(row_cosine(tfidf.transform(counts_a), tfidf.transform(counts_b)), 0, 1)


def similarity_ties(battles: pd.DataFrame, similarity: np.ndarray) -> pd.DataFrame:
    """Per source whose labels allow ties, and bin of answer similarity: battles and tie share."""
    t = outcome_weights(battles)
    used = (t.sum(axis=1) > 0) & battles["tie_allowed"].to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            "source": battles["source"].to_numpy()[used],
            "similarity": similarity[used],
            "tie": t[used, 2] / t[used].sum(axis=1),
        }
    )
    frame["bin"] = pd.cut(frame["similarity"], SIMILARITY_EDGES, include_lowest=True, right=False)
    table = frame.groupby(["source", "bin"], observed=True).agg(
        battles=("tie", "size"), **{"mean similarity": ("similarity", "mean"), "tie rate": ("tie", "mean")}
    )
    return table.reset_index().assign(bin=lambda d: d["bin"].astype(str))
