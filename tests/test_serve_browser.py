"""The web page in headless Chromium (Debian's chromium + chromedriver, driven by selenium): type a battle,
read the three probabilities, swap, and see the same verdict mirrored. The app runs on 127.0.0.1 only."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from arenapref.features.labels import TFIDF_GROUP, label_of, sentence
from arenapref.serve.app import create_app
from arenapref.serve.settings import ServeSettings
from serve_support import LengthModel, serving, small_fast_model_dir

pytestmark = pytest.mark.browser
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PROMPT = "How do I boil an egg?"
SHORT = "Boil it."
LONG = "Put the egg in boiling water for seven minutes, then cool it in cold water before peeling."


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        pytest.fail(f"missing {missing}: apt-get install chromium chromium-driver (.ci/run does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass(frozen=True)
class Shown:
    """What the page shows for one prediction."""

    sequence: int
    p_a: float
    p_b: float
    p_tie: float
    winner: str
    p_a_text: str
    reasons: int


def read_result(driver: WebDriver, after: int) -> Shown:
    """Wait until the page has drawn a result newer than number `after`, then read it."""
    WebDriverWait(driver, 20).until(lambda d: int(_attribute(d, "result", "data-sequence", "0")) > after)

    def p(key: str) -> float:
        return float(_attribute(driver, f"p-{key}", "data-value", "nan"))

    return Shown(
        sequence=int(_attribute(driver, "result", "data-sequence", "0")),
        p_a=p("a"),
        p_b=p("b"),
        p_tie=p("tie"),
        winner=_attribute(driver, "winner", "data-winner", ""),
        p_a_text=driver.find_element(By.ID, "p-a").text,
        reasons=len(driver.find_elements(By.CSS_SELECTOR, "#reasons tbody tr")),
    )


def _attribute(driver: WebDriver, element: str, name: str, default: str) -> str:
    return driver.find_element(By.ID, element).get_attribute(name) or default


def fill_in(driver: WebDriver, prompt: str, answer_a: str, answer_b: str) -> None:
    for element, text in (("prompt", prompt), ("response-a", answer_a), ("response-b", answer_b)):
        driver.find_element(By.ID, element).send_keys(text)


def test_predict_then_swap_mirrors_the_verdict(browser: WebDriver) -> None:
    """The real thing: a trained fast model, its probabilities, reasons, and the swap check."""
    with serving(create_app(small_fast_model_dir())) as url:
        browser.get(url + "/")
        WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "model-name").text == "fast")
        fill_in(browser, PROMPT, SHORT, LONG)
        browser.find_element(By.ID, "predict").click()
        first = read_result(browser, 0)
        assert first.winner in {"A", "B", "tie"}
        assert first.p_a + first.p_b + first.p_tie == pytest.approx(1.0)
        assert first.p_a_text == f"{100 * first.p_a:.1f}%"
        assert first.reasons > 0
        row = browser.find_element(By.CSS_SELECTOR, "#reasons tbody tr")
        feature, value = row.get_attribute("data-feature") or "", row.get_attribute("data-value") or ""
        cells = row.find_elements(By.TAG_NAME, "td")
        assert cells[0].text == label_of(feature).label  # the readable label shown, the raw name on hover
        assert (cells[0].get_attribute("title") or "").startswith(f"{feature} = ")
        if feature == TFIDF_GROUP:
            assert value == "null" and cells[1].text == "–"
        else:
            assert cells[1].text == sentence(feature, float(value))  # the value in words

        browser.find_element(By.ID, "swap").click()
        second = read_result(browser, first.sequence)
        assert browser.find_element(By.ID, "response-a").get_attribute("value") == LONG
        assert browser.find_element(By.ID, "response-b").get_attribute("value") == SHORT
        assert second.winner == {"A": "B", "B": "A", "tie": "tie"}[first.winner]
        assert (second.p_a, second.p_b, second.p_tie) == pytest.approx((first.p_b, first.p_a, first.p_tie), abs=1e-9)
        check = browser.find_element(By.ID, "swap-check")
        assert check.get_attribute("data-consistent") == "true" and "Same verdict" in check.text


def test_known_model_shows_the_expected_side(browser: WebDriver) -> None:
    """With a model whose answer is known (longer wins), the page shows B, then A after the swap."""
    with serving(create_app(LengthModel())) as url:
        browser.get(url + "/")
        fill_in(browser, PROMPT, SHORT, LONG)
        browser.find_element(By.ID, "predict").click()
        first = read_result(browser, 0)
        assert first.winner == "B" and first.p_b > first.p_a and first.reasons == 1
        browser.find_element(By.ID, "swap").click()
        assert read_result(browser, first.sequence).winner == "A"


def test_error_from_the_api_is_shown(browser: WebDriver) -> None:
    with serving(create_app(LengthModel(), ServeSettings(max_chars=20))) as url:
        browser.get(url + "/")
        fill_in(browser, PROMPT, SHORT, LONG)
        browser.find_element(By.ID, "predict").click()
        error = browser.find_element(By.ID, "error")
        WebDriverWait(browser, 20).until(lambda d: error.is_displayed())
        assert "body.response_b" in error.text and "the limit is 20" in error.text
