"""The schema of model.json, checked on load by every reader (predict, explain, serve): the envelope here, each
model's state in its own module. A failed check is a ModelDirError naming the file and the field."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from arenapref.models.base import META_FILE, ModelDirError, read_meta
from arenapref.models.model_dir import check_files

Schema = TypeVar("Schema", bound=BaseModel)


class FileRecord(BaseModel):
    """An artefact of the model folder: its path relative to the folder (never leaving it) and its SHA-256."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("file")
    @classmethod
    def _inside_folder(cls, value: str) -> str:
        for pure in (PurePosixPath(value), PureWindowsPath(value)):
            if pure.is_absolute() or pure.anchor or ".." in pure.parts:
                raise ValueError(f"{value!r} leaves the model folder")
        return value


class Manifest(BaseModel):
    """model.json: the model's registered name, the package version that wrote it, its state, the SHA-256 of every
    file of the folder (models.model_dir); extra keys (e.g. `trained_on`) are the owner's notes."""

    model_config = ConfigDict(extra="allow")

    model: str
    arenapref_version: str
    state: dict[str, Any]
    files: list[FileRecord] = Field(default_factory=list)  # every file of the folder; none in older folders


def check(schema: type[Schema], data: Any, directory: str | Path, prefix: tuple[str, ...] = ()) -> Schema:
    """data validated by schema; ModelDirError naming model.json and the first failing field otherwise."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in (*prefix, *first["loc"]))
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ModelDirError(f"{Path(directory) / META_FILE}: {where or 'top level'}: {first['msg']}{more}") from None


def checked_manifest(directory: str | Path) -> Manifest:
    """A model directory's model.json checked against its envelope's schema, and every file it records against
    its SHA-256 (a folder saved before files were recorded: the records it has); ModelDirError otherwise."""
    meta = check(Manifest, read_meta(directory), directory)
    check_files(Path(directory), [record.model_dump() for record in meta.files])
    return meta
