"""Driving Debian's Chromium from tests through its own chromedriver (Selenium).

Nothing is downloaded: the driver's path is given, so Selenium Manager never runs, and
``SE_OFFLINE`` forbids it anyway. Missing Chromium is a failure, not a skip: CI
installs it (``.ci/run``), and a browser test that quietly does not run proves nothing.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import JavascriptException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Generous: the machine may be busy. Waits poll the page; none decides by sleeping.
TIMEOUT = 60
FLAGS = (
    "--headless",
    "--no-sandbox",  # we run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
)
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}


def start_chromium(profile: Path) -> webdriver.Chrome:
    """A headless Chromium with a fresh profile in ``profile``; fails if none is installed."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(
            f"browser tests need Debian's chromium and chromium-driver ({', '.join(missing)} "
            "missing): apt-get install -y --no-install-recommends chromium chromium-driver"
        )
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(TIMEOUT)
    driver.set_script_timeout(TIMEOUT)
    return driver


def console_errors(driver: webdriver.Chrome) -> list[str]:
    """The console's errors since the last call (reading the log empties it)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def inner_text(driver: webdriver.Chrome, element: WebElement) -> str:
    """What the element shows as text, as the browser lays it out (its ``innerText``)."""
    return driver.execute_script("return arguments[0].innerText", element)


def text_of(driver: webdriver.Chrome, selector: str) -> str | None:
    """The ``innerText`` of the first element matching ``selector``, or None.

    One script, so a page that reloads meanwhile cannot leave a stale element behind.
    """
    script = "const found = document.querySelector(arguments[0]); return found && found.innerText"
    return driver.execute_script(script, selector)


def emulate(driver: webdriver.Chrome, metrics: dict[str, object]) -> None:
    """Lay pages out at a device's width (``PHONE`` or ``DESKTOP``)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def screenshot(driver: webdriver.Chrome, path: Path) -> Path:
    """The whole page, not only the viewport, as a PNG at ``path``."""
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def wait(driver: webdriver.Chrome, condition, message: str, timeout: float = TIMEOUT):
    """Poll ``condition(driver)`` until it is truthy; fail with ``message`` after ``timeout``.

    A page that is reloading may answer a poll with a stale element or an unloaded
    document: that poll counts as "not yet".
    """
    ignored = (StaleElementReferenceException, JavascriptException)
    waiting = WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=ignored)
    return waiting.until(condition, message)
