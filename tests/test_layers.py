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


def lint_a_copy_with(tmp_path: Path, imports: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """lint-imports on a copy of the package in which each module (path under arenapref/) gains an import."""
    copy = tmp_path / "src" / "arenapref"
    shutil.copytree(ROOT / "src" / "arenapref", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for module, imported in imports.items():
        with (copy / module).open("a") as handle:
            handle.write(f"\nimport {imported}  # noqa\n")
    return lint_imports(tmp_path / "src")


def test_an_upward_import_and_a_cycle_break_the_contracts(tmp_path: Path) -> None:
    # models -> evaluation: upward, and a cycle
    result = lint_a_copy_with(tmp_path, {"models/base.py": "arenapref.evaluation.metrics"})
    assert result.returncode == 1, result.stdout[-3000:]
    assert "Layers: each package imports only the ones below it BROKEN" in result.stdout
    assert "models import nothing above them BROKEN" in result.stdout
    assert "No import cycle between sibling modules or packages, at any depth BROKEN" in result.stdout
    assert "arenapref.models.base -> arenapref.evaluation.metrics" in result.stdout


def test_the_core_importing_reward_and_arenapref_importing_a_stack_break_the_contracts(tmp_path: Path) -> None:
    # the core reaching up to reward/, and an adapter importing its host (not installed)
    result = lint_a_copy_with(
        tmp_path, {"evaluation/metrics.py": "arenapref.reward.rank", "integrations/verl.py": "verl"}
    )
    assert result.returncode == 1, result.stdout[-3000:]
    assert "The core imports neither reward nor integrations BROKEN" in result.stdout
    assert "arenapref.evaluation.metrics -> arenapref.reward.rank" in result.stdout
    assert "No arenapref module imports an RLHF stack (trl, verl, openrlhf) BROKEN" in result.stdout
    assert "arenapref.integrations.verl -> verl" in result.stdout
