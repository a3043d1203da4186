"""Training recipes: a whole training run as one YAML or JSON file, validated by pydantic before anything runs.

A recipe names a registered model and its settings (`options`, set by name as `arenapref train --set` does for
the fine-tuned models), the labelled data, k-fold training and fold averaging, swap TTA, distillation from a
teacher and pseudo-labels on an unlabelled pool. Paths are relative to the working directory. configs/recipes/
holds the winners' GPU setting and a CPU-sized one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from arenapref.data.errors import DataError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Distillation(_Strict):
    """alpha * CE(labels) + (1 - alpha) * T^2 * KL(teacher || student)."""

    teacher: str = Field(description="Model directory or predictions CSV (Kaggle submission format).")
    alpha: float = Field(0.5, ge=0, le=1, description="Weight of the labels against the teacher.")
    temperature: float = Field(1.0, gt=0, description="T; models without a torch loss support T = 1 only.")


class PseudoLabels(_Strict):
    """Soft labels from a teacher on unlabelled battles, added to every fold's training."""

    pool: list[str] = Field(min_length=1, description="Files of unlabelled battles.")
    teacher: str | None = Field(None, description="Default: the distillation teacher.")
    min_confidence: float | None = Field(None, ge=1 / 3, le=1)
    max_rows: int | None = Field(None, ge=1, description="A seeded random slice of the pool of this size.")


class Recipe(_Strict):
    name: str
    description: str = ""
    model: str = Field(description="Registered model name (arenapref train --model).")
    data: list[str] = Field(min_length=1, description="Labelled battle files or folders.")
    format: str | None = None
    options: dict[str, Any] = Field(default_factory=dict, description="Model settings by name.")
    folds: int = Field(1, ge=1, description="1: one model on all data; K >= 2: one model per prompt-grouped fold.")
    seed: int = 0
    tta: bool = Field(True, description="Out-of-fold and teacher predictions averaged over both orders.")
    average: Literal["none", "adapters", "deltas"] = Field("none", description="Fold averaging (folds >= 2).")
    distillation: Distillation | None = None
    pseudo_labels: PseudoLabels | None = None
    accelerate_config: str | None = Field(None, description="accelerate config file for multi-GPU runs.")

    @model_validator(mode="after")
    def _consistent(self) -> Recipe:
        if self.average != "none" and self.folds < 2:
            raise ValueError("average needs folds >= 2")
        if self.pseudo_labels and not (self.pseudo_labels.teacher or self.distillation):
            raise ValueError("pseudo_labels needs a teacher (its own or the distillation's)")
        return self


COMMAND_LINE = "command line"  # where errors in a recipe built from `arenapref train` options are said to be
DISTILLATION_KEYS = ("alpha", "temperature")  # --set keys that go to the distillation when there is a teacher


def load_recipe(path: str | Path) -> Recipe:
    """The validated recipe; DataError naming the file and the first bad field."""
    path = Path(path)
    recipe = _validate(read_recipe_data(path), path)
    check_model(recipe, path)
    return recipe


def command_line_recipe(
    config: Path | None,
    files: list[str],
    model: str | None,
    options: dict[str, Any],
    folds: int | None,
    teacher: str | None,
    fmt: str | None,
) -> Recipe:
    """The recipe `arenapref train` runs: the recipe file's (when `config`), with the command line on top (FILES
    replace `data`, --model the model, --set keys join `options`, --folds the folds, --teacher the distillation
    teacher; with a teacher, --set alpha / temperature set the distillation). Without a file the command line is
    the whole recipe (model `fast` by default). DataError naming the file (or the command line) and the first bad
    field."""
    data: dict[str, Any] = read_recipe_data(config) if config is not None else {"name": COMMAND_LINE}
    if not isinstance(data, dict):
        raise DataError(str(config), "a recipe is a mapping of fields (name, model, data, ...)")
    data = dict(data)
    if files:
        data["data"] = [str(f) for f in files]
    if model is not None or config is None:
        data["model"] = model or "fast"
    if fmt is not None:
        data["format"] = fmt
    if folds is not None:
        data["folds"] = folds
    distil = data.get("distillation")
    if teacher is not None:
        distil = {**(distil if isinstance(distil, dict) else {}), "teacher": str(teacher)}
    base = data.get("options") or {}
    merged = {**base, **options} if isinstance(base, dict) else base  # not a mapping: pydantic names the field
    if isinstance(distil, dict) and isinstance(merged, dict):
        distil = {**distil, **{k: merged.pop(k) for k in DISTILLATION_KEYS if k in options}}
        data["distillation"] = distil
    if merged:
        data["options"] = merged
    if not data.get("data"):
        raise DataError(str(config or COMMAND_LINE), "no training data: give FILES or the recipe's data", field="data")
    recipe = _validate(data, config)
    check_model(recipe, config)
    return recipe


def read_recipe_data(path: Path) -> Any:
    """The parsed YAML or JSON of a recipe file (not validated); DataError when absent or unparsable."""
    if not path.is_file():
        raise DataError(str(path), "no such recipe file" if not path.exists() else "not a regular file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataError(str(path), f"unreadable recipe ({exc.strerror or exc})") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # any parser error becomes one line
        raise DataError(str(path), f"unreadable recipe ({type(exc).__name__}: {exc})") from None
    return data


def _validate(data: Any, path: Path | None) -> Recipe:
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or None
        raise DataError(str(path or COMMAND_LINE), first["msg"], field=where) from None


def check_model(recipe: Recipe, path: Path | None) -> None:
    """The model exists and accepts the options (and the distillation settings) the recipe gives it."""
    factory(recipe, path)


def factory(recipe: Recipe, path: Path | None = None) -> Any:
    """A zero-argument factory of configured models; DataError for an unknown model or a bad option."""
    from arenapref.models.registry import create
    from arenapref.pipeline.cv_train import takes_teacher

    where = str(path or recipe.name)

    def build() -> Any:
        try:
            model = create(recipe.model)
        except KeyError as exc:
            raise DataError(where, str(exc.args[0]), field="model") from None
        if getattr(model, "wraps_trained_model", False):
            raise DataError(
                where,
                f"model {recipe.model!r} wraps a trained model; use `arenapref calibrate MODEL_DIR SAMPLE -o DIR`",
                field="model",
            )
        options = dict(recipe.options)
        distil = recipe.distillation
        if distil and takes_teacher(model):
            options.update({"alpha": distil.alpha, "temperature": distil.temperature})
        elif distil and distil.temperature != 1:
            raise DataError(
                where,
                f"model {recipe.model!r} distils through soft labels: temperature 1 only",
                field="distillation.temperature",
            )
        if options:
            if not hasattr(model, "set_options"):
                raise DataError(where, f"model {recipe.model!r} takes no options", field="options")
            try:
                model.set_options(options)
            except ValueError as exc:
                raise DataError(where, str(exc), field="options") from None
        return model

    build()
    return build
