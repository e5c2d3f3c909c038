"""The report as one self-contained, printable HTML page: inline CSS with print rules and
Chinese font names for screen and print, no scripts, no external assets.

The page is a Jinja2 template shipped with the package (``templates/report.html.j2``);
autoescaping is on, so policy text and names can never become markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..results.report import Report
from ..rules.schema import StackingGroup
from .summary import Summary, summarize


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("calculator.reporting", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_summary(summary: Summary) -> str:
    return _environment().get_template("report.html.j2").render(s=summary)


def render_html(report: Report, groups: Sequence[StackingGroup] = (), *,
                include_all: bool = False) -> str:
    """The page for ``report``; ``groups`` are the rules' stacking groups
    (``calc.bundle.groups``); ``include_all`` adds the clauses that do not apply, are not
    in force or are 政策导向."""
    return render_summary(summarize(report, groups, include_all=include_all))


__all__ = ["render_html", "render_summary"]
