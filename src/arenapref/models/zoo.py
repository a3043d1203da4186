"""Imports every model module so that each registers itself."""

from arenapref.models import (
    baselines,  # noqa: F401
    fast,  # noqa: F401
    finetuned,  # noqa: F401
)
