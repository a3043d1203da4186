"""MANIFEST.json: what a kit holds (wheels, model files, scripts) with sizes and SHA-256, and its checks."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from arenapref.kaggle.errors import KitError
from arenapref.weights.hashes import file_sha256

MANIFEST_FILE = "MANIFEST.json"
KIT_KIND = "arenapref-kaggle-kit"
KIT_FORMAT = 1


class _FileEntry(BaseModel):
    path: str = Field(min_length=1)
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("path")
    @classmethod
    def _inside_kit(cls, value: str) -> str:
        pure = PurePosixPath(value)
        if pure.is_absolute() or ".." in pure.parts or "\\" in value:
            raise ValueError(f"{value!r} leaves the kit")
        return value


class _Package(BaseModel):
    name: str
    version: str


class _Target(BaseModel):
    python: str
    platforms: list[str] = Field(default_factory=list)


class _KitManifest(BaseModel):
    """The fields of MANIFEST.json that the check reads (the others are the pack's notes)."""

    model_config = ConfigDict(extra="allow")

    install: str
    target: _Target
    files: list[_FileEntry]
    left_out: list[_Package] = Field(default_factory=list)


def file_records(kit: Path, folder: str) -> list[dict[str, Any]]:
    """{path, bytes, sha256} of every file under kit/folder, paths relative to the kit, sorted."""
    return [
        {"path": path.relative_to(kit).as_posix(), "bytes": path.stat().st_size, "sha256": file_sha256(path)}
        for path in sorted((kit / folder).rglob("*"))
        if path.is_file()
    ]


def write_manifest(kit: Path, manifest: dict[str, Any]) -> Path:
    path = kit / MANIFEST_FILE
    path.write_text(json.dumps({"kind": KIT_KIND, "format": KIT_FORMAT, **manifest}, indent=2) + "\n")
    return path


def read_manifest(kit: Path) -> dict[str, Any]:
    """MANIFEST.json, its kind and the fields the check reads validated; KitError naming the field otherwise."""
    path = kit / MANIFEST_FILE
    if not path.is_file():
        raise KitError(f"{kit}: not an arenapref kit ({MANIFEST_FILE} missing)")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KitError(f"{path}: unreadable ({exc})") from None
    if not isinstance(manifest, dict):
        raise KitError(f"{path}: not an arenapref kit manifest (a JSON {type(manifest).__name__}, not an object)")
    if manifest.get("kind") != KIT_KIND:
        raise KitError(f"{path}: not an arenapref kit manifest (kind {manifest.get('kind')!r})")
    try:
        _KitManifest.model_validate(manifest)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise KitError(f"{path}: field {where}: {first['msg']}") from None
    return manifest


def verify_kit(kit: Path) -> dict[str, Any]:
    """The manifest, after checking that every file it lists is there with its size and SHA-256."""
    manifest = read_manifest(kit)
    for record in manifest["files"]:
        path = kit / record["path"]
        if not path.is_file():
            raise KitError(f"{kit}: {record['path']} is listed in {MANIFEST_FILE} but missing")
        if path.stat().st_size != record["bytes"] or file_sha256(path) != record["sha256"]:
            raise KitError(f"{path}: differs from {MANIFEST_FILE} (size or SHA-256)")
    return manifest


def total_bytes(records: list[dict[str, Any]]) -> int:
    return sum(int(r["bytes"]) for r in records)
