"""The kit's wheels: arenapref's own wheel, then every runtime dependency of its extra for the target, via pip.

pip resolves the whole set for the target Python and platform (`pip install --dry-run --report`, which reads
wheel metadata without downloading the wheels), the packages left out on request (and what only they need) are
pruned, and `pip download --no-deps` fetches exactly the rest. By default every version is pinned to the one
installed here, the versions the model was trained and tested with.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from arenapref.kaggle.errors import KitError
from arenapref.kaggle.target import Target

#: The big frameworks Kaggle's image already has; `--from-image` leaves them out.
IMAGE_FRAMEWORKS = ("torch", "transformers")
_SOURCE_PARTS = ("pyproject.toml", "README.md", "src")


@dataclass(frozen=True)
class Package:
    """One resolved distribution."""

    name: str
    version: str
    requires: tuple[str, ...]


def build_own_wheel(out_dir: Path) -> Path:
    """arenapref's wheel, built from the source tree this code runs from (copied, so the tree stays clean)."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "pyproject.toml").is_file():
        raise KitError(f"{root}: no pyproject.toml; pass --wheel with a built arenapref wheel")
    with tempfile.TemporaryDirectory(prefix="arenapref-src-") as tmp:
        for part in _SOURCE_PARTS:
            source = root / part
            if source.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
                shutil.copytree(source, Path(tmp) / part, ignore=ignore)
            elif source.is_file():
                shutil.copy2(source, Path(tmp) / part)
        _pip(["wheel", "--no-deps", "--no-build-isolation", "--quiet", "--wheel-dir", str(out_dir), tmp], "build")
    wheels = sorted(out_dir.glob("arenapref-*.whl"))
    if not wheels:
        raise KitError(f"building arenapref's wheel left nothing in {out_dir}")
    return wheels[-1]


def local_pins() -> list[str]:
    """name==version of every distribution installed here (local labels such as +cpu dropped), arenapref aside."""
    pins = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonicalize_name(name) != "arenapref":
            pins[canonicalize_name(name)] = f"{canonicalize_name(name)}=={dist.version.split('+')[0]}"
    return sorted(pins.values())


def resolve(own_wheel: Path, extra: str | None, target: Target, pins: list[str], work: Path) -> list[Package]:
    """Every distribution `arenapref[extra]` needs on the target, arenapref first (pip's resolver, no download)."""
    constraints = work / "constraints.txt"
    constraints.write_text("\n".join(pins) + "\n")
    report = work / "resolve.json"
    requirement = f"arenapref{f'[{extra}]' if extra else ''} @ {own_wheel.resolve().as_uri()}"
    options = ["--dry-run", "--ignore-installed", "--quiet", "--report", str(report), "-c", str(constraints)]
    _pip(["install", *options, *target.pip_options(), requirement], "resolve")
    return _packages(json.loads(report.read_text()))


def _packages(report: dict[str, Any]) -> list[Package]:
    items = sorted(report["install"], key=lambda item: not item.get("requested", False))
    return [
        Package(
            canonicalize_name(item["metadata"]["name"]),
            item["metadata"]["version"],
            tuple(item["metadata"].get("requires_dist") or ()),
        )
        for item in items
    ]


def prune(
    packages: list[Package], root_extras: set[str], left_out: set[str], target: Target
) -> tuple[list[Package], list[Package]]:
    """(kept, dropped): kept is what the root reaches without passing through a left-out package."""
    by_name = {p.name: p for p in packages}
    left_out = {canonicalize_name(n) for n in left_out}
    env = {"python_version": target.python, "python_full_version": f"{target.python}.0", "sys_platform": "linux"}
    env.update({"platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython"})
    env["platform_python_implementation"] = "CPython"
    env["platform_machine"] = target.machine
    reached: set[str] = set()
    queue = deque([(packages[0].name, frozenset(root_extras))])
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        name, extras = queue.popleft()
        if (name, extras) in seen or name in left_out or name not in by_name:
            continue
        seen.add((name, extras))
        reached.add(name)
        for text in by_name[name].requires:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if req.marker is None or _marker_true(req.marker, env, extras):
                queue.append((canonicalize_name(req.name), frozenset(req.extras)))
    kept = [p for p in packages if p.name in reached]
    dropped = [p for p in packages if p.name not in reached]
    return kept, dropped


def _marker_true(marker: Marker, env: dict[str, str], extras: frozenset[str]) -> bool:
    return any(marker.evaluate({**env, "extra": extra}) for extra in (extras or {""}))


def download(packages: list[Package], target: Target, wheel_dir: Path) -> list[Path]:
    """Fetch exactly these versions' wheels for the target (no dependencies: the set is already complete)."""
    if packages:
        specs = [f"{p.name}=={p.version}" for p in packages]
        _pip(["download", "--no-deps", "--quiet", "--dest", str(wheel_dir), *target.pip_options(), *specs], "download")
    found = {}
    for path in wheel_dir.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(path.name)
        found[(str(name), version)] = path
    missing = [f"{p.name} {p.version}" for p in packages if (p.name, Version(p.version)) not in found]
    if missing:
        raise KitError(f"pip download left out {', '.join(missing)}")
    return [found[(p.name, Version(p.version))] for p in packages]


def _pip(args: list[str], step: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)
    if done.returncode:
        lines = [line for line in done.stderr.splitlines() if line.startswith("ERROR")] or done.stderr.splitlines()
        raise KitError(f"pip {step} failed: {' | '.join(lines[-3:]) or f'exit status {done.returncode}'}")
