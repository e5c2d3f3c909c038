"""The self-check page in a real browser: Debian's ``chromium`` driven by Playwright (the
system browser, no download), against ``policycalc serve`` in a subprocess.

A Global 500 firm fills the page in and sees the 3000万元 award with the policy's own
words; 不知道 skips a question; a wrong answer is named; the keyboard alone suffices; a
phone-width screen has no sideways scrolling; ``/docs`` and ``/redoc`` draw without the
internet. No request ever leaves the service. Screenshots are kept in tests/artifacts/.

CI (``.ci/run``) installs the browser and sets POLICYCALC_REQUIRE_BROWSER=1, so there a
missing browser fails instead of skipping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from calculator.base.yamlio import read_file

from ..browsers import ARTIFACTS, chromium
from ..conftest import PROFILES, shipped_calculator
from .serving import running_service

AWARD = "global-500-first-entry-award"
AS_OF = "2025-06-30"  # inside the 2022 policies' in-force period
GLOBAL500 = PROFILES / "global500-first-entry.yaml"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_service(tmp_path_factory.mktemp("page") / "server.log") as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def tab(browser: Any, base_url: str) -> Iterator[Any]:
    """A fresh page; afterwards, every request it made must have gone to the service."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_default_timeout(20_000)
    yield page
    context.close()
    outside = [url for url in requested if not url.removeprefix("blob:").startswith((base_url, "data:"))]
    assert outside == [], outside


