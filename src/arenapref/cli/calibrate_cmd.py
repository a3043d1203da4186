"""`arenapref calibrate MODEL_DIR SAMPLE... -o NEW_MODEL_DIR`: a trained model moved to a new arena."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from arenapref.data.errors import DataError

if TYPE_CHECKING:
    from arenapref.models.calibrated.model import CalibratedModel

console = Console(soft_wrap=True)


def calibrate(
    model_dir: Path = typer.Argument(..., help="Model directory of any model kind (written by `arenapref train`)."),
    samples: list[Path] | None = typer.Argument(
        None,
        help="Labelled battles of the target arena, any readable format (hard or soft labels); with --tie-rate, "
        "its battles (labels not read).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="New model directory to write (must not exist, or be empty)."),
    what: str = typer.Option(
        "ties,temperature",
        "--what",
        help="What to fit, comma-separated: ties (the tie offset), temperature (direction and tie temperatures), "
        "length (the weight of a length prior), all.",
    ),
    tie_rate: float | None = typer.Option(
        None,
        "--tie-rate",
        help="No labels: set only the tie offset, so that the mean P(tie) over SAMPLE's battles is R (0 < R < 1).",
    ),
    fmt: str | None = typer.Option(None, "--format", help="Force one format for every sample file."),
    seed: int = typer.Option(0, "--seed", help="Seed of the cross-validation folds."),
) -> None:
    """Fit the tie rate, temperatures (and length weight) of a trained model on a small labelled sample of the
    target arena; print the sample's cross-validated log loss before and after; refuse (exit 2) a calibration
    that the cross-validation says is worse."""
    from arenapref.data.io import read_many
    from arenapref.models.calibrated.fit import SampleTooSmall, parameters
    from arenapref.models.calibrated.model import CalibratedModel

    parts = [p.strip() for p in what.split(",") if p.strip()]
    try:
        parameters(parts)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--what") from None
    if tie_rate is not None and not 0 < tie_rate < 1:
        raise typer.BadParameter(f"{tie_rate} is not strictly between 0 and 1", param_hint="--tie-rate")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(str(out), "exists and is not an empty folder; choose a new one")
    if not samples:
        if tie_rate is not None:
            raise DataError(
                str(model_dir),
                "--tie-rate needs battles of the target arena to match the mean P(tie) on (labels not read): give "
                "them as SAMPLE, or use `arenapref predict --tie-rate` on the file to predict",
            )
        raise typer.BadParameter("give a labelled sample of the target arena, or --tie-rate R with its battles")
    where = ", ".join(map(str, samples))
    model = CalibratedModel.wrapping(model_dir, what=parts, seed=seed)
    battles, reports = read_many(samples, fmt)
    for report in reports:
        for line in report.lines():
            console.print(line, highlight=False, markup=False)
    if tie_rate is not None:
        model.match_tie_rate(battles, tie_rate)
        before = model.record["mean_p_tie_before"]
        console.print(
            f"tie offset {model.calibration.tie_offset:+.4f}: mean P(tie) over {len(battles):,} battles "
            f"{before:.4f} -> {tie_rate:.4f}",
            highlight=False,
        )
    else:
        try:
            model.fit(battles)
        except SampleTooSmall as exc:
            raise DataError(where, f"{exc}; nothing written") from None
        except ValueError as exc:
            raise DataError(where, f"{exc}; nothing written") from None
        _print_fit(model)
        assert model.result is not None
        cv = model.result.cv
        if cv.worse:
            raise DataError(
                where,
                f"calibration refused: its cross-validated log loss on the sample is worse ({cv.after:.4f} after, "
                f"{cv.before:.4f} before, more than the difference's standard error {cv.standard_error:.4f}); "
                "nothing written",
            )
    _write(model, out, {"calibrated_from": str(model_dir), "sample_files": [str(p) for p in samples]})
    console.print(f"wrote {out}", highlight=False, markup=False)


def _print_fit(model: CalibratedModel) -> None:
    record = model.record
    sample, cv = record["sample"], record["cv"]
    ties = "no 3-way battle" if sample["tie_rate"] is None else f"tie rate {sample['tie_rate']:.4f}"
    console.print(
        f"sample: {sample['rows']:,} labelled battles, {sample['prompts']:,} prompts, {ties}; "
        f"SHA-256 {sample['sha256'][:16]}",
        highlight=False,
    )
    console.print(
        f"cross-validated log loss on the sample ({cv['folds']} folds by prompt): before {cv['before']:.4f}, "
        f"after {cv['after']:.4f} (difference {cv['after'] - cv['before']:+.4f} ± {cv['standard_error']:.4f})",
        highlight=False,
    )
    identity = model.identity_values()
    moved = {name: value for name, value in record["fit"].items() if value != identity[name]}
    fitted = ", ".join(f"{name} {identity[name]:g} -> {value:.4f}" for name, value in moved.items())
    console.print(f"fitted ({', '.join(record['fitted'])}): {fitted or 'nothing moved'}", highlight=False)
    console.print(
        f"mean P(tie) on the sample: {sample['mean_p_tie_before']:.4f} -> {sample['mean_p_tie_after']:.4f}",
        highlight=False,
    )


def _write(model: CalibratedModel, out: Path, extra: dict[str, object]) -> None:
    """The model directory written whole or not at all: saved into a hidden sibling, then renamed to `out`."""
    from arenapref.data.atomic import replacing_folder

    out.parent.mkdir(parents=True, exist_ok=True)
    with replacing_folder(out) as tmp:  # `out` is absent or empty (checked above)
        model.save(tmp, extra=extra)


def register(app: typer.Typer) -> None:
    """Add `calibrate` to the app."""
    app.command("calibrate")(calibrate)
