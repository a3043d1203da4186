"""`arenapref kaggle pack`: model/ + wheels/ + submit.ipynb/submit.py + MANIFEST.json, one Kaggle dataset."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import parse_wheel_filename

from arenapref.kaggle import manifest as mf
from arenapref.kaggle import wheels as wh
from arenapref.kaggle.errors import KitError
from arenapref.kaggle.modelcopy import copy_model, directory_extra
from arenapref.kaggle.notebook import write_scripts
from arenapref.kaggle.target import Target


@dataclass
class PackResult:
    kit: Path
    manifest: dict[str, Any]
    left_out: list[wh.Package]

    @property
    def total_bytes(self) -> int:
        return int(self.manifest["total_bytes"])


def pack(
    model_dir: Path,
    kit: Path,
    target: Target,
    left_out: set[str] | None = None,
    own_wheel: Path | None = None,
    pin_local: bool = True,
    extra: str | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> PackResult:
    """Build the kit for `model_dir` in the (new or empty) folder `kit`."""
    if kit.exists() and any(kit.iterdir()):
        raise KitError(f"{kit}: exists and is not empty; choose a new folder")
    kit.mkdir(parents=True, exist_ok=True)
    try:
        return _pack(model_dir, kit, target, left_out or set(), own_wheel, pin_local, extra, progress)
    except BaseException:
        shutil.rmtree(kit, ignore_errors=True)  # no half-built kit left behind
        raise


def _pack(
    model_dir: Path,
    kit: Path,
    target: Target,
    left_out: set[str],
    own_wheel: Path | None,
    pin_local: bool,
    extra: str | None,
    progress: Callable[[str], None],
) -> PackResult:
    progress("copying the model (hashes checked)")
    meta, checked, carried = copy_model(model_dir, kit / "model")
    model_type = str(meta.get("model"))
    extra = extra if extra is not None else directory_extra(model_dir)
    wheel_dir = kit / "wheels"
    wheel_dir.mkdir()
    with tempfile.TemporaryDirectory(prefix="arenapref-kit-") as tmp:
        work = Path(tmp)
        if own_wheel is None:
            progress("building arenapref's wheel")
            own_wheel = wh.build_own_wheel(work)
        _check_own_version(own_wheel, meta)
        shutil.copy2(own_wheel, wheel_dir / own_wheel.name)
        progress(f"resolving arenapref{f'[{extra}]' if extra else ''} for CPython {target.python}")
        try:
            packages = wh.resolve(own_wheel, extra, target, wh.local_pins() if pin_local else [], work)
        except KitError as exc:
            if pin_local and not target.matches_interpreter():
                raise KitError(f"{exc} (versions pinned to this Python's; try --no-pin-local)") from None
            raise
    kept, dropped = wh.prune(packages, {extra} if extra else set(), left_out, target)
    progress(f"downloading {len(kept) - 1} wheels")
    wh.download(kept[1:], target, wheel_dir)
    write_scripts(kit)
    files = [r for folder in ("wheels", "model") for r in mf.file_records(kit, folder)]
    files += [r for r in mf.file_records(kit, ".") if r["path"] in ("submit.ipynb", "submit.py")]
    version = str(parse_wheel_filename(own_wheel.name)[1])
    manifest = {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "arenapref_version": version,
        "install": f"arenapref{f'[{extra}]' if extra else ''}=={version}",
        "extra": extra,
        "model": {
            "type": model_type,
            "recorded_hashes_checked": checked,
            "bytes": _bytes(files, "model/"),
            "carried": [{**c, "to": f"model/{c['to']}"} for c in carried],
        },
        "target": {"python": target.python, "abi": target.abi, "platforms": list(target.platforms)},
        "packages": [{"name": p.name, "version": p.version} for p in kept],
        "left_out": [{"name": p.name, "version": p.version} for p in dropped],
        "wheels_bytes": _bytes(files, "wheels/"),
        "total_bytes": mf.total_bytes(files),
        "files": files,
    }
    mf.write_manifest(kit, manifest)
    return PackResult(kit, manifest, dropped)


def _bytes(files: list[dict[str, Any]], prefix: str) -> int:
    return mf.total_bytes([r for r in files if r["path"].startswith(prefix)])


def _check_own_version(own_wheel: Path, meta: dict[str, Any]) -> None:
    """The wheel must be the arenapref the model was saved with (same major.minor), or the model will not load."""
    wheel_version = str(parse_wheel_filename(own_wheel.name)[1])
    saved = str(meta.get("arenapref_version", wheel_version))
    if wheel_version.split(".")[:2] != saved.split(".")[:2]:
        raise KitError(f"{own_wheel.name}: arenapref {wheel_version}, but the model was saved with {saved}")
