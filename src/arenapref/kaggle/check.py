"""`arenapref kaggle check`: the kit installed into a fresh venv and its notebook run, with the network off.

Steps: the manifest's hashes; a fresh venv (no system site-packages) from this Python; then, inside a network
namespace with no interface up (`unshare -n`): the kernel (ipykernel, standing in for Kaggle's Jupyter) from its
own wheelhouse, any packages the kit leaves to Kaggle's image from `image_wheels`, a dry run proving that the kit's
wheels alone resolve the whole install (installed packages ignored), and the notebook, whose first cell installs
the kit with `--no-index`, with every cache pointed at an empty folder. Last, the submission is validated against
the test file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from arenapref.data.errors import DataError, one_line
from arenapref.data.io import read_battles
from arenapref.kaggle.errors import KitError
from arenapref.kaggle.manifest import verify_kit
from arenapref.kaggle.offline import PROBE_MARK
from arenapref.kaggle.validate import validate_submission

KERNEL_PACKAGE = "ipykernel"
TIMING_MARK = "timing: "
STEPS = {
    "venv": "creating a fresh venv",
    "kernel": "installing the kernel (offline)",
    "image": "installing the packages left to Kaggle's image (offline)",
    "resolve": "resolving the kit's install from its wheels alone (offline)",
    "notebook": "running submit.ipynb (offline)",
}


@dataclass
class CheckResult:
    submission: Path
    validation: dict[str, Any]
    probe: dict[str, Any]
    timing: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def default_kernel_wheels() -> Path:
    return Path.home() / ".cache" / "arenapref" / f"kernel-wheels-py{sys.version_info.major}{sys.version_info.minor}"


def ensure_kernel_wheels(folder: Path) -> Path:
    """Wheels of ipykernel and its dependencies for this Python (pip download once, from PyPI; then reused)."""
    if any(folder.glob(f"{KERNEL_PACKAGE}-*.whl")):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(folder)]
    done = subprocess.run([*command, KERNEL_PACKAGE], capture_output=True, text=True)
    if done.returncode:
        raise KitError(f"could not download {KERNEL_PACKAGE} into {folder}: {done.stderr.strip()[-300:]}")
    return folder


def download_image_wheels(manifest: dict[str, Any], folder: Path) -> Path:
    """Wheels, for this machine, of the packages a kit leaves to Kaggle's image (MANIFEST.json's `left_out`), to
    stand for that image in `check_kit(image_wheels=...)`: pip download with this environment's own pip settings
    (its find-links, PyPI or pip's cache). KitError when pip cannot get them."""
    specs = [f"{p['name']}=={p['version']}" for p in manifest["left_out"]]
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d"]
    done = subprocess.run([*command, str(folder), *specs], capture_output=True, text=True)
    if done.returncode:
        raise KitError(f"could not download the image's wheels into {folder}: {done.stderr.strip()[-300:]}")
    return folder


def check_test_file(test: Path) -> None:
    """KitError unless the notebook can read `test` as it will on Kaggle: a CSV with an id column whose battles
    arenapref's reader reads in Kaggle's format (before any venv or notebook work, so a bad file fails at once)."""
    if not test.is_file():
        raise KitError(f"{test}: no such test file" if not test.exists() else f"{test}: not a regular file")
    try:
        read_battles(test, "kaggle")
        pd.read_csv(test, usecols=["id"], dtype=str, nrows=1)
    except DataError as exc:
        raise KitError(f"test file {exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' ParserError is a ValueError
        raise KitError(f"{test}: not a Kaggle test CSV with an id column ({exc})") from None


def offline_prefix() -> list[str]:
    """The command prefix that runs a program in a new network namespace (as root, else as a mapped root user)."""
    if shutil.which("unshare") is None:
        raise KitError("`unshare` (util-linux) is needed to switch the network off for the check")
    for prefix in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    raise KitError("cannot create a network namespace here (`unshare -n` refused); run the check as root")


def clean_env() -> dict[str, str]:
    """This environment without pip's settings (no config files: no extra index, no find-links) or PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k != "PYTHONPATH"}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def empty_caches(folder: Path) -> dict[str, str]:
    """Variables pointing every cache the notebook could use (embeddings, materialised checkpoints, Hugging Face)
    at a new folder: as on Kaggle, the kit must hold all the model needs, not this machine's caches."""
    arenapref = folder / "arenapref"
    return {
        "XDG_CACHE_HOME": str(folder),
        "HF_HOME": str(folder / "huggingface"),
        "ARENAPREF_CACHE": str(arenapref),
        "ARENAPREF_EMBED_CACHE": str(arenapref / "embeddings"),
    }


def check_kit(
    kit: Path,
    test: Path,
    work: Path | None = None,
    kernel_wheels: Path | None = None,
    image_wheels: Path | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> CheckResult:
    """Install and run the kit offline in a fresh venv under `work` (a temporary folder when None); validate."""
    kit, test = kit.resolve(), test.resolve()
    progress("reading the test file")
    check_test_file(test)
    if work is not None and work.exists() and not work.is_dir():
        raise KitError(f"{work}: is a file; --work takes a folder")
    progress("checking the manifest's hashes")
    manifest = verify_kit(kit)
    python = manifest["target"]["python"]
    if f"{sys.version_info.major}.{sys.version_info.minor}" != python:
        raise KitError(f"{kit}: built for Python {python}; run the check with a Python {python} interpreter")
    left_out = [f"{p['name']}=={p['version']}" for p in manifest.get("left_out", [])]
    if left_out and image_wheels is None:
        raise KitError(
            f"{kit}: leaves {', '.join(left_out)} to Kaggle's image; pass --image-wheels DIR holding their wheels "
            f"(e.g. pip download --no-deps -d DIR {' '.join(left_out)})"
        )
    kernel_wheels = ensure_kernel_wheels(kernel_wheels or default_kernel_wheels())
    offline = offline_prefix()
    with tempfile.TemporaryDirectory(prefix="arenapref-check-") as tmp:
        root = Path(work or tmp).resolve()
        root.mkdir(parents=True, exist_ok=True)
        return _run(kit, test, root, manifest, offline, kernel_wheels, image_wheels, left_out, progress)


def _run(
    kit: Path,
    test: Path,
    root: Path,
    manifest: dict[str, Any],
    offline: list[str],
    kernel_wheels: Path,
    image_wheels: Path | None,
    left_out: list[str],
    progress: Callable[[str], None],
) -> CheckResult:
    seconds: dict[str, float] = {}
    env = clean_env()
    venv = root / "venv"
    _step(seconds, "venv", progress, [sys.executable, "-m", "venv", "--clear", str(venv)], env)
    py = str(venv / "bin" / "python")
    pip = [*offline, py, "-m", "pip", "install", "--quiet", "--no-index"]
    _step(seconds, "kernel", progress, [*pip, "--find-links", str(kernel_wheels), "ipykernel"], env)
    kit_links = ["--find-links", str(kit / "wheels")]
    if image_wheels is not None:
        kit_links += ["--find-links", str(image_wheels)]
        if left_out:
            _step(seconds, "image", progress, [*pip, *kit_links, *left_out], env)
    dry = [*pip, "--dry-run", "--ignore-installed", *kit_links, manifest["install"]]
    _step(seconds, "resolve", progress, dry, env)
    output, executed, workdir = root / "submission.csv", root / "executed.ipynb", root / "working"
    workdir.mkdir(exist_ok=True)
    output.unlink(missing_ok=True)  # a submission left by an earlier check must not pass for this one's
    env.update({"ARENAPREF_KIT": str(kit), "ARENAPREF_TEST": str(test), "ARENAPREF_OUTPUT": str(output)})
    env.update(empty_caches(root / "cache"))
    if "PYTHONPATH" in os.environ:  # for the runner only: it drops it before the kernel starts
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    runner = [sys.executable, "-m", "arenapref.kaggle.offline", str(kit / "submit.ipynb"), str(executed)]
    runner += ["--kernel-python", py, "--workdir", str(workdir)]
    stdout = _step(seconds, "notebook", progress, [*offline, *runner], env)
    probe = json.loads(_marked(stdout, PROBE_MARK, "the probe"))
    timing = json.loads(_marked(_notebook_text(executed), TIMING_MARK, "the notebook's timing"))
    if probe["pypi_reachable"] or set(probe["interfaces"]) - {"lo"}:
        raise KitError(f"the network was not off during the run: {probe}")
    if not Path(probe["arenapref"]).resolve().is_relative_to(venv.resolve()):
        raise KitError(f"the notebook imported arenapref from {probe['arenapref']}, not from the kit's venv")
    progress("validating the submission")
    validation = validate_submission(output, test)
    kept = root / "result"
    kept.mkdir(exist_ok=True)
    shutil.copy2(output, kept / output.name)
    shutil.copy2(executed, kept / executed.name)
    report = {"validation": validation, "probe": probe, "timing": timing, "seconds": seconds}
    (kept / "check.json").write_text(json.dumps(report, indent=2) + "\n")
    return CheckResult(kept / output.name, validation, probe, timing, seconds)


def _step(
    seconds: dict[str, float], name: str, progress: Callable[[str], None], cmd: list[str], env: dict[str, str]
) -> str:
    """Run one step's command; its seconds recorded, its failure one KitError line (the last lines of stderr)."""
    progress(STEPS[name])
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds[name] = round(time.perf_counter() - started, 2)
    if done.returncode:
        lines = [line for line in map(one_line, done.stderr.splitlines()) if line]
        raise KitError(f"check step {name!r} failed: {' | '.join(lines[-3:]) or f'exit status {done.returncode}'}")
    return done.stdout


def _notebook_text(executed: Path) -> str:
    cells = json.loads(executed.read_text())["cells"]
    return "".join(
        "".join(out.get("text", "")) for cell in cells for out in cell.get("outputs", []) if out.get("name") == "stdout"
    )


def _marked(text: str, mark: str, what: str) -> str:
    for line in text.splitlines():
        if line.startswith(mark):
            return line[len(mark) :]
    raise KitError(f"{what} printed nothing")
