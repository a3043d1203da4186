"""The Kaggle kit for the nn tier (part of bench/kaggle_kit.py): kit size per model kind packed with --from-image
(the fast model leaves nothing out: it needs neither torch nor transformers), each kit optionally checked, and the
nn notebook's time on a slice of the Kaggle-scale file, network off, projected to 25,000 rows.

Each kind is trained small (the kit's size does not depend on how long it trained): `cross-encoder` (MiniLM fully
fine-tuned: weights + tokenizer in the kit), `llm` (LoRA on the bundled SmolLM2-135M: adapter in the kit, the base
checkpoint carried beside it), `embed` and `embed-mlp` (WordLlama, from its package's wheel). The timed model is a
`cross-encoder` with its default 256-token window; the baseline is the same work in this process (load, read,
predict, write), as for the fast model.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from arenapref.kaggle.runtime import KAGGLE_ROWS

#: Per kind: options for a small, quick fit (sizes do not depend on the training length).
SMALL = {
    "fast": None,
    "cross-encoder": {"max_length": 32, "max_train_battles": 32, "eval_fraction": 0, "progress_bar": False},
    "llm": {"max_length": 32, "max_train_battles": 16, "eval_fraction": 0, "progress_bar": False, "batch_size": 4},
    "embed": None,
    "embed-mlp": None,
}
TIMED = {"max_train_battles": 64, "eval_fraction": 0, "progress_bar": False}


def train_small(kind: str, battles: pd.DataFrame, out: Path, options: dict[str, Any] | None) -> Path:
    from arenapref.models.registry import create

    rows = battles.iloc[: 400 if options is None else 200].reset_index(drop=True)
    create(kind, options).fit(rows).save(out)
    return out


def kit_sizes(
    kinds: list[str], battles: pd.DataFrame, work: Path, log: Any, test: Path | None = None
) -> list[dict[str, Any]]:
    """One row per kind: seconds to train and pack, MiB of the model, of what was carried, of the wheels, in all;
    with `test`, the kit checked on it (fresh venv, network off, empty caches): valid ids, or the error."""
    from arenapref.kaggle.check import check_kit, download_image_wheels
    from arenapref.kaggle.errors import KitError
    from arenapref.kaggle.pack import pack
    from arenapref.kaggle.target import make_target
    from arenapref.kaggle.wheels import IMAGE_FRAMEWORKS

    rows = []
    for kind in kinds:
        started = time.perf_counter()
        model_dir = train_small(kind, battles, work / f"model-{kind}", SMALL[kind])
        train_s = time.perf_counter() - started
        started = time.perf_counter()
        kit = pack(model_dir, work / f"kit-{kind}", make_target(), set(IMAGE_FRAMEWORKS))
        m = kit.manifest
        rows.append(
            {
                "kind": kind,
                "train_s": train_s,
                "pack_s": time.perf_counter() - started,
                "model_mib": m["model"]["bytes"] / 2**20,
                "carried_mib": sum(c["bytes"] for c in m["model"]["carried"]) / 2**20,
                "wheels_mib": m["wheels_bytes"] / 2**20,
                "kit_mib": kit.total_bytes / 2**20,
                "wheels": len(m["packages"]),
                "left_out": [p["name"] for p in m["left_out"]],
            }
        )
        log(f"{kind}: kit {rows[-1]['kit_mib']:.1f} MiB (model {rows[-1]['model_mib']:.1f} MiB)")
        if test is not None:
            image = download_image_wheels(m, work / "image") if m["left_out"] else None
            try:
                result = check_kit(kit.kit, test, work / f"check-{kind}", image_wheels=image, progress=log)
                rows[-1]["check"] = (
                    f"valid, {result.validation['ids']} ids, TTA {'on' if result.timing['tta'] else 'off'}"
                )
            except KitError as exc:
                rows[-1]["check"] = f"failed: {exc}"
            log(f"{kind}: check {rows[-1]['check']}")
    return rows


def nn_timing(battles: pd.DataFrame, test: pd.DataFrame, work: Path, log: Any) -> dict[str, Any]:
    """The cross-encoder (default window) packed --from-image and checked on `test`; baseline in this process."""
    from arenapref.data.io import read_battles
    from arenapref.data.submission import write_submission
    from arenapref.kaggle.check import check_kit, download_image_wheels
    from arenapref.kaggle.pack import pack
    from arenapref.kaggle.target import make_target
    from arenapref.kaggle.wheels import IMAGE_FRAMEWORKS
    from arenapref.models.registry import create, load

    model_dir = work / "model-timed"
    create("cross-encoder", TIMED).fit(battles.iloc[:200].reset_index(drop=True)).save(model_dir)
    kit = pack(model_dir, work / "kit-timed", make_target(), set(IMAGE_FRAMEWORKS))
    image = download_image_wheels(kit.manifest, work / "image")
    path = work / "test-slice.csv"
    test.to_csv(path, index=False)

    started = time.perf_counter()  # the baseline: the notebook's work in this process, no kit
    model = load(model_dir)
    sliced, _ = read_battles(path)
    write_submission(sliced["id"], model.predict_proba(sliced), work / "baseline-nn.csv")
    baseline_s = time.perf_counter() - started
    log(f"nn baseline: {baseline_s:.1f} s for {len(sliced):,} rows")
    del model

    result = check_kit(kit.kit, path, work / "check-nn", image_wheels=image, progress=log)
    timing = result.timing
    return {
        "rows": timing["rows"],
        "window": 256,
        "kit_mib": kit.total_bytes / 2**20,
        "check_steps_s": result.seconds,
        "notebook": timing,
        "baseline_s": baseline_s,
        "notebook_x_baseline": timing["total_s"] / baseline_s,
        "baseline_projected_25k_s": baseline_s * KAGGLE_ROWS / timing["rows"],
        "ids_valid": result.validation,
        "network": result.probe,
    }
