"""One Playwright driver per test module (test_page.py keeps its own)."""

import pytest
from playwright.sync_api import sync_playwright


@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def axe() -> str:
    """axe-core's source, for helpers.assert_accessible."""
    from tests.browser.helpers import axe_source

    return axe_source()
