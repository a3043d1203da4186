"""The model registry sits on top: every entry resolves to its class, no model module imports the registry back,
and rating models from battles lives in ranking/, outside models/."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import arenapref
from arenapref.models import registry
from arenapref.models.base import PreferenceModel

SRC = Path(arenapref.__file__).parent


def _imports(path: Path) -> set[str]:
    return _imports_of(ast.parse(path.read_text()))


def _imports_of(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_every_entry_resolves_to_a_model_of_that_name() -> None:
    assert {"prior", "longer_wins", "fast", "fast-multiclass"} <= set(registry.MODELS)
    for name in registry.MODELS:
        cls = registry.model_class(name)
        assert cls is not None and issubclass(cls, PreferenceModel) and cls.name == name
        assert isinstance(registry.create(name), cls)
    assert registry.model_class("no-such-model") is None


def _module_level_imports(path: Path) -> set[str]:
    """Imports made when the module is imported (not those inside its functions)."""
    tree = ast.parse(path.read_text())
    top = ast.Module(body=[n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)], type_ignores=[])
    return _imports_of(top)


def test_model_modules_do_not_import_the_registry() -> None:
    """No circle at import time. A model made of other models (the ensemble, the calibrated wrapper) builds or
    loads them by name, so it imports the registry inside its methods, when the registry is loaded already."""
    modules = {entry.partition(":")[0] for entry in registry.MODELS.values() if isinstance(entry, str)}
    assert modules
    for module in modules:
        path = Path(importlib.import_module(module).__file__ or "")
        assert not any(n.startswith("arenapref.models.registry") for n in _module_level_imports(path)), module
        if module not in ("arenapref.models.embedding.ensemble", "arenapref.models.calibrated.model"):
            assert not any(n.startswith("arenapref.models.registry") for n in _imports(path)), module


def test_ranking_is_not_a_model_and_models_do_not_import_it() -> None:
    assert not (SRC / "models" / "bradley_terry.py").exists() and not list((SRC / "models").glob("bt_*.py"))
    for path in (SRC / "models").glob("*.py"):
        assert not any(name.startswith("arenapref.ranking") for name in _imports(path)), path.name
    for path in (SRC / "ranking").glob("*.py"):
        assert not any(name.startswith(("arenapref.models", "arenapref.report")) for name in _imports(path)), path
