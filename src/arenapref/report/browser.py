"""Open a report in headless Chromium: check that every image rendered and nothing was fetched from the network,
and keep a full-page screenshot. Needs Debian's `chromium` and `chromium-driver` and the `selenium` package."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
WIDTH, MAX_HEIGHT = 1200, 30_000
IMAGES_JS = "return Array.from(document.images).map(i => [i.id || i.alt, i.complete, i.naturalWidth, i.naturalHeight]);"
RESOURCES_JS = "return performance.getEntriesByType('resource').map(e => e.name);"


@dataclass
class PageCheck:
    """What the browser saw: every image with its natural size, requests that left the page, the screenshot."""

    images: list[tuple[str, int, int]] = field(default_factory=list)  # (id, natural width, natural height)
    requests: list[str] = field(default_factory=list)
    height: int = 0
    screenshot: Path | None = None

    @property
    def broken(self) -> list[str]:
        return [name for name, width, height in self.images if width <= 0 or height <= 0]

    @property
    def network(self) -> list[str]:
        return [r for r in self.requests if not r.startswith(("data:", "file:"))]

    @property
    def ok(self) -> bool:
        return bool(self.images) and not self.broken and not self.network


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) executables, or None when either is missing."""
    browser = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def check_page(html: str | Path, screenshot: str | Path, timeout: float = 30.0) -> PageCheck:
    """Load `html` from disk, wait for its images, record what rendered and save a full-page PNG screenshot."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_browser()
    if found is None:
        raise RuntimeError(
            "headless check needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver)"
        )
    browser, driver_path = found
    with tempfile.TemporaryDirectory(prefix="arenapref-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},1000"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
        try:
            driver.get(Path(html).resolve().as_uri())
            deadline = time.monotonic() + timeout
            while not all(done for _, done, _, _ in driver.execute_script(IMAGES_JS)) and time.monotonic() < deadline:
                time.sleep(0.1)
            images = [(str(name), int(w), int(h)) for name, _, w, h in driver.execute_script(IMAGES_JS)]
            height = int(driver.execute_script("return document.documentElement.scrollHeight;"))
            driver.set_window_size(WIDTH, min(height, MAX_HEIGHT))
            chrome = height - int(driver.execute_script("return window.innerHeight;"))  # window frame, if any
            if chrome > 0:
                driver.set_window_size(WIDTH, min(height + chrome, MAX_HEIGHT))
            out = Path(screenshot)
            out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(out))
            return PageCheck(images, list(driver.execute_script(RESOURCES_JS)), height, out)
        finally:
            driver.quit()
