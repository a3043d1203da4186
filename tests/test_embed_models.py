"""The embedding models on tiny Auto-J subsets (WordLlama, a temporary embedding cache): exact position
consistency, save/load round trips with identical probabilities, embedding features in the explanations, an
antisymmetric pair network, and directories refused when the encoder changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arenapref.data.io import read_battles
from arenapref.data.swap import swap, swap_proba
from arenapref.features.encoders.cache import ENV_VAR
from arenapref.features.labels import label_of
from arenapref.models import registry
from arenapref.models.base import ModelDirError
from arenapref.models.embedding.embed import EmbedModel
from arenapref.models.embedding.embed_mlp import EmbedMLPModel

TINY = {"n_estimators": 40, "early_stopping": 10, "fallback_rounds": 20}
FEATURES = {"word_vocab": 2000, "char_vocab": 2000, "svd_components": 4}
SIZES = {"diff_components": 4, "product_components": 2, "prompt_components": 2}
MLP = {"max_epochs": 4, "patience": 2, "fallback_epochs": 2}


@pytest.fixture(scope="module", autouse=True)
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("embeddings")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, str(root))
        yield root


@pytest.fixture(scope="module")
def autoj(data_dir: Path) -> pd.DataFrame:
    return read_battles(data_dir / "autoj" / "testdata_pairwise.jsonl")[0]


@pytest.fixture(scope="module")
def unseen(autoj: pd.DataFrame) -> pd.DataFrame:
    return autoj.iloc[1000:1050].reset_index(drop=True)


@pytest.fixture(scope="module")
def embed(autoj: pd.DataFrame) -> EmbedModel:
    return EmbedModel(inner_folds=2, features=FEATURES, boost=TINY, embedding=SIZES).fit(autoj.iloc[:200])


@pytest.fixture(scope="module")
def mlp(autoj: pd.DataFrame) -> EmbedMLPModel:
    return EmbedMLPModel(train=MLP).fit(autoj.iloc[:200])


def test_embed_fills_the_cache_and_is_position_consistent(
    embed: EmbedModel, unseen: pd.DataFrame, embedding_cache: Path
) -> None:
    assert [p.name.split("-")[0] for p in embedding_cache.iterdir()] == ["wordllama"]
    p = embed.predict_proba(unseen)
    assert p.shape == (50, 3) and np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert np.array_equal(p, swap_proba(embed.predict_proba(swap(unseen))))


def test_embed_features_are_named_and_explained(embed: EmbedModel, unseen: pd.DataFrame) -> None:
    names = embed._feature_names()
    for name in ("a_emb_cos_prompt", "b_emb_cos_prompt", "emb_cos_prompt_diff", "emb_cos_ab", "emb_diff_pc0"):
        assert name in names
    assert "emb_prompt_x_diff_pc1" in names and "emb_prompt_pc1" in names
    assert embed.boosters["direction"].feature_name() == names
    reasons = embed.explain(unseen, top=len(names))
    grouped = {label_of(n).group or n for n in names}  # TF-IDF and embedding components count as one reason each
    assert reasons is not None and {r.feature for r in reasons[0]} == grouped
    assert {"emb_meaning_*", "emb_prompt_*"} <= grouped
    emb = [r for r in reasons[0] if r.feature == "emb_cos_ab"]
    assert len(emb) == 1 and -1.0 - 1e-6 <= emb[0].value <= 1.0 + 1e-6  # a cosine


def test_embed_round_trip_and_encoder_check(embed: EmbedModel, unseen: pd.DataFrame, tmp_path: Path) -> None:
    embed.save(tmp_path / "m")
    loaded = registry.load(tmp_path / "m")
    assert isinstance(loaded, EmbedModel)
    assert np.array_equal(loaded.predict_proba(unseen), embed.predict_proba(unseen))
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["state"]["encoder_identity"] = "wordllama-some-other-weights"
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelDirError, match="trained with encoder wordllama-some-other-weights"):
        registry.load(tmp_path / "m")


def test_mlp_gives_exactly_swapped_probabilities(mlp: EmbedMLPModel, unseen: pd.DataFrame) -> None:
    p = mlp.predict_proba(unseen)
    assert p.shape == (50, 3) and np.isfinite(p).all() and mlp.training["epochs"] >= 1
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert np.array_equal(p, swap_proba(mlp.predict_proba(swap(unseen))))


def test_pair_network_is_antisymmetric_by_construction(mlp: EmbedMLPModel, unseen: pd.DataFrame) -> None:
    """Without the mirror-average: the raw logits of a swapped battle are the exchanged A/B logits and the same
    tie logit (up to float rounding of a differently ordered batch)."""
    from arenapref.models.embedding.pair_net import logits

    z = logits(mlp.net, mlp._inputs(unseen))
    zs = logits(mlp.net, mlp._inputs(swap(unseen)))
    np.testing.assert_allclose(zs, z[:, [1, 0, 2]], rtol=0, atol=1e-5)
    assert np.abs(z[:, 0] - z[:, 1]).max() > 1e-3  # and it does tell the sides apart


def test_mlp_round_trip_and_weight_check(mlp: EmbedMLPModel, unseen: pd.DataFrame, tmp_path: Path) -> None:
    mlp.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["model.json", "pair_net.safetensors"]
    loaded = registry.load(tmp_path / "m")
    assert np.array_equal(loaded.predict_proba(unseen), mlp.predict_proba(unseen))
    weights = tmp_path / "m" / "pair_net.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(ModelDirError, match="SHA-256 mismatch"):
        registry.load(tmp_path / "m")


@pytest.mark.slow
def test_minilm_model_saves_the_resolved_precision(autoj: pd.DataFrame, unseen: pd.DataFrame, tmp_path: Path) -> None:
    """embed-minilm trained with `auto` records the precision it resolved to, so a machine whose `auto` differs
    still encodes as in training; an explicit precision is kept as given."""
    from arenapref.features.encoders.sentence import resolve_precision
    from arenapref.models.embedding.embed import EmbedMiniLMModel

    model = EmbedMiniLMModel(inner_folds=2, features=FEATURES, boost=TINY, embedding=SIZES).fit(autoj.iloc[:80])
    assert model.encoder == f"minilm@{resolve_precision('auto')}"
    model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["state"]["params"]["encoder"] == model.encoder
    loaded = registry.load(tmp_path / "m")
    assert np.array_equal(loaded.predict_proba(unseen), model.predict_proba(unseen))
    forced = EmbedModel(encoder="minilm@float32", inner_folds=2, features=FEATURES, boost=TINY, embedding=SIZES)
    assert forced.fit(autoj.iloc[:80]).encoder == "minilm@float32"
