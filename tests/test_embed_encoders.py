"""The bundled encoders: both load with HF_HUB_OFFLINE=1 and no network touched; vectors of unit length, zeros for
an empty text; MiniLM's head + tail windows for long texts; its precisions agree; WordLlama's sparse pooling equals
the package's own; a cached rerun never loads the encoder; names and local folders resolve, unknown names fail
clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arenapref.features.encoders import encode_cached, get_encoder
from arenapref.features.encoders.cache import EmbeddingCache
from arenapref.features.encoders.wordllama import WordLlamaEncoder

# Loads both bundled encoders in a fresh interpreter with the hub offline and every socket connection refused.
OFFLINE_SCRIPT = """
import json, socket
def refuse(*args, **kwargs):
    raise OSError("network touched: " + repr(args))
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
from arenapref.features.encoders import get_encoder
out = {}
for name in ("wordllama", "minilm"):
    encoder = get_encoder(name)
    long_text = "word " * 2000
    vectors = encoder.encode(["hello world", "", long_text, "a short answer"])
    pieces = []
    if name == "minilm":
        tokenizer = encoder.load().tokenizer
        windows = encoder.windows([long_text, "hello world"])
        pieces = [len(p) for p in windows.pieces]
        pieces += [windows.prefix == [tokenizer.cls_token_id], windows.suffix == [tokenizer.sep_token_id]]
    out[name] = {"shape": list(vectors.shape), "norms": [float(x) for x in (vectors ** 2).sum(axis=1)],
                 "identity": encoder.identity, "pieces": pieces}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def offline() -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_both_bundled_encoders_load_offline_without_network(offline: dict) -> None:
    assert offline["wordllama"]["shape"] == [4, 256]
    assert offline["minilm"]["shape"] == [4, 384]
    for name in ("wordllama", "minilm"):
        norms = offline[name]["norms"]
        np.testing.assert_allclose([norms[0], norms[2], norms[3]], 1.0, atol=1e-5)
        assert norms[1] == 0.0  # an empty text is the zero vector
        assert offline[name]["identity"].startswith(name)


@pytest.mark.slow
def test_minilm_reads_a_long_text_as_head_and_tail(offline: dict) -> None:
    head, tail, short, cls_first, sep_last = offline["minilm"]["pieces"]
    # two windows of 254 word pieces ("word" is one piece) of the 2,000-word text, not the whole text; [CLS] and
    # [SEP] take the window's other two places
    assert (head, tail, short) == (254, 254, 2)
    assert cls_first and sep_last


@pytest.mark.slow
def test_minilm_precisions_agree_and_differ_in_identity() -> None:
    texts = ["How do I boil an egg?", "Put it in boiling water for nine minutes. " * 40, "", "Paris."]
    fp32, bf16 = get_encoder("minilm@float32"), get_encoder("minilm@bfloat16")
    assert (fp32.spec, bf16.spec) == ("minilm@float32", "minilm@bfloat16")
    assert get_encoder(fp32.spec).identity == fp32.identity != bf16.identity  # the cache never mixes them
    a, b = fp32.encode(texts), bf16.encode(texts)
    cosine = (a * b).sum(axis=1)
    assert cosine[2] == 0.0 and (cosine[[0, 1, 3]] > 0.999).all()


def test_wordllama_sparse_pooling_equals_the_package_embedding() -> None:
    texts = ["a short answer", "a much longer answer " * 300, "", "caf\u00e9 \u2013 na\u00efve"]
    encoder = WordLlamaEncoder()
    ours = encoder.encode(texts)
    with np.errstate(invalid="ignore", divide="ignore"):  # the package pools an empty text to NaN
        theirs = encoder.load().embed(texts, norm=True)
    np.testing.assert_allclose(ours[[0, 1, 3]], theirs[[0, 1, 3]], atol=1e-5)
    assert not ours[2].any()


def test_cached_rerun_never_loads_the_encoder(tmp_path: Path, data_dir: Path) -> None:
    texts = ["a first answer", "a second answer that is longer", "a first answer"]
    first = encode_cached(WordLlamaEncoder(), texts, EmbeddingCache(tmp_path))
    fresh = WordLlamaEncoder()
    again = encode_cached(fresh, texts, EmbeddingCache(tmp_path))
    assert not fresh.loaded
    assert np.array_equal(first, again) and np.array_equal(first[0], first[2])


def test_names_and_paths(tmp_path: Path) -> None:
    assert get_encoder("wordllama").name == "wordllama"
    assert get_encoder("minilm").identity.startswith("minilm-")  # identity without loading weights
    with pytest.raises(ValueError, match="unknown encoder 'no-such-encoder'"):
        get_encoder("no-such-encoder")
    with pytest.raises(ValueError, match="not a sentence-transformers folder"):
        get_encoder(str(tmp_path))


def test_a_changed_local_folder_changes_the_identity(tmp_path: Path) -> None:
    from arenapref.features.encoders.sentence import SentenceEncoder

    (tmp_path / "modules.json").write_text("[]")
    (tmp_path / "config.json").write_text('{"a": 1}')
    before = SentenceEncoder(tmp_path).identity
    (tmp_path / "config.json").write_text('{"a": 2}')
    assert SentenceEncoder(tmp_path).identity != before
