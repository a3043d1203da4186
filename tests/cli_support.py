"""Run the real `arenapref` entry point in-process, as the CLI tests do."""

from __future__ import annotations

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