def _shot(page: Any, name: str, full: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    page.screenshot(path=str(target), full_page=full)
    assert target.stat().st_size > 5_000


def _start(page: Any, base_url: str, kind: str = "企业/机构",
           name: str = "苏州恒远新材料集团有限公司") -> None:
    page.goto(base_url + "/")
    page.get_by_label(kind).check()
    page.get_by_label("名称（企业全称或姓名）").fill(name)
    page.get_by_label("评估日期").fill(AS_OF)
    page.get_by_role("button", name="开始").click()
    page.wait_for_selector("#questions")


def _fields_asked(page: Any) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(".question", "nodes => nodes.map(n => n.id)")
    return [i.removeprefix("question-") for i in ids]


def _answer_as_in(page: Any, known: dict[str, Any]) -> None:
    """Answer every question shown from the profile's facts; leave the others blank."""
    for name in _fields_asked(page):
        if name not in known:
            continue
        value = known[name]
        question = page.locator(f"#question-{name}")
        if isinstance(value, list):
            for choice in value:
                question.get_by_label(choice, exact=True).check()
        elif question.locator("select").count():
            question.locator("select").select_option(str(value))
        elif question.locator("input[type=radio]").count():
            question.get_by_label("是" if value else "否", exact=True).check()
        else:
            text = value.isoformat() if isinstance(value, date) else str(value)
            question.locator("input[type=text]").fill(text)
    page.get_by_role("button", name="提交回答").last.click()
    page.wait_for_selector("#results-title")


def test_a_global500_firm_sees_the_3000万元_award_and_its_quote(tab: Any, base_url: str) -> None:
    known = read_file(GLOBAL500).data
    _start(tab, base_url)
    # The award's fact is asked at once, with what hangs on it.
    assert "global500_first_entry_year" in _fields_asked(tab)
    assert "3000万元" in tab.locator("#question-global500_first_entry_year .stake").inner_text()
    _shot(tab, "selfcheck-start.png", full=False)
    for _ in range(4):
        _answer_as_in(tab, known)
        if tab.locator(f"#clause-{AWARD}.status-eligible").count():
            break
    award = tab.locator(f"#clause-{AWARD}")
    assert award.is_visible()
    assert award.locator(".amount").inner_text() == "3000万元"
    assert award.locator(".status").inner_text() == "符合"
    quote = shipped_calculator().bundle.clause(AWARD).clause.citation.quote
    assert award.locator("blockquote").inner_text() == quote
    assert "3000万元" in quote
    assert "中国工业报" in award.locator(".cite").inner_text()
    assert "确定可得" in tab.locator(".headline").inner_text()
    # The answers given are listed, as typed.
    assert "首次入选世界500强年份" in tab.locator(".answers").inner_text()
    award.scroll_into_view_if_needed()
    _shot(tab, "selfcheck-global500.png", full=False)
    _shot(tab, "selfcheck-global500-full.png")

    with tab.context.expect_page() as opened:
        tab.get_by_role("button", name="打开可打印的报告").click()
    report = opened.value
    report.wait_for_load_state("load")
    printed = report.locator(f"#clause-{AWARD}")
    assert printed.locator(".amount").inner_text() == "3000万元"
    assert quote in printed.locator("blockquote").inner_text()
    report.emulate_media(media="print")
    _shot(report, "selfcheck-report-print.png", full=False)


def test_不知道_skips_the_question(tab: Any, base_url: str) -> None:
    _start(tab, base_url)
    first = tab.locator("#q-global500_first_entry_year")
    first.fill("不知道")
    first.press("Enter")
    tab.wait_for_selector("#skipped")
    assert "global500_first_entry_year" not in _fields_asked(tab)
    assert "首次入选世界500强年份" in tab.locator("#skipped").inner_text()
    # The 跳过 button does the same for the question now first.
    second = _fields_asked(tab)[0]
    tab.locator(f"#question-{second}").get_by_role("button", name="不知道，跳过").click()
    tab.wait_for_selector("#skipped")
    assert second not in _fields_asked(tab)
    assert "global500_first_entry_year" not in _fields_asked(tab)  # still skipped
    # Skipped is not "no": the award is still open, waiting for the fact.
    award = tab.locator(f"#clause-{AWARD}")
    assert award.locator(".status").inner_text() == "待补充信息"
    _shot(tab, "selfcheck-skipped.png", full=False)


def test_an_unreadable_answer_is_named_and_kept(tab: Any, base_url: str) -> None:
    _start(tab, base_url)
    tab.locator("#q-global500_first_entry_year").fill("很多年")
    tab.get_by_role("button", name="提交回答").last.click()
    alert = tab.get_by_role("alert")
    assert "首次入选世界500强年份" in alert.inner_text()
    field = tab.locator("#q-global500_first_entry_year")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.input_value() == "很多年"
    _shot(tab, "selfcheck-error.png", full=False)


def test_the_keyboard_alone_suffices(tab: Any, base_url: str) -> None:
    tab.goto(base_url + "/")
    # The name field has the focus; Tab reaches the date; Enter starts.
    tab.keyboard.type("苏州键盘科技有限公司")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.id") == "as_of"
    tab.locator("#as_of").fill(AS_OF)
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#questions")
    # The first question (所在板块, a list) has the focus: arrow keys choose, Tab goes on
    # to the year; type it and press Enter.
    first = _fields_asked(tab)[0]
    assert first == "district" and tab.evaluate("document.activeElement.id") == f"q-{first}"
    for _ in range(15):
        if tab.locator("#q-district").input_value() == "吴江区":
            break
        tab.keyboard.press("ArrowDown")
    assert tab.locator("#q-district").input_value() == "吴江区"
    for _ in range(40):
        if tab.evaluate("document.activeElement.id") == "q-global500_first_entry_year":
            break
        tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.id") == "q-global500_first_entry_year"
    tab.keyboard.type("2024")
    tab.keyboard.press("Enter")
    tab.wait_for_selector(f"#clause-{AWARD}.status-eligible")
    # Every form control has a name a screen reader can read.
    unnamed = tab.eval_on_selector_all(
        "input:not([type=hidden]), select",
        "nodes => nodes.filter(n => !(n.labels && n.labels.length) && !n.closest('fieldset'))"
        ".map(n => n.name)")
    assert unnamed == []


def test_a_narrow_screen_needs_no_sideways_scrolling(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True,
                                  device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    try:
        _start(page, base_url)
        page.locator("#q-district").select_option("吴江区")
        page.locator("#q-global500_first_entry_year").fill("2024")
        page.get_by_role("button", name="提交回答").last.click()
        page.wait_for_selector(f"#clause-{AWARD}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        box = page.locator(f"#clause-{AWARD}").bounding_box()
        assert box is not None and box["width"] <= 360
        _shot(page, "selfcheck-narrow.png", full=False)
    finally:
        context.close()


@pytest.mark.parametrize(("path", "drawn"), [("/docs", ".opblock"), ("/redoc", "[data-section-id]")])
def test_the_api_docs_draw_without_the_internet(tab: Any, base_url: str, path: str, drawn: str) -> None:
    tab.goto(base_url + path)
    tab.wait_for_selector(drawn)
    assert "/v1/evaluate" in tab.content()
    _shot(tab, f"docs{path.replace('/', '-')}.png", full=False)
