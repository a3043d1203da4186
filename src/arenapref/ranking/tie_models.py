"""Names of the rating models' tie models (defined in likelihood.py); light to import, for the CLI's help."""

from __future__ import annotations

TIE_MODELS = ("bt", "davidson", "rao-kupper")
