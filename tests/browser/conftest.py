"""One Playwright driver per test module (test_page.py keeps its own)."""

import pytest
from playwright.sync_api import sync_playwright


@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as p:
        yield p
