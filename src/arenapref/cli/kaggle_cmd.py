"""`arenapref kaggle pack` and `arenapref kaggle check`: the offline kit for Kaggle's code competition."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from arenapref.cli.options import parse_sets

console = Console()
err = Console(stderr=True)
kaggle_app = typer.Typer(help="Build and check an offline Kaggle kit (wheels, model, notebook).", no_args_is_help=True)


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def _fail(exc: Exception) -> None:
    err.print(Text("error: ", style="bold red") + Text(str(exc)), highlight=False, soft_wrap=True)
    sys.exit(2)


@kaggle_app.command("pack")
def pack_cmd(
    model_dir: Path = typer.Argument(..., help="Model directory written by `arenapref train`."),
    out: Path = typer.Option(..., "--out", "-o", help="Kit folder to create (new or empty): one Kaggle dataset."),
    python: str = typer.Option("3.11", "--python", help="Kaggle's Python (CPython major.minor)."),
    platform: list[str] = typer.Option(
        [],
        "--platform",
        help="Wheel platform tag (repeatable); manylinux_2_N_ARCH admits older ones too. "
        "Default: manylinux_2_35_x86_64 (Kaggle's image).",
    ),
    from_image: bool = typer.Option(False, "--from-image", help="Leave torch and transformers to Kaggle's image."),
    leave_out: list[str] = typer.Option(
        [], "--leave-out", help="Leave this distribution (and what only it needs) to Kaggle's image (repeatable)."
    ),
    wheel: Path | None = typer.Option(None, "--wheel", help="A built arenapref wheel (default: build one here)."),
    pin_local: bool = typer.Option(True, help="Pin every dependency to the version installed here."),
    base_at: str | None = typer.Option(
        None,
        "--base-at",
        help="Leave a LoRA adapter's base out of the kit: the path where the notebook finds it attached "
        "(e.g. /kaggle/input/gemma-2/transformers/gemma-2-9b-it/1); its SHA-256 is checked there.",
    ),
    time_limit: float = typer.Option(
        9.0, "--time-limit", min=0, help="Hours: the notebook stops when its projection for 25,000 rows passes it."
    ),
    sets: list[str] | None = typer.Option(
        None,
        "--set",
        help="Prediction option KEY=VALUE the notebook applies before the weights load, repeatable "
        "(fine-tuned models: quantization=8bit, device_map=auto, max_memory_per_gpu=14GiB, predict_max_tokens).",
    ),
) -> None:
    """Pack MODEL_DIR for Kaggle: wheels/ for the target Python, model/, submit.ipynb, submit.py, MANIFEST.json."""
    from arenapref.kaggle.errors import KitError
    from arenapref.kaggle.pack import pack
    from arenapref.kaggle.target import make_target
    from arenapref.kaggle.wheels import IMAGE_FRAMEWORKS

    try:
        target = make_target(python, platform or None)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--python") from None
    left_out = set(leave_out) | (set(IMAGE_FRAMEWORKS) if from_image else set())
    try:
        with console.status("packing") as status:
            result = pack(
                model_dir,
                out,
                target,
                left_out,
                wheel,
                pin_local,
                progress=lambda m: status.update(escape(m)),
                base_at=base_at,
                time_limit_hours=time_limit,
                predict_options=parse_sets(sets),
            )
    except KitError as exc:
        _fail(exc)
    m = result.manifest
    console.print(
        f"packed {m['model']['type']} model ({_size(m['model']['bytes'])}, {m['model']['recorded_hashes_checked']} "
        f"recorded hashes checked) with {len(m['packages'])} wheels ({_size(m['wheels_bytes'])}) for CPython "
        f"{target.python} {target.platforms[0]}",
        highlight=False,
    )
    for c in m["model"]["carried"]:
        console.print(f"carried into the kit: {c['what']} {escape(c['from'])} ({_size(c['bytes'])})", highlight=False)
    for c in m["model"]["base_at"]:
        console.print(
            f"left out: {c['what']} ({_size(c['bytes'])}); attach it at {escape(c['at'])} "
            f"(SHA-256 {c['sha256'][:12]}…)",
            highlight=False,
        )
    if result.left_out:
        names = ", ".join(f"{p.name} {p.version}" for p in result.left_out)
        console.print(f"left to Kaggle's image: {escape(names)}", highlight=False)
    size, install = _size(result.total_bytes), escape(m["install"])
    console.print(f"wrote {escape(str(out))}: {size} in all; install: {install}", highlight=False)


@kaggle_app.command("check")
def check_cmd(
    kit: Path = typer.Argument(..., help="Kit folder written by `arenapref kaggle pack`."),
    test: Path = typer.Option(..., "--test", help="A Kaggle-format test.csv (id, prompt, response_a, response_b)."),
    work: Path | None = typer.Option(None, "--work", help="Keep the venv, executed notebook and submission here."),
    image_wheels: Path | None = typer.Option(
        None, "--image-wheels", help="Wheels standing in for Kaggle's image (needed when the kit leaves some out)."
    ),
    kernel_wheels: Path | None = typer.Option(
        None, "--kernel-wheels", help="Wheels of ipykernel for the venv (default: downloaded once into ~/.cache)."
    ),
) -> None:
    """Install the kit into a fresh venv with --no-index and run submit.ipynb headless, network off; validate."""
    from arenapref.kaggle.check import check_kit
    from arenapref.kaggle.errors import KitError

    try:
        with console.status("checking") as status:
            result = check_kit(kit, test, work, kernel_wheels, image_wheels, progress=lambda m: status.update(m))
    except KitError as exc:
        _fail(exc)
    t, s = result.timing, result.seconds
    console.print(
        f"network off during install and run (interfaces {result.probe['interfaces']}, PyPI unreachable); "
        f"arenapref imported from the fresh venv",
        highlight=False,
    )
    console.print(
        f"submission valid: {result.validation['rows']:,} rows, all {result.validation['ids']:,} test ids; "
        f"notebook {s['notebook']:.1f} s (predict {t['total_s']:.1f} s for {t['rows']:,} rows, projected "
        f"{t['projected_s']:.0f} s for {t['projected_rows']:,})",
        highlight=False,
    )
    if work is not None:
        console.print(f"kept {escape(str(result.submission.parent))}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `kaggle` command group to the app."""
    app.add_typer(kaggle_app, name="kaggle")
