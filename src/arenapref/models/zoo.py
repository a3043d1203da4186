"""Imports every model module so that each registers itself."""

from arenapref.models import (
    baselines,  # noqa: F401
    embed,  # noqa: F401
    embed_mlp,  # noqa: F401
    ensemble,  # noqa: F401
    fast,  # noqa: F401
)
