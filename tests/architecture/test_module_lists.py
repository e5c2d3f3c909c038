"""docs/architecture.md names every module of every package, and no module that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| (?:`calculator/(\w+)`)? ?\|.*\| (.*) \|$")


def listed_modules() -> dict[str, set[str]]:
    """Package -> the modules its table rows name; a row with no package continues the one above."""
    listed: dict[str, set[str]] = {}
    package = None
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match is None:
            package = None
            continue
        package = match[1] or package
        if package is not None:
            listed.setdefault(package, set()).update(re.findall(r"`(\w+)`", match[2]))
    return listed


def test_every_package_lists_exactly_its_modules() -> None:
    listed = listed_modules()
    packages = {p.parent.name for p in (ROOT / "calculator").glob("*/__init__.py")} - {"shipped"}
    assert set(listed) == packages
    for package in sorted(packages):
        modules = {p.stem for p in (ROOT / "calculator" / package).glob("*.py") if p.stem != "__init__"}
        assert listed[package] == modules, (package, "unlisted:", sorted(modules - listed[package]),
                                            "gone:", sorted(listed[package] - modules))
