"""Run the real `arenapref` entry point in-process, as the CLI tests do."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pytest

from arenapref.cli import main


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    """(exit code, stdout + stderr) of `arenapref ARGS`."""
    monkeypatch.setattr(sys, "argv", ["arenapref", *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        main()
        raise SystemExit(0)
    out = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out.out + out.err


def run_cli(*args: str | Path) -> tuple[int, str]:
    """The same without pytest's fixtures (usable from module-scoped fixtures): (exit code, stdout + stderr)."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        patch.setattr(sys, "argv", ["arenapref", *map(str, args)])
        patch.setenv("COLUMNS", "200")
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
    return code, out.getvalue()
