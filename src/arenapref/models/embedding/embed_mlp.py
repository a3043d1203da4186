"""`embed-mlp`: a small torch network over sentence embeddings of the prompt and both responses plus a few
standardised size statistics per response (pair_net.py: antisymmetric by construction, soft-label cross
entropy, early stopping on a prompt-grouped held-out part of the training data).

Predictions are the mirror-average of the network on the battle and on its swap, so P_A(x) == P_B(swap x) holds
to the last bit whatever the floating-point order of a batch. Embeddings come through the embedding cache
(features.encoders); torch is imported only to fit or load (the model directory holds safetensors weights).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arenapref import __version__
from arenapref.data.folds import grouped_folds
from arenapref.data.schema import training_rows
from arenapref.data.swap import MIRROR
from arenapref.features.embed_pairs import battle_sides
from arenapref.features.text import side_texts
from arenapref.models.base import ModelDirError, PreferenceModel
from arenapref.models.embedding.pair_net_params import TrainParams
from arenapref.models.model_dir import check_version, require, training_data_hash
from arenapref.models.temperature import softmax

WEIGHTS_FILE = "pair_net.safetensors"
STAT_NAMES = ("log_chars", "log_words", "log_lines", "code_blocks", "list_lines", "headers")
HELD_OUT_FOLDS = 7  # one fold of 7 (about 14 % of prompts) is held out for early stopping


def side_stats(texts: list[str]) -> np.ndarray:
    """(n, len(STAT_NAMES)) size and markdown statistics of each text (log1p counts)."""
    rows = [
        (
            len(t),
            len(t.split()),
            t.count("\n") + 1,
            t.count("```") // 2,
            t.count("\n- ") + t.count("\n* ") + t.count("\n1. "),
            t.count("\n#"),
        )
        for t in texts
    ]
    return np.log1p(np.asarray(rows, dtype=np.float64).reshape(len(texts), len(STAT_NAMES)))


class EmbedMLPModel(PreferenceModel):
    """Antisymmetric MLP over embeddings (default encoder WordLlama; `encoder` takes a name or a local folder)."""

    name = "embed-mlp"
    position_symmetric = True  # predict_proba averages both orders

    def __init__(self, encoder: str = "wordllama", train: dict[str, Any] | None = None) -> None:
        self.encoder = encoder
        self.params = TrainParams(**(train or {}))
        self.net: Any = None
        self.stat_mean = np.zeros(len(STAT_NAMES))
        self.stat_std = np.ones(len(STAT_NAMES))
        self.encoder_identity: str | None = None
        self.training: dict[str, Any] = {}
        self._weights: bytes | None = None

    def _encoder(self) -> Any:
        from arenapref.features.encoders import get_encoder

        return get_encoder(self.encoder)

    def _inputs(self, battles: pd.DataFrame) -> Any:
        from arenapref.models.embedding.pair_net import PairInputs

        sides = battle_sides(battles, self._encoder())
        a = (side_stats(side_texts(battles, "response_a")) - self.stat_mean) / self.stat_std
        b = (side_stats(side_texts(battles, "response_b")) - self.stat_mean) / self.stat_std
        return PairInputs(sides.prompt, sides.a, sides.b, a.astype(np.float32), b.astype(np.float32))

    def fit(self, battles: pd.DataFrame) -> EmbedMLPModel:
        import torch

        from arenapref.features.encoders.base import machine_threads
        from arenapref.models.embedding import pair_net

        torch.set_num_threads(machine_threads())
        battles, y = training_rows(battles)
        y = y / y.sum(axis=1, keepdims=True)
        both = np.vstack([side_stats(side_texts(battles, c)) for c in ("response_a", "response_b")])
        self.stat_mean, self.stat_std = both.mean(axis=0), np.maximum(both.std(axis=0), 1e-6)
        encoder = self._encoder()
        self.encoder = encoder.spec  # resolved (precision included): the saved model encodes the same way
        self.encoder_identity = encoder.identity
        inputs = self._inputs(battles)
        self.net, info = pair_net.train(inputs, y, self._held_out(battles), self.params)
        self._weights = None
        self.training = {"rows": len(battles), "sha256": training_data_hash(battles), **info}
        return self

    def _held_out(self, battles: pd.DataFrame) -> np.ndarray | None:
        """One prompt-grouped fold of the training battles for early stopping (None when too few prompts)."""
        try:
            _, test = next(iter(grouped_folds(battles, HELD_OUT_FOLDS, self.params.seed)))
        except (ValueError, StopIteration):
            return None
        return np.asarray(test)

    def predict_proba(self, battles: pd.DataFrame) -> np.ndarray:
        from arenapref.data.swap import swap
        from arenapref.models.embedding.pair_net import logits

        if self.net is None:
            raise RuntimeError("the embed-mlp model is not fitted")
        battles = battles.reset_index(drop=True)
        if len(battles) == 0:
            return np.zeros((0, 3))
        p = softmax(logits(self.net, self._inputs(battles)))
        ps = softmax(logits(self.net, self._inputs(swap(battles))))
        return (p + ps[:, MIRROR]) * 0.5

    # ---- persistence ----------------------------------------------------------------------------------------
    def _weight_bytes(self) -> bytes:
        """The network's weights as safetensors bytes (made once per fit)."""
        from safetensors.torch import save

        if self._weights is None:
            self._weights = save({k: v.contiguous() for k, v in self.net.state_dict().items()})
        return self._weights

    def save_artifacts(self, directory: Path) -> None:
        if self.net is None:
            raise RuntimeError("cannot save an unfitted model")
        (directory / WEIGHTS_FILE).write_bytes(self._weight_bytes())

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"params": {"encoder": self.encoder, "train": asdict(self.params)}}
        if self.net is None:
            return state
        state.update(
            {
                "arenapref_version": __version__,
                "encoder_identity": self.encoder_identity,
                "weights": {"file": WEIGHTS_FILE, "sha256": hashlib.sha256(self._weight_bytes()).hexdigest()},
                "dim": int(self.net.project.in_features),
                "stat_names": list(STAT_NAMES),
                "stat_mean": self.stat_mean.tolist(),
                "stat_std": self.stat_std.tolist(),
                "training": self.training,
            }
        )
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any], directory: Path) -> EmbedMLPModel:
        from safetensors.torch import load

        from arenapref.models.embedding.pair_net import PairNet

        require(state, ("params", "arenapref_version", "encoder_identity", "dim", "stat_mean", "stat_std"), directory)
        check_version("arenapref", state["arenapref_version"], __version__, directory)
        model = cls(**state["params"])
        identity = model._encoder().identity
        if identity != state["encoder_identity"]:
            raise ModelDirError(
                f"{directory}: trained with encoder {state['encoder_identity']}, this installation has {identity}"
            )
        path = directory / WEIGHTS_FILE
        if not path.is_file():
            raise ModelDirError(f"{directory}: missing file {WEIGHTS_FILE}")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != state.get("weights", {}).get("sha256"):
            raise ModelDirError(f"{path}: contents changed since the model was saved (SHA-256 mismatch)")
        p = model.params
        model.net = PairNet(int(state["dim"]), len(STAT_NAMES), p.hidden, p.dropout, p.project)
        try:
            model.net.load_state_dict(load(data))
        except (RuntimeError, OSError) as exc:
            raise ModelDirError(f"{path}: unusable weights ({exc})") from None
        model.net.eval()
        model._weights = data
        model.encoder_identity = identity
        model.stat_mean, model.stat_std = np.asarray(state["stat_mean"]), np.asarray(state["stat_std"])
        model.training = state.get("training", {})
        return model
