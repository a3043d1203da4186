"""Shared fixtures: the team's real data folder (../shared/data from the repository root; always present)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """../shared/data: the real preference sets listed in its README."""
    assert DATA_DIR.is_dir(), f"shared data folder missing: {DATA_DIR}"
    return DATA_DIR


@pytest.fixture(scope="session")
def smollm2_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled SmolLM2-135M-Instruct GGUF materialised once per test run as a plain checkpoint folder."""
    from arenapref.weights.gguf import materialise
    from arenapref.weights.locations import bundled_smollm2

    return materialise(bundled_smollm2(), cache=tmp_path_factory.mktemp("arenapref-cache"))
