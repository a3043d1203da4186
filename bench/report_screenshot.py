"""Bench step (not a test): build the reports and open them in headless Chromium; keep the screenshots.

1. `arenapref report` on the whole data folder -> OUT/report.html (+ report_figures/, screenshot.png).
2. `arenapref report` on kaggle-sample with --predictions / --swapped from the longer_wins baseline trained on
   Auto-J (another set: no leakage) -> OUT/kaggle_sample_eval.html (+ its figures, screenshot_eval.png).
Each page is checked: every <img> has a natural width and height > 0, and no request left the file.

    python bench/report_screenshot.py --data ../shared/data --out out/report
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def arenapref(*args: str | Path) -> None:
    cmd = [sys.executable, "-c", "from arenapref.cli import main; main()", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"arenapref {' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    print(done.stdout.strip())


def write_predictions(data: Path, out: Path) -> tuple[Path, Path]:
    from arenapref.data.io import read_battles
    from arenapref.data.submission import write_submission
    from arenapref.data.swap import swap
    from arenapref.models.registry import create

    train, _ = read_battles(data / "autoj" / "testdata_pairwise.jsonl")
    test, _ = read_battles(data / "kaggle-sample" / "train.csv")
    model = create("longer_wins").fit(train)
    pred = write_submission(test["id"], model.predict_proba(test), out / "pred_longer_wins.csv")
    swapped = write_submission(test["id"], model.predict_proba(swap(test)), out / "pred_longer_wins_swapped.csv")
    return pred, swapped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the reports and check them in headless Chromium.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("out/report"))
    args = parser.parse_args(argv)
    from arenapref.report.browser import check_page, find_browser

    if find_browser() is None:
        raise SystemExit("chromium and chromedriver are needed: apt-get install chromium chromium-driver")
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    arenapref("report", args.data, "-o", args.out / "report.html")
    print(f"report on {args.data}: {time.perf_counter() - start:.1f} s")
    pred, swapped = write_predictions(args.data, args.out)
    eval_page = args.out / "kaggle_sample_eval.html"
    arenapref("report", args.data / "kaggle-sample", "-o", eval_page, "--predictions", pred, "--swapped", swapped)
    failed = False
    for page, shot in ((args.out / "report.html", "screenshot.png"), (eval_page, "screenshot_eval.png")):
        check = check_page(page, args.out / shot)
        print(
            f"{page}: {len(check.images)} images, {len(check.images) - len(check.broken)} rendered, "
            f"broken {check.broken}, network requests {check.network}; page height {check.height} px; "
            f"screenshot {check.screenshot}"
        )
        failed |= not check.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
