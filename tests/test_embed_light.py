"""The core stays light: registering every model (and the fast model's and embed's prediction path up to the
encoder) imports no torch; the heavy models are left out of the default benchmark list."""

from __future__ import annotations

import os
import subprocess
import sys

from arenapref.models import registry

SCRIPT = """
import sys
from arenapref.models import registry
for name in ("fast", "embed", "embed-mlp", "ensemble", "embed-minilm"):
    registry.create(name)
import arenapref.cli
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers", "wordllama") if m in sys.modules)
print(",".join(heavy) or "none")
"""


def test_registering_every_model_imports_no_torch() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "none"


def test_heavy_models_are_registered_but_not_benchmarked_by_default() -> None:
    defaults = registry.default_models()
    assert {"fast", "embed", "embed-mlp"} <= set(defaults)
    for name in ("embed-minilm", "ensemble"):
        assert name in registry.MODELS and name not in defaults
