"""The error a model directory raises; kept free of heavy imports, so the command line can catch it cheaply."""

from __future__ import annotations


class ModelDirError(Exception):
    """A model directory that fails its checks (missing files, version or hash mismatch)."""
