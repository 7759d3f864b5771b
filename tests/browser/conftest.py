"""One Playwright driver per test module (test_page.py keeps its own)."""

import pytest
from playwright.sync_api import expect, sync_playwright

# Playwright waits 5 s by default for a page to reach what a test expects; a server on a
# machine whose cores are busy can take longer to answer. What is expected is unchanged.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def axe() -> str:
    """axe-core's source, for helpers.assert_accessible."""
    from tests.browser.helpers import axe_source

    return axe_source()
