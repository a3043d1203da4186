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
from arenapref.kaggle.budget import KAGGLE_HOURS
from arenapref.kaggle.errors import KitError
from arenapref.kaggle.modelcopy import copy_model, directory_extra
from arenapref.kaggle.notebook import write_scripts
from arenapref.kaggle.target import Target
from arenapref.models import registry


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
    base_at: str | None = None,
    time_limit_hours: float = KAGGLE_HOURS,
    predict_options: dict[str, str] | None = None,
) -> PackResult:
    """Build the kit for `model_dir` in the (new or empty) folder `kit`. `base_at`: leave a LoRA adapter's base
    out and point the model at this path (where the notebook finds it attached); `time_limit_hours`: the
    notebook stops when its projection for 25,000 rows passes it; `predict_options`: what the notebook passes to
    the model before its weights load (a fine-tuned model's quantization, device_map, predict_max_tokens)."""
    check_kit_folder(model_dir, kit)
    try:
        kit.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KitError(f"{kit}: cannot create the kit folder ({exc.strerror or exc})") from None
    try:
        where = (base_at, time_limit_hours, predict_options or {})
        return _pack(model_dir, kit, target, left_out or set(), own_wheel, pin_local, extra, progress, *where)
    except BaseException:
        shutil.rmtree(kit, ignore_errors=True)  # no half-built kit left behind
        raise


def check_kit_folder(model_dir: Path, kit: Path) -> None:
    """KitError unless `kit` can be a new kit folder: absent or an empty folder, apart from the model directory."""
    if kit.exists() and not kit.is_dir():
        raise KitError(f"{kit}: is a file; choose a new folder for the kit")
    if kit.is_dir() and any(kit.iterdir()):
        raise KitError(f"{kit}: exists and is not empty; choose a new folder")
    model, target = model_dir.resolve(), kit.resolve()
    if target.is_relative_to(model) or model.is_relative_to(target):
        raise KitError(f"{kit}: lies inside the model directory {model_dir} (or holds it); choose another folder")


def _pack(
    model_dir: Path,
    kit: Path,
    target: Target,
    left_out: set[str],
    own_wheel: Path | None,
    pin_local: bool,
    extra: str | None,
    progress: Callable[[str], None],
    base_at: str | None,
    time_limit_hours: float,
    predict_options: dict[str, str],
) -> PackResult:
    progress("copying the model (hashes checked)")
    meta, checked, carried = copy_model(model_dir, kit / "model", base_at)
    pointed, carried = (carried, []) if base_at else ([], carried)
    model_type = str(meta.get("model"))
    _check_predict_options(model_type, meta, predict_options)
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
        "time_limit_hours": time_limit_hours,
        "predict_options": predict_options,
        "model": {
            "type": model_type,
            "recorded_hashes_checked": checked,
            "bytes": _bytes(files, "model/"),
            "carried": [{**c, "to": f"model/{c['to']}"} for c in carried],
            "base_at": pointed,  # left out: the notebook finds them attached at these paths (SHA-256 checked)
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


def _check_predict_options(model_type: str, meta: dict[str, Any], options: dict[str, str]) -> None:
    """KitError unless the model takes these prediction options (checked on its saved state: no weights load)."""
    if not options:
        return
    with_options = getattr(registry.model_class(model_type), "with_load_options", None)
    if with_options is None:
        raise KitError(f"--set: a {model_type} model takes no prediction options")
    try:
        with_options(meta.get("state") or {}, options)
    except ValueError as exc:
        raise KitError(f"--set: {exc}") from None


def _bytes(files: list[dict[str, Any]], prefix: str) -> int:
    return mf.total_bytes([r for r in files if r["path"].startswith(prefix)])


def _check_own_version(own_wheel: Path, meta: dict[str, Any]) -> None:
    """The wheel must be the arenapref the model was saved with (same major.minor), or the model will not load."""
    wheel_version = str(parse_wheel_filename(own_wheel.name)[1])
    saved = str(meta.get("arenapref_version", wheel_version))
    if wheel_version.split(".")[:2] != saved.split(".")[:2]:
        raise KitError(f"{own_wheel.name}: arenapref {wheel_version}, but the model was saved with {saved}")
