"""One Chromium for the browser tests of this folder, its console emptied before each."""

import pytest

from tests.browser import DESKTOP, console_errors, emulate, start_chromium


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium):
    chromium.get("about:blank")
    console_errors(chromium)
    emulate(chromium, DESKTOP)
    yield chromium
    chromium.get("about:blank")  # stop a live page's polling before its server goes
