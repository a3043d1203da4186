"""The report opens in headless Chromium with every figure rendered and nothing fetched from the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from arenapref.data.io import read_battles
from arenapref.report.browser import check_page, find_browser
from report_support import run, write_predictions

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        find_browser() is None,
        reason="chromium / chromedriver not installed (apt-get install chromium chromium-driver)",
    ),
]


def test_report_renders_every_figure_in_chromium(monkeypatch, capsys, data_dir: Path, tmp_path: Path) -> None:
    battles, _ = read_battles(data_dir / "kaggle-sample" / "train.csv")
    pred, swapped = write_predictions(battles, tmp_path)
    html = tmp_path / "report.html"
    code, text = run(monkeypatch, capsys, "report", data_dir / "kaggle-sample", "-o", html, "--predictions", pred,
                     "--swapped", swapped)  # fmt: skip
    assert code == 0, text
    figures = sorted(p.stem for p in (tmp_path / "report_figures").glob("*.png"))
    check = check_page(html, tmp_path / "screenshot.png")
    assert sorted(name.removeprefix("fig-") for name, _, _ in check.images) == figures
    assert not check.broken, check.broken
    assert check.network == [], check.network
    assert check.ok
    shot = check.screenshot
    assert shot is not None and shot.stat().st_size > 50_000
    with shot.open("rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
