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
