"""The web page for battles as they really are, in headless Chromium: several turns per battle (prompt, answer A,
answer B each), and a file of battles uploaded for a downloadable Kaggle submission with a progress indicator."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from arenapref.data.io import read_battles
from arenapref.serve.app import create_app
from arenapref.serve.settings import ServeSettings
from serve_support import DATA, LengthModel, serving
from test_serve_browser import browser, fill_in, read_result  # noqa: F401  (browser is a fixture)

pytestmark = pytest.mark.browser
SHORT, LONG = "Yes.", "Yes, and here is a much longer second answer that goes on and on about the details."


def test_a_battle_of_several_turns_is_scored_on_all_of_them(browser: WebDriver) -> None:  # noqa: F811
    """Longer-wins model: turn 1 favours B a little, turn 2 favours A a lot, so A wins only if turn 2 is sent;
    swapping exchanges the answers of every turn."""
    with serving(create_app(LengthModel())) as url:
        browser.get(url + "/")
        fill_in(browser, "First question", "Short.", "A bit longer.")
        browser.find_element(By.ID, "predict").click()
        one_turn = read_result(browser, 0)
        assert one_turn.winner == "B"

        browser.find_element(By.ID, "add-turn").click()
        turn = browser.find_element(By.CSS_SELECTOR, "#turns .turn")
        turn.find_element(By.CSS_SELECTOR, ".turn-prompt").send_keys("And the follow-up?")
        turn.find_element(By.CSS_SELECTOR, ".turn-a").send_keys(LONG)
        turn.find_element(By.CSS_SELECTOR, ".turn-b").send_keys(SHORT)
        browser.find_element(By.ID, "predict").click()
        two_turns = read_result(browser, one_turn.sequence)
        expected = LengthModel().predict_proba(
            pd.DataFrame(
                {
                    "prompt": [["First question", "And the follow-up?"]],
                    "response_a": [["Short.", LONG]],
                    "response_b": [["A bit longer.", SHORT]],
                }
            )
        )[0]
        assert two_turns.winner == "A"
        assert (two_turns.p_a, two_turns.p_b, two_turns.p_tie) == pytest.approx(tuple(expected), abs=1e-9)

        browser.find_element(By.ID, "swap").click()
        swapped = read_result(browser, two_turns.sequence)
        assert swapped.winner == "B" and swapped.p_b == pytest.approx(two_turns.p_a, abs=1e-9)
        assert turn.find_element(By.CSS_SELECTOR, ".turn-a").get_attribute("value") == SHORT
        assert browser.find_element(By.ID, "response-a").get_attribute("value") == "A bit longer."


def test_a_file_of_battles_comes_back_as_a_kaggle_submission(browser: WebDriver, tmp_path: Path) -> None:  # noqa: F811
    table = pd.read_csv(DATA / "kaggle-sample" / "train.csv", dtype=str).head(12)
    table.loc[3, "prompt"] = '["unterminated'  # one unreadable row: left out and counted
    path = tmp_path / "test.csv"
    table.to_csv(path, index=False)
    battles, _ = read_battles(path)
    model = LengthModel()
    with serving(create_app(model, ServeSettings(max_body_bytes=5_000_000))) as url:
        browser.get(url + "/")
        assert browser.find_element(By.ID, "file-progress").get_attribute("hidden") is not None
        browser.find_element(By.ID, "file").send_keys(str(path))
        browser.find_element(By.ID, "predict-file").click()
        link = browser.find_element(By.ID, "download")
        WebDriverWait(browser, 30).until(lambda d: link.is_displayed())
        status = browser.find_element(By.ID, "file-status").text
        assert status == "11 of 12 battles predicted; 1 unreadable rows left out"
        assert link.get_attribute("download") == "submission.csv" and link.get_attribute("href").startswith("blob:")
        assert browser.find_element(By.ID, "file-progress").get_attribute("hidden") is not None
        submission = pd.read_csv(io.StringIO(link.get_attribute("data-csv")), dtype={"id": str})
    assert list(submission.columns) == ["id", "winner_model_a", "winner_model_b", "winner_tie"]
    assert submission["id"].tolist() == battles["id"].tolist()
    assert np.allclose(submission.iloc[:, 1:].to_numpy(), model.predict_proba(battles))


def test_an_unreadable_file_is_named_with_the_reason(browser: WebDriver, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "notes.txt"
    path.write_text("just some text, no battles\n")
    with serving(create_app(LengthModel())) as url:
        browser.get(url + "/")
        browser.find_element(By.ID, "file").send_keys(str(path))
        browser.find_element(By.ID, "predict-file").click()
        error = browser.find_element(By.ID, "error")
        WebDriverWait(browser, 30).until(lambda d: error.is_displayed())
        assert error.text.startswith("notes.txt: body: ") and "unknown format" in error.text
