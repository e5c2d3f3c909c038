"""The self-check page at ``/``: a firm or a talent answers the interview in a browser and
sees, after every answer, what it qualifies for, how much, the policy's own words, and
what is still to fill in; the printable report is one button away.

Server-rendered (Jinja2, autoescaped), plain HTML forms, no script and nothing loaded from
outside the service, so it works on an intranet and with the keyboard alone. The server
keeps no session: the answers so far travel in a hidden field as the texts the person
typed, and every request reads them again with the interview's own parser (a tampered
field is refused like a mistyped answer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..base.errors import ProfileError
from ..profiles.fields import FIELDS
from ..reporting.html import render_html
from ..reporting.summary import KIND_LABELS, Summary, summarize
from ..results.calculator import Calculator, package_version
from ..results.interview import Interview, Question, questions_from
from ..results.report import Report

#: Questions shown at once, the one deciding the most money first.
QUESTIONS_SHOWN = 5
#: Largest form body the page accepts.
MAX_FORM_BYTES = 64 * 1024
#: Content-Security-Policy of the page: everything from the service itself, no script.
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
               "base-uri 'none'")
#: The printable report carries its own styles (it is also saved as a file).
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'"


def static_directory() -> Path:
    return Path(str(resources.files("calculator.service"))) / "static"


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("calculator.service", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


@dataclass
class Page:
    """What one rendering of the page shows."""

    kind: str = ""
    name: str = ""
    as_of: str = ""
    #: problems with the form as a whole (kind, name, date)
    start_errors: list[str] = field(default_factory=list)
    #: field -> the Chinese message for an answer that could not be read
    errors: dict[str, str] = field(default_factory=dict)
    #: field -> the text typed, for a refused answer shown again
    typed: dict[str, str] = field(default_factory=dict)
    #: the texts accepted so far, field -> text
    answers: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    summary: Summary | None = None
    report_html: str | None = None

    @property
    def started(self) -> bool:
        return self.summary is not None

    def state(self) -> str:
        return json.dumps({"kind": self.kind, "name": self.name, "as_of": self.as_of,
                           "answers": self.answers, "skipped": self.skipped}, ensure_ascii=False)

    def labels(self) -> dict[str, str]:
        specs = FIELDS.get(self.kind, {})
        return {name: spec.label for name, spec in specs.items()}


def parse_form(raw: bytes) -> list[tuple[str, str]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileError("表单不是 UTF-8 编码") from None
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=500)
    except ValueError:
        raise ProfileError("表单的字段过多（最多 500 个）") from None


def _state(form: list[tuple[str, str]]) -> dict[str, Any]:
    given = next((v for k, v in form if k == "state"), "")
    if not given:
        return {}
    try:
        state = json.loads(given)
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def interview_page(calculator: Calculator, form: list[tuple[str, str]]) -> Page:
    """Read the form (start fields, hidden answers so far, new answers, a 跳过 button) and
    work out what the page shows next. ``action=report`` also renders the printable report."""
    state = _state(form)
    values: dict[str, list[str]] = {}
    for key, value in form:
        values.setdefault(key, []).append(value)

    def one(key: str) -> str:
        return (values.get(key) or [""])[0].strip()

    page = Page(kind=str(state.get("kind") or one("kind")), name=str(state.get("name") or one("name")),
                as_of=str(state.get("as_of") or one("as_of") or date.today().isoformat()))
    if page.kind not in KIND_LABELS:
        page.start_errors.append("请选择档案类型：企业/机构 或 人才")
    if not page.name:
        page.start_errors.append("请填写名称（企业全称或姓名）")
    try:
        when = date.fromisoformat(page.as_of)
    except ValueError:
        page.start_errors.append(f"评估日期应为 YYYY-MM-DD，实际为 {page.as_of}")
        when = date.today()
    if page.start_errors:
        return page
    interview = Interview(page.kind, page.name)
    saved = state.get("answers") if isinstance(state.get("answers"), dict) else {}
    for name, text in (saved or {}).items():
        _give(interview, page, str(name), str(text))
    for name in state.get("skipped") or []:
        _give(interview, page, str(name), "不知道")
    for key, texts in values.items():
        if key.startswith("q."):
            name = key[2:]
            text = "、".join(t.strip() for t in texts if t.strip())
            if text:
                _give(interview, page, name, text)
    for name in values.get("skip", []):
        _give(interview, page, name, "不知道")
    report = _evaluate(calculator, interview, page, when)
    groups = calculator.bundle.groups
    page.questions = questions_from(report, groups, interview.skipped, limit=QUESTIONS_SHOWN)
    # A refused answer's question is asked again even if it no longer ranks among the first.
    asked = {q.field for q in page.questions}
    missing = [f for f in page.errors if f not in asked]
    if missing:
        extra = [q for q in questions_from(report, groups, interview.skipped, limit=None)
                 if q.field in missing]
        page.questions = extra + page.questions
    page.summary = summarize(report, groups)
    if one("action") == "report":
        page.report_html = render_html(report, groups)
    return page


def _evaluate(calculator: Calculator, interview: Interview, page: Page, when: date) -> Report:
    """The report for the answers; an answer the evaluation date contradicts (an award
    "first won" after it) is taken back and shown as a mistake on its question."""
    while True:
        try:
            return calculator.evaluate(interview.profile(), when)
        except ProfileError as err:
            wrong = [p for p in err.problems if p.path in interview.answers]
            if not wrong:
                raise
            for problem in wrong:
                page.errors[problem.path] = problem.message
                page.typed[problem.path] = page.answers.pop(problem.path, "")
                interview.answers.pop(problem.path)


def _give(interview: Interview, page: Page, name: str, text: str) -> None:
    try:
        value = interview.give(name, text)
    except ProfileError as err:
        page.errors[name] = str(err)
        page.typed[name] = text
        return
    if name in interview.skipped:
        page.answers.pop(name, None)
        if name not in page.skipped:
            page.skipped.append(name)
    else:
        page.answers[name] = text
        if name in page.skipped:
            page.skipped.remove(name)
    del value


def render(page: Page) -> str:
    labels = page.labels()
    return _environment().get_template("index.html.j2").render(
        p=page, kinds=KIND_LABELS, labels=labels, version=package_version())
