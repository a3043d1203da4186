"""`--set KEY=VALUE` model options, shared by `train` and `bench`."""

from __future__ import annotations

import typer


def parse_sets(values: list[str] | None) -> dict[str, str]:
    """{"max_length": "128", ...} from ["max_length=128", ...]; BadParameter on an item without '='."""
    options: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--set")
        options[key.strip()] = value.strip()
    return options
