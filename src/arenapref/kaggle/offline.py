"""The headless notebook run, started by `kaggle check` inside a network namespace with no interface up.

    python -m arenapref.kaggle.offline NOTEBOOK EXECUTED --kernel-python VENV/bin/python --workdir DIR

The kernel is the fresh venv's Python, talking to nbclient over Unix sockets (the ipc transport), so the run
needs no network at all, not even loopback. A last cell, added to the executed copy only, probes the network from
inside the kernel: pip tries PyPI (the only host probed) and the interfaces are listed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

KERNEL_NAME = "arenapref-kit"
PROBE_MARK = "arenapref-check-probe: "
PROBE = f"""import json, socket, subprocess, sys, tempfile
import arenapref
with tempfile.TemporaryDirectory() as tmp:
    pip = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--retries", "0",
                          "--timeout", "5", "--index-url", "https://pypi.org/simple", "--dest", tmp, "six"],
                         capture_output=True, text=True)
print({PROBE_MARK!r} + json.dumps({{
    "interfaces": [name for _, name in socket.if_nameindex()],
    "pypi_reachable": pip.returncode == 0,
    "python": sys.executable,
    "prefix": sys.prefix,
    "arenapref": arenapref.__file__,
}}))"""


def pypi_reachable(python: str) -> bool:
    """Whether `python -m pip` can download from PyPI here (the probe's positive control, run outside the check)."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [python, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--retries", "0", "--timeout", "5"]
        command += ["--index-url", "https://pypi.org/simple", "--dest", tmp, "six"]
        env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
        return subprocess.run(command, capture_output=True, env=env).returncode == 0


def run(notebook: Path, executed: Path, kernel_python: str, workdir: Path, timeout: int) -> dict[str, Any]:
    """Execute the notebook (plus the probe cell) with the given kernel; write the executed copy; the probe."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE, metadata={"tags": ["arenapref-check"]}))
    with tempfile.TemporaryDirectory(prefix="arenapref-kernel-") as tmp:
        spec = Path(tmp) / "kernels" / KERNEL_NAME
        spec.mkdir(parents=True)
        argv = [kernel_python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "kit", "language": "python"}))
        specs = KernelSpecManager(kernel_dirs=[str(spec.parent)], ensure_native_kernel=False)
        km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs, transport="ipc", ip=f"{tmp}/kernel")
        client = NotebookClient(nb, km=km, timeout=timeout, resources={"metadata": {"path": str(workdir)}})
        try:
            client.execute()
        finally:
            nbformat.write(nb, executed)
    for line in _outputs(nb.cells[-1]).splitlines():
        if line.startswith(PROBE_MARK):
            probe: dict[str, Any] = json.loads(line[len(PROBE_MARK) :])
            return probe
    raise RuntimeError("the probe cell printed nothing")


def _outputs(cell: Any) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("executed", type=Path)
    parser.add_argument("--kernel-python", required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--timeout", type=int, default=6 * 3600)
    args = parser.parse_args()
    args.kernel_python = os.path.abspath(args.kernel_python)  # the kernel starts in --workdir (no symlinks resolved)
    import nbclient  # noqa: F401  (imported before PYTHONPATH goes, so the kernel sees only its own venv)

    os.environ.pop("PYTHONPATH", None)
    try:
        probe = run(args.notebook, args.executed, args.kernel_python, args.workdir, args.timeout)
    except Exception as exc:  # the cell's error, reported by the parent as one line
        last = (str(exc).strip().splitlines() or [""])[-1]
        print(f"notebook failed: {type(exc).__name__}: {last}", file=sys.stderr, flush=True)
        os._exit(1)  # a kernel that failed to start can leave a thread that would keep this process alive
    print(PROBE_MARK + json.dumps(probe), flush=True)


if __name__ == "__main__":
    main()
