"""The review page in headless Chromium (Debian's `chromium` and `chromium-driver`; .ci/run installs them).

A known copy is pasted into the live page and the static `check --html` report is opened; both must show
the source's name and the copied spans highlighted on both sides. Screenshots are kept as test artifacts
in ``$COPYGUARD_ARTIFACTS`` (default ``build/test-artifacts/``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("COPYGUARD_ARTIFACTS", ROOT / "build" / "test-artifacts"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1500",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def marks(section, side: str) -> list[str]:
    return [m.text for m in section.find_elements(By.CSS_SELECTOR, f"pre.{side} mark")]


def source_block(driver, name: str):
    for block in driver.find_elements(By.CSS_SELECTOR, ".source"):
        if block.find_element(By.CSS_SELECTOR, ".source-name").text == name:
            return block
    raise AssertionError(f"no block for {name}: {[e.text for e in driver.find_elements(By.CSS_SELECTOR, '.source-name')]}")


def test_pasting_a_known_copy_shows_it_beside_the_source(browser, server, texts):
    browser.get(f"http://127.0.0.1:{server.port}/")
    box = browser.find_element(By.ID, "answer")
    # a paste: the whole text arrives at once (typing 2,000 characters key by key would take long)
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                           box, texts["answer"])
    browser.find_element(By.ID, "check").click()
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "section.item"))
    item = browser.find_element(By.CSS_SELECTOR, "section.item")
    assert item.get_attribute("data-action") == "block"
    tomli = source_block(browser, "corpus/tomli/_parser.py")
    answer_marks, source_marks = marks(tomli, "answer"), marks(tomli, "original")
    assert answer_marks and source_marks
    assert "idx += 1" in answer_marks[0] and "pos += 1" in source_marks[0]  # each side in its own names
    assert "idx → pos" in tomli.find_element(By.CSS_SELECTOR, ".renames").text
    assert "MIT" in tomli.text and "renamed" in tomli.text
    jargon = source_block(browser, "corpus/jargon/hacker-writing-style.txt")
    assert any("balanced delimiters" in m for m in marks(jargon, "original"))
    assert "GENERATION" in browser.find_element(By.ID, "info").text.upper()
    assert shot(browser, "review-page.png").stat().st_size > 10_000


def test_the_static_report_shows_every_answer_of_a_batch(browser, sample_index, texts, tmp_path):
    batch = tmp_path / "answers.jsonl"
    batch.write_text("".join(json.dumps(row) + "\n" for row in [
        {"id": "copy", "text": texts["answer"]}, {"id": "clean", "text": texts["clean"]},
        {"id": "tricky", "text": "</script><script>document.title='pwned'</script> " + texts["paragraph"]}]))
    report = tmp_path / "report.html"
    done = subprocess.run([sys.executable, "-m", "copyguard", "check", "--index", str(sample_index),
                           "--batch", str(batch), "--html", str(report)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # flagged
    browser.get(report.as_uri())
    items = browser.find_elements(By.CSS_SELECTOR, "section.item")
    assert [i.find_element(By.TAG_NAME, "h2").text.split()[1] for i in items] == ["copy", "clean", "tricky"]
    assert [i.get_attribute("data-action") for i in items] == ["annotate", "allow", "annotate"]
    assert browser.title == "copyguard review"  # the answer's markup is shown as text, never run
    assert browser.find_element(By.ID, "form").is_displayed() is False
    assert "</script>" in items[2].text
    assert marks(items[0], "answer") and marks(items[0], "original")
    shot(browser, "review-report.png")
