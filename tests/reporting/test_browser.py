"""The HTML report in a real headless Chromium (Debian's ``chromium``, fonts-noto-cjk):
it renders, the Chinese is drawn with a CJK font rather than as tofu, and the 3000万元
award and its quote are visible on the page. A screenshot is kept in tests/artifacts/.

CI (``.ci/run``) installs the browser and sets POLICYCALC_REQUIRE_BROWSER=1, so there a
missing browser fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from calculator import Calculator, load_profile
from calculator.reporting.files import write_report

from ..conftest import PROFILES, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "tests" / "artifacts"
CJK_FONTS = ("Noto Sans CJK", "Noto Serif CJK", "Source Han", "WenQuanYi", "Droid Sans Fallback")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None or not _has_playwright():
        if os.environ.get("POLICYCALC_REQUIRE_BROWSER"):
            pytest.fail("需要 chromium 和 playwright（.ci/run 会安装）")
        pytest.skip("chromium 或 playwright 未安装")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=["--no-sandbox", "--disable-gpu"])
        yield instance
        instance.close()


def _has_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def page(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    calc = Calculator.load()
    report = calc.evaluate(load_profile(PROFILES / "global500-first-entry.yaml"), "2025-06-01")
    path = write_report(report, tmp_path_factory.mktemp("report") / "报告.html", calc.bundle.groups)
    context = browser.new_context(viewport={"width": 1000, "height": 1400}, offline=True)
    tab = context.new_page()
    requests: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(path.as_uri())
    tab.wait_for_load_state("load")
    yield tab
    # The page asks for nothing beyond itself.
    assert [url for url in requests if not url.startswith("file:")] == []
    context.close()


def _fonts(tab: Any, selector: str) -> list[tuple[str, int]]:
    """The fonts Chromium actually used to draw the element's text, with glyph counts."""
    session = tab.context.new_cdp_session(tab)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [(f["familyName"], int(f["glyphCount"])) for f in fonts]


def test_chinese_text_is_drawn_with_a_cjk_font(page: Any) -> None:
    fonts = _fonts(page, "h1")
    title = page.inner_text("h1")
    cjk = [n for name, n in fonts if name.startswith(CJK_FONTS)]
    assert cjk, fonts
    han = sum(1 for ch in title if "\u4e00" <= ch <= "\u9fff")
    assert sum(cjk) >= han > 0, (fonts, title)


def test_different_characters_look_different(page: Any) -> None:
    """Tofu draws every missing character as the same box: two different strings of the
    same length would then give identical pixels."""
    page.evaluate("""() => {
        for (const [id, text] of [["a", "确定可得"], ["b", "政策原文"]]) {
            const el = document.createElement("span");
            el.id = "probe-" + id; el.textContent = text;
            el.style.cssText = "font-size:40px;display:inline-block;background:#fff;color:#000";
            document.body.prepend(el);
        }
    }""")
    a = page.locator("#probe-a").screenshot()
    b = page.locator("#probe-b").screenshot()
    width = page.evaluate("() => document.getElementById('probe-a').getBoundingClientRect().width")
    page.evaluate("() => { for (const id of ['a', 'b']) document.getElementById('probe-' + id).remove(); }")
    assert a != b
    # Four full-width characters at 40px: about 160px wide.
    assert 150 <= width <= 170, width


def test_the_award_and_its_quote_are_visible(page: Any) -> None:
    award = page.locator("#clause-global-500-first-entry-award")
    assert award.is_visible()
    assert award.locator(".amount").inner_text() == "3000万元"
    quote = award.locator("blockquote")
    assert quote.is_visible()
    assert "对首次入选 “世界500强”的企业给予3000万元奖励" in quote.inner_text()
    box = quote.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 10
    answer = page.locator("#answer")
    assert answer.is_visible() and "确定可得" in answer.inner_text()


def test_screenshot_is_kept(page: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "report-global500.png"
    page.locator("#clause-global-500-first-entry-award").scroll_into_view_if_needed()
    page.screenshot(path=str(target), full_page=False)
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / "report-global500-print.png"), full_page=False)
    page.emulate_media(media="screen")
    assert target.stat().st_size > 10_000
    pdf = page.pdf(format="A4")
    (ARTIFACTS / "report-global500.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
