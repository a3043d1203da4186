"""The layer rules of DESIGN.md, as import-linter contracts in pyproject.toml: kept by the package, and broken by
an upward import (so the check can fail)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(source_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=source_root,
        timeout=300,
    )


def test_the_package_keeps_every_layer_contract() -> None:
    result = lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_an_upward_import_and_a_cycle_break_the_contracts(tmp_path: Path) -> None:
    copy = tmp_path / "src" / "arenapref"
    shutil.copytree(ROOT / "src" / "arenapref", copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "models" / "base.py").open("a") as handle:  # models -> evaluation: upward, and a cycle
        handle.write("\nimport arenapref.evaluation.metrics  # noqa\n")
    result = lint_imports(tmp_path / "src")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "Layers: each package imports only the ones below it BROKEN" in result.stdout
    assert "models import nothing above them BROKEN" in result.stdout
    assert "No import cycle between sibling modules or packages, at any depth BROKEN" in result.stdout
    assert "arenapref.models.base -> arenapref.evaluation.metrics" in result.stdout
