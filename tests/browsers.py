"""Debian's ``chromium`` driven by Playwright (the system browser, never a download), for
the tests that look at a page as a person would. Where CI sets
POLICYCALC_REQUIRE_BROWSER=1 a missing browser fails the test instead of skipping it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "tests" / "artifacts"


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), or a skip (a failure in CI)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if CHROMIUM is None or sync_playwright is None:
        if os.environ.get("POLICYCALC_REQUIRE_BROWSER"):
            pytest.fail("需要 chromium 和 playwright（.ci/run 会安装）")
        pytest.skip("chromium 或 playwright 未安装")
    with sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=["--no-sandbox", "--disable-gpu"])
        try:
            yield instance
        finally:
            instance.close()
