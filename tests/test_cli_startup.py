"""The command line starts light: `import arenapref.cli` loads no heavy library; --version and its -v form."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from arenapref import __version__
from arenapref.cli.version_cmd import LIBRARIES
from cli_support import run

#: Libraries `arenapref --help` must not import (each costs tens to hundreds of milliseconds).
HEAVY = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "sklearn",
    "lightgbm",
    "matplotlib",
    "torch",
    "transformers",
    "sentence_transformers",
    "fastapi",
    "pydantic",
    "uvicorn",
    "orjson",
    "joblib",
)


def _modules_after(code: str) -> set[str]:
    """Top-level package names in sys.modules after running `code` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = _modules_after("import arenapref.cli")
    assert {"typer", "arenapref"} <= loaded  # the probe does see what was imported
    assert sorted(loaded & set(HEAVY)) == []


#: typer converts option values with pydantic as soon as it processes the root's options (before a subcommand
#: or for --version); only `arenapref --help` stops before that.
TYPER_OWN = {"pydantic"}


def test_root_help_loads_no_heavy_library() -> None:
    code = "from arenapref.cli import app; app(['--help'], standalone_mode=False)"
    assert sorted(_modules_after(code) & set(HEAVY)) == []


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "--help"],
        ["serve", "--help"],
        ["rank", "--help"],
        ["data", "inspect", "--help"],
        ["--version", "-v"],
    ],
)
def test_subcommand_help_and_version_load_no_heavy_library_but_typers_own(args: list[str]) -> None:
    code = f"from arenapref.cli import app; app({args!r}, standalone_mode=False)"
    assert sorted(_modules_after(code) & set(HEAVY) - TYPER_OWN) == []


def test_the_probe_would_see_a_heavy_import() -> None:
    """The same check fails as soon as a command module imports a heavy layer at import time."""
    assert {"pandas", "numpy"} <= _modules_after("import arenapref.cli, arenapref.data.io") & set(HEAVY)


def test_version(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(monkeypatch, capsys, "--version")
    assert code == 0 and out.strip() == f"arenapref {__version__}"


@pytest.mark.parametrize("order", [("--version", "-v"), ("-v", "--version"), ("--verbose", "--version")])
def test_verbose_version_lists_the_model_libraries(
    order: tuple[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib.metadata import version

    code, out = run(monkeypatch, capsys, *order)
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"arenapref {__version__}" and lines[1].startswith("python ")
    listed = dict(line.split() for line in lines[2:])
    assert list(listed) == list(LIBRARIES)
    assert listed["lightgbm"] == version("lightgbm") and listed["pandas"] == version("pandas")


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "arenapref", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"arenapref {__version__}"


def test_verbose_alone_shows_the_help(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(monkeypatch, capsys, "-v")
    assert code == 0 and "Commands" in out and "explain" in out


def test_the_fast_model_path_loads_no_neural_library() -> None:
    """Every registered model module is imported by the registry: the neural ones import torch inside."""
    loaded = _modules_after("from arenapref.models import registry; registry.create('fast'); registry.MODELS")
    assert "lightgbm" in loaded  # the probe sees the fast model's own imports
    assert sorted(loaded & {"torch", "transformers", "sentence_transformers", "peft", "accelerate"}) == []
