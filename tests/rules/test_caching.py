"""The compiled-bundle cache: a hit gives exactly what loading the files gives, any change
to the files is a miss, and a cache that is damaged, unwritable or not the user's own is
never used and never an error."""

from __future__ import annotations

import logging
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest

import calculator.results.calculator as calculator_module
from calculator import Calculator, load_profile
from calculator.base.errors import RuleFileError
from calculator.rules import caching
from calculator.rules.loading import content_digest

from ..conftest import PROFILES, RULES

AS_OF = "2025-06-30"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


@pytest.fixture
def store(tmp_path: Path) -> Path:
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    return directory


class Loads:
    """Counts how often the rule files are actually read and linked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = calculator_module.load_bundle

        def counted(directory: Any) -> Any:
            self.count += 1
            return real(directory)
        monkeypatch.setattr(calculator_module, "load_bundle", counted)


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("bundle-*.pickle"))


def reports(calc: Calculator) -> list[str]:
    return [calc.evaluate(load_profile(p), AS_OF, detail="full").model_dump_json()
            for p in sorted(PROFILES.glob("*.yaml"))]


def test_a_hit_evaluates_exactly_like_loading_the_files(rules: Path, store: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    loads = Loads(monkeypatch)
    Calculator.load(rules, cache=store)
    assert loads.count == 1 and len(entries(store)) == 1
    cached = Calculator.load(rules, cache=store)
    assert loads.count == 1  # read from the cache, not from the files
    fresh = Calculator.load(rules, cache=False)
    assert loads.count == 2 and len(entries(store)) == 1
    assert cached.bundle == fresh.bundle
    assert cached.rules_version == fresh.rules_version
    assert reports(cached) == reports(fresh)
    # Field specs are the catalogue's own objects again, not copies.
    from calculator.profiles.fields import FIELDS
    rule = next(r for r in cached.bundle.clauses if r.condition is not None)
    from calculator.rules.conditions import leaves
    assert all(leaf.field is FIELDS[rule.profile_kind][leaf.field.name] for leaf in leaves(rule.condition))


def test_one_changed_byte_is_a_miss(rules: Path, store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loads = Loads(monkeypatch)
    before = Calculator.load(rules, cache=store)
    path = sorted(rules.glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    title = before.bundle.clauses[[r.file for r in before.bundle.clauses].index(str(path))].clause.title
    assert text.count(f"title: {title}\n") == 1
    path.write_text(text.replace(f"title: {title}\n", f"title: {title}X\n"), encoding="utf-8")
    after = Calculator.load(rules, cache=store)
    assert loads.count == 2
    assert after.rules_version != before.rules_version
    assert title + "X" in {r.clause.title for r in after.bundle.clauses}
    assert len(entries(store)) == 2


def test_the_same_files_in_another_folder_name_their_own_files(rules: Path, store: Path,
                                                               tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(rules, other)
    Calculator.load(rules, cache=store)
    moved = Calculator.load(other, cache=store)
    assert all(r.file.startswith(str(other)) for r in moved.bundle.clauses)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "not a bundle", "other key"])
def test_a_damaged_entry_is_ignored_and_rebuilt(damage: str, rules: Path, store: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    fresh = Calculator.load(rules, cache=False)
    Calculator.load(rules, cache=store)
    (entry,) = entries(store)
    data = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        entry.write_bytes(data[:-100] + bytes([data[-100] ^ 1]) + data[-99:])
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        stored_key = entry.name[len("bundle-"):-len(".pickle")]
        value: Any = (stored_key, "not a bundle") if damage == "not a bundle" else ("x" * 40, None)
        payload = pickle.dumps(value)
        import hashlib
        entry.write_bytes(caching._MAGIC + hashlib.sha256(payload).digest() + payload)
    loads = Loads(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="policycalc.cache"):
        again = Calculator.load(rules, cache=store)
    assert loads.count == 1
    assert "忽略规则缓存" in caplog.text and "重新加载规则" in caplog.text
    assert reports(again) == reports(fresh)
    # ...and the entry was written anew: the next load is a hit.
    Calculator.load(rules, cache=store)
    assert loads.count == 1


def test_an_unusable_folder_loads_from_the_files(rules: Path, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="policycalc.cache"):
        calc = Calculator.load(rules, cache=blocker / "cache")
    assert "不使用规则缓存" in caplog.text
    assert calc.bundle.clauses


def test_a_failed_write_is_logged_never_raised(rules: Path, store: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(caching.tempfile, "mkstemp", refuse)
    with caplog.at_level(logging.WARNING, logger="policycalc.cache"):
        calc = Calculator.load(rules, cache=store)
    assert "规则未写入缓存" in caplog.text and calc.bundle.clauses
    assert entries(store) == [] and list(store.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to a read-only folder")
def test_a_read_only_folder_is_not_written(rules: Path, store: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    store.chmod(0o500)
    try:
        with caplog.at_level(logging.WARNING, logger="policycalc.cache"):
            calc = Calculator.load(rules, cache=store)
    finally:
        store.chmod(0o700)
    assert "规则未写入缓存" in caplog.text and calc.bundle.clauses and entries(store) == []


def test_a_folder_others_may_write_is_refused(rules: Path, store: Path, monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    Calculator.load(rules, cache=store)
    store.chmod(0o777)
    loads = Loads(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="policycalc.cache"):
        Calculator.load(rules, cache=store)
    assert loads.count == 1  # the entry there was not read
    assert "其他用户可写" in caplog.text


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_a_folder_of_another_user_is_refused(rules: Path, store: Path, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    Calculator.load(rules, cache=store)
    os.chown(store, 65534, 65534)
    loads = Loads(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="policycalc.cache"):
        Calculator.load(rules, cache=store)
    assert loads.count == 1 and "不属于当前用户" in caplog.text


def test_an_entry_others_may_write_or_a_link_is_not_read(rules: Path, store: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    Calculator.load(rules, cache=store)
    (entry,) = entries(store)
    entry.chmod(0o666)
    loads = Loads(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="policycalc.cache"):
        Calculator.load(rules, cache=store)
    assert loads.count == 1 and "其他用户可写" in caplog.text
    # The rewritten entry is private again; a symbolic link in its place is not followed.
    assert entry.stat().st_mode & 0o077 == 0
    elsewhere = tmp_path / "elsewhere.pickle"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    Calculator.load(rules, cache=store)
    assert loads.count == 2


def test_new_folders_are_private_and_the_environment_chooses(rules: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "xdg" / "policycalc"
    monkeypatch.delenv(caching.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert caching.default_directory() == target
    Calculator.load(rules)
    assert len(entries(target)) == 1 and target.stat().st_mode & 0o077 == 0
    for off in ("off", "0", ""):
        monkeypatch.setenv(caching.CACHE_ENV, off)
        assert caching.default_directory() is None
    monkeypatch.setenv(caching.CACHE_ENV, str(tmp_path / "chosen"))
    Calculator.load(rules)
    assert len(entries(tmp_path / "chosen")) == 1


def test_old_entries_are_removed(rules: Path, store: Path) -> None:
    path = sorted(rules.glob("*.yaml"))[0]
    for i in range(caching.MAX_ENTRIES + 2):
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"# {i}\n")
        Calculator.load(rules, cache=store)
    assert len(entries(store)) == caching.MAX_ENTRIES


def test_rules_that_do_not_load_are_reported_as_without_a_cache(tmp_path: Path, store: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.yaml").write_text("clauses: 3\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as cached:
        Calculator.load(tmp_path / "bad", cache=store)
    with pytest.raises(RuleFileError) as plain:
        Calculator.load(tmp_path / "bad", cache=False)
    assert str(cached.value) == str(plain.value)
    assert entries(store) == []
    assert content_digest(tmp_path / "missing") is None
