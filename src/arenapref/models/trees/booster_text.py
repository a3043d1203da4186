"""LightGBM boosters read back from their text form, checked first: LightGBM parses the trees in parallel at the
offsets its header lists, and a damaged or truncated text can make it read past the end and abort the process
(exit 134 or a segfault), which no try/except catches. The structure checked here is what model_to_string
writes: the header with `tree_sizes`, one block per tree at exactly those offsets, then the trailer sections."""

from __future__ import annotations

import re

import lightgbm as lgb

from arenapref.models.base import ModelDirError

_TRAILER = re.compile(
    r"end of trees\n.*\nparameters:\n.*\nend of parameters\n\npandas_categorical:(null|\[[^\n]*\])\n?", flags=re.DOTALL
)
#: Keys every tree block holds, whatever its number of leaves.
_TREE_KEYS = ("num_leaves", "num_cat", "leaf_value", "shrinkage")


def load_booster(text: str, where: str) -> lgb.Booster:
    """The booster of a model text; ModelDirError naming `where` when its structure is damaged or LightGBM
    refuses it."""
    problem = structure_problem(text)
    if problem is not None:
        raise ModelDirError(f"{where}: not a complete LightGBM model ({problem})")
    try:
        return lgb.Booster(model_str=text)
    except lgb.basic.LightGBMError as exc:
        raise ModelDirError(f"{where}: LightGBM cannot read it ({exc})") from None


def structure_problem(text: str) -> str | None:
    """What is wrong with the model text's layout (None when it is whole)."""
    if not text.startswith("tree\n"):
        return "no 'tree' header"
    start = text.find("\nTree=0\n") + 1
    if start == 0:
        return "no trees"
    header = dict(line.split("=", 1) for line in text[:start].splitlines()[1:] if "=" in line)
    try:
        sizes = [int(size) for size in header.get("tree_sizes", "").split()]
    except ValueError:
        return "tree_sizes is not a list of integers"
    if not sizes or any(size <= 0 for size in sizes):
        return "tree_sizes missing or not positive"
    position = start
    for index, size in enumerate(sizes):
        block = text[position : position + size]
        problem = _tree_problem(block, index, size)
        if problem is not None:
            return problem
        position += size
    if _TRAILER.fullmatch(text, position) is None:
        return "the sections after the trees are missing or cut short"
    return None


def _tree_problem(block: str, index: int, size: int) -> str | None:
    title = f"Tree={index}\n"
    if len(block) < size or not block.startswith(title) or not block.endswith("\n\n"):
        return f"tree {index} is cut short or not where tree_sizes puts it"
    lines = block[len(title) :].rstrip("\n").split("\n")
    if not all("=" in line for line in lines):
        return f"tree {index} has a line without '='"
    keys = {line.split("=", 1)[0] for line in lines}
    missing = [key for key in _TREE_KEYS if key not in keys]
    if missing:
        return f"tree {index} lacks {', '.join(missing)}"
    return None
