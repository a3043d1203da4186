"""Fold averaging: K models trained on K folds become one (the 1st-place trick of the LMSYS competition).

Two layouts are read:
- an arenapref fine-tuned model directory (model.json; LoRA in adapter/ as a peft adapter; head.safetensors;
  tokenizer/), as models/finetuned/adapters.py writes it;
- a plain peft adapter folder (adapter_config.json + adapter_model.safetensors);
- a fully fine-tuned model directory (backbone/model.safetensors): its weights and head are averaged element-wise
  (a model soup; for full weights both methods give this same mean).

Two methods:
- "adapters": the element-wise mean of every saved tensor (LoRA A, LoRA B, the head, modules_to_save). Cheap,
  stays an adapter; note that mean(B) @ mean(A) is not the mean of the folds' B @ A.
- "deltas": the mean of the merged weight deltas, W + mean_k(B_k A_k * scale), written as full weights beside the
  mean head. Exactly the average of the merged fold models (linear layers), at the cost of a full checkpoint.
Fold directories must share the adapter settings (rank, alpha, targets) and, for model directories, the base
checkpoint (path and SHA-256); otherwise ModelDirError names the directory and the difference.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from arenapref.data.atomic import replacing_folder
from arenapref.models.base import META_FILE, ModelDirError
from arenapref.models.manifest import checked_manifest
from arenapref.models.model_dir import FILES_KEY, record_files
from arenapref.weights.hashes import checkpoint_hash

Method = Literal["adapters", "deltas"]
ADAPTER_DIR = "adapter"  # the layout of models/finetuned/adapters.py
BACKBONE_DIR = "backbone"
HEAD_FILE = "head.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
PEFT_PREFIX = "base_model.model."
_CONFIG_KEYS_IGNORED = {"revision", "inference_mode"}


@dataclass
class Fold:
    """One fold's files: its adapter folder (or, for a fully fine-tuned model, its backbone/ folder) and, for a
    model directory, its metadata and head."""

    directory: Path
    adapter: Path
    meta: dict[str, Any] | None = None
    head: Path | None = None
    full: bool = False

    @property
    def config_file(self) -> Path:
        return self.adapter / ("config.json" if self.full else ADAPTER_CONFIG)

    @property
    def weights_file(self) -> Path:
        return self.adapter / ("model.safetensors" if self.full else ADAPTER_WEIGHTS)

    @property
    def config(self) -> dict[str, Any]:
        return dict(json.loads(self.config_file.read_text()))


@dataclass
class AverageReport:
    method: str
    folds: list[str]
    tensors: int
    parameters: int
    merged_modules: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        what = f"{self.tensors} tensors ({self.parameters:,} values)"
        if self.merged_modules:
            what += f", {self.merged_modules} LoRA deltas merged into full weights"
        return f"averaged {len(self.folds)} folds by {self.method}: {what}" + "".join(f"; {n}" for n in self.notes)


def read_fold(directory: str | Path) -> Fold:
    """The fold's layout, its recorded files checked; ModelDirError when it is neither a fine-tuned model directory
    nor a peft adapter, or a recorded file is missing or changed."""
    directory = Path(directory)
    if (directory / META_FILE).is_file():
        meta = checked_manifest(directory).model_dump()
        weights = meta["state"].get("weights")
        kind = weights.get("weights") if isinstance(weights, dict) else None
        if kind not in ("adapter", "full"):
            raise ModelDirError(f"{directory}: holds no fine-tuned weights to average (weights: {kind})")
        full = kind == "full"
        folder = directory / (BACKBONE_DIR if full else ADAPTER_DIR)
        fold = Fold(directory, folder, meta, directory / HEAD_FILE, full)
        if not fold.head or not fold.head.is_file():
            raise ModelDirError(f"{directory}: missing {HEAD_FILE}")
    else:
        fold = Fold(directory, directory)
    for path in (fold.config_file, fold.weights_file):
        if not path.is_file():
            raise ModelDirError(
                f"{fold.adapter}: missing {path.name} (not a peft adapter or fine-tuned model directory)"
            )
    return fold


def mean_tensors(files: list[Path]) -> dict[str, Any]:
    """Element-wise mean of same-named tensors (in float64, cast back to each tensor's dtype)."""
    from safetensors.torch import load_file

    first = load_file(str(files[0]))
    total = {k: v.double() for k, v in first.items()}
    for path in files[1:]:
        tensors = load_file(str(path))
        if set(tensors) != set(total):
            diff = sorted(set(tensors) ^ set(total))[0]
            raise ModelDirError(f"{path}: tensor {diff!r} is not in every fold")
        for key, value in tensors.items():
            if value.shape != total[key].shape:
                raise ModelDirError(
                    f"{path}: tensor {key!r} has shape {tuple(value.shape)}, not {tuple(total[key].shape)}"
                )
            total[key] += value.double()
    return {k: (v / len(files)).to(first[k].dtype).contiguous() for k, v in total.items()}


def average_folds(
    directories: list[str | Path], out: str | Path, method: Method = "adapters", base: str | Path | None = None
) -> AverageReport:
    """Average the fold adapters of `directories` into `out` (a directory of the same kind, or for "deltas" full
    weights: a model directory with backbone/, or for peft folders a checkpoint folder). `base`: the base
    checkpoint folder for "deltas" on peft folders (model directories record theirs)."""
    if len(directories) < 2:
        raise ValueError("averaging needs at least two fold directories")
    folds = [read_fold(d) for d in directories]
    _check_compatible(folds)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: is a file, not a folder")
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: exists and is not empty")
    with replacing_folder(out) as work:  # written whole, then renamed into place
        report = _write_average(folds, work, method, base)
    return report


def _write_average(folds: list[Fold], out: Path, method: Method, base: str | Path | None) -> AverageReport:
    """The averaged model written into the new folder `out` (average_folds)."""
    from safetensors.torch import save_file

    adapter = mean_tensors([f.weights_file for f in folds])
    head = mean_tensors([f.head for f in folds if f.head is not None]) if folds[0].head else None
    values = sum(v.numel() for v in adapter.values()) + sum(v.numel() for v in (head or {}).values())
    report = AverageReport(method, [str(f.directory) for f in folds], len(adapter) + len(head or {}), values)
    first = folds[0]
    if first.full:  # fully fine-tuned folds: the mean of the weights is also base + the mean of the deltas
        report.notes.append("full weights: element-wise mean of every weight (a model soup)")
    if method == "adapters" or first.full:
        shutil.copytree(first.directory, out, dirs_exist_ok=True)
        save_file(adapter, str(out / first.weights_file.relative_to(first.directory)), metadata={"format": "pt"})
    elif method == "deltas":
        base_dir = _base_checkpoint(first, base)
        merged, report.merged_modules = merged_weights(folds, base_dir)
        target = out / BACKBONE_DIR if first.meta else out
        target.mkdir(parents=True, exist_ok=True)
        _copy_checkpoint_files(base_dir, target)
        save_file(merged, str(target / "model.safetensors"), metadata={"format": "pt"})
        if first.meta:
            for item in first.directory.iterdir():
                if item.name not in (ADAPTER_DIR, HEAD_FILE, META_FILE):
                    (shutil.copytree if item.is_dir() else shutil.copy2)(item, out / item.name)
    else:
        raise ValueError(f"unknown method {method!r}; use 'adapters' or 'deltas'")
    if head is not None:
        save_file(head, str(out / HEAD_FILE), metadata={"format": "pt"})
    if first.meta:
        _write_meta(first.meta, out, report, method)
    return report


def lora_scale(config: dict[str, Any]) -> float:
    """peft's scaling of B @ A: alpha / r (alpha / sqrt(r) with rsLoRA)."""
    r, alpha = float(config["r"]), float(config["lora_alpha"])
    return alpha / r**0.5 if config.get("use_rslora") else alpha / r


def fold_deltas(fold: Fold) -> dict[str, Any]:
    """{module path (without peft's prefix): B @ A * scale} for every LoRA module of the fold."""
    from safetensors.torch import load_file

    config = fold.config
    for unsupported in ("use_dora", "fan_in_fan_out"):
        if config.get(unsupported):
            raise ModelDirError(f"{fold.adapter}: delta averaging does not support {unsupported}")
    if config.get("rank_pattern") or config.get("alpha_pattern"):
        raise ModelDirError(f"{fold.adapter}: delta averaging does not support per-module ranks (rank_pattern)")
    scale = lora_scale(config)
    tensors = load_file(str(fold.adapter / ADAPTER_WEIGHTS))
    deltas = {}
    for key, a in tensors.items():
        if not key.endswith(".lora_A.weight"):
            continue
        module = key[: -len(".lora_A.weight")].removeprefix(PEFT_PREFIX)
        b = tensors[key.replace(".lora_A.", ".lora_B.")]
        deltas[module] = (b.double() @ a.double()) * scale
    return deltas


def merged_weights(folds: list[Fold], base_dir: Path) -> tuple[dict[str, Any], int]:
    """The base checkpoint's tensors with the mean LoRA delta added to each adapted weight; also the number of
    adapted weights. Saved non-LoRA tensors (modules_to_save) replace their base tensors, averaged."""
    per_fold = [fold_deltas(f) for f in folds]
    weights = read_checkpoint(base_dir)
    for module in per_fold[0]:
        key = _base_key(weights, f"{module}.weight", base_dir)
        mean = sum(d[module] for d in per_fold) / len(per_fold)
        weights[key] = (weights[key].double() + mean).to(weights[key].dtype).contiguous()
    others = {k: v for k, v in mean_tensors([f.weights_file for f in folds]).items() if ".lora_" not in k}
    for key, value in others.items():
        weights[_base_key(weights, key.removeprefix(PEFT_PREFIX), base_dir)] = value
    return weights, len(per_fold[0])


def read_checkpoint(folder: Path) -> dict[str, Any]:
    """Every tensor of a checkpoint folder (model.safetensors, or the shards its index names)."""
    from safetensors.torch import load_file

    index = folder / "model.safetensors.index.json"
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return {k: v for shard in shards for k, v in load_file(str(folder / shard)).items()}
    single = folder / "model.safetensors"
    if not single.is_file():
        raise ModelDirError(f"{folder}: no model.safetensors (delta averaging reads safetensors checkpoints)")
    return dict(load_file(str(single)))


def _base_key(weights: dict[str, Any], name: str, folder: Path) -> str:
    """The checkpoint key of tensor `name` of the adapted body: the same path, possibly under a prefix (a causal
    LM checkpoint holds the body under `model.`)."""
    found = [k for k in weights if k == name or k.endswith("." + name)]
    if len(found) != 1:
        raise ModelDirError(f"{folder}: {len(found)} tensors match the adapted {name!r} (need exactly 1)")
    return found[0]


def _base_checkpoint(fold: Fold, base: str | Path | None) -> Path:
    if base is None and fold.meta is not None:
        base = fold.meta["state"]["weights"].get("base")
    if base is None:
        base = fold.config.get("base_model_name_or_path")
    if base is None or not (Path(base) / "config.json").is_file():
        raise ModelDirError(f"{fold.directory}: base checkpoint {base} not found (delta averaging needs it; --base)")
    recorded = fold.meta["state"]["weights"].get("base_sha256") if fold.meta is not None else None
    if recorded is not None and checkpoint_hash(Path(base)) != recorded:
        raise ModelDirError(f"{fold.directory}: base checkpoint {base} changed since training (SHA-256 mismatch)")
    return Path(base)


def _check_compatible(folds: list[Fold]) -> None:
    reference = {k: v for k, v in folds[0].config.items() if k not in _CONFIG_KEYS_IGNORED}
    for fold in folds[1:]:
        if (fold.meta is None) != (folds[0].meta is None):
            raise ModelDirError(f"{fold.directory}: mixes a model directory and a bare peft adapter")
        config = {k: v for k, v in fold.config.items() if k not in _CONFIG_KEYS_IGNORED}
        for key in sorted(set(config) | set(reference)):
            if config.get(key) != reference.get(key):
                raise ModelDirError(f"{fold.directory}: adapter setting {key!r} differs from {folds[0].directory}")
        if fold.meta is not None and folds[0].meta is not None:
            mine, theirs = fold.meta["state"]["weights"], folds[0].meta["state"]["weights"]
            for key in ("base", "base_sha256"):
                if mine.get(key) != theirs.get(key):
                    raise ModelDirError(f"{fold.directory}: {key} differs from {folds[0].directory}")
            if fold.meta.get("model") != folds[0].meta.get("model"):
                raise ModelDirError(f"{fold.directory}: model type differs from {folds[0].directory}")


def _copy_checkpoint_files(base: Path, target: Path) -> None:
    """The base checkpoint's config and tokenizer files (not its weights) into `target`."""
    for item in base.iterdir():
        if item.is_file() and not item.name.endswith((".safetensors", ".bin", ".gguf", ".safetensors.index.json")):
            shutil.copy2(item, target / item.name)


def _write_meta(meta: dict[str, Any], out: Path, report: AverageReport, method: str) -> None:
    meta = json.loads(json.dumps(meta))
    if method == "deltas" and meta["state"]["weights"]["weights"] == "adapter":
        meta["state"]["weights"] = {"weights": "full", "base": meta["state"]["weights"]["base"]}
    meta["averaged_from"] = {"method": method, "folds": report.folds}
    meta[FILES_KEY] = record_files(out)
    (out / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
