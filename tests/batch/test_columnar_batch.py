"""The columnar batch path: the same output as the row-at-a-time path, row for row, on
tables with bad cells, duplicates and mixed kinds; Parquet in and out; a fault in the
columnar evaluator stops the batch; the Dask run equals the local run."""

from __future__ import annotations

import csv
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bench.synthetic import applicants, cells
from calculator import Calculator
from calculator.base.errors import EvaluationError, ProfileError
from calculator.batch import columnar
from calculator.batch.columns import KIND_COLUMN, header_of, input_fields
from calculator.batch.parquet import read_rows
from calculator.batch.run import screen_table

AS_OF = date(2026, 11, 21)


def _headers(kind: str) -> list[str]:
    return [header_of(kind, n) for n in input_fields(kind)]


def messy_rows(kind: str, count: int, seed: int) -> list[dict[str, Any]]:
    """Synthetic applicants with a few broken cells, blank rows and repeated applicants."""
    rng = random.Random(seed)
    rows = [cells(kind, data) for data in applicants(kind, count, seed)]
    headers = _headers(kind)
    for row in rng.sample(rows, count // 10):
        header = rng.choice(headers)
        row[header] = rng.choice(["abc", "-5", "2021-02-30", "是的", "9" * 30, "1.2.3", "  "])
    answerable = [header_of(kind, n) for n, spec in input_fields(kind).items() if spec.accepts_none]
    for row in rng.sample(rows, count // 10):  # explicit "no": known, unlike a blank
        row[rng.choice(answerable)] = "无"
    for _ in range(count // 20):
        rows.insert(rng.randrange(len(rows)), dict(rng.choice(rows)))
    rows.insert(rng.randrange(len(rows)), {})
    return rows


def write_csv(path: Path, headers: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, headers)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("kind", ["company", "talent"])
def test_columnar_writes_exactly_what_rows_write(tmp_path: Path, calc: Calculator, kind: str) -> None:
    source = write_csv(tmp_path / "in.csv", _headers(kind), messy_rows(kind, 400, 3))
    for engine in ("rows", "columnar"):
        screen_table(source, tmp_path / f"{engine}.jsonl", as_of=AS_OF, calculator=calc, engine=engine,
                     chunk_rows=128)
    rows, cols = jsonl(tmp_path / "rows.jsonl"), jsonl(tmp_path / "columnar.jsonl")
    assert rows == cols
    assert any(r["errors"] for r in rows) and any(r.get("eligible") for r in rows)
    assert any(r.get("near_misses") for r in rows) and any(r.get("needs_info") for r in rows)
    assert any("重复的申请" in e["message"] for r in rows for e in r["errors"])
    assert (tmp_path / "rows.summary.jsonl").read_text() == (tmp_path / "columnar.summary.jsonl").read_text()


def test_mixed_kinds_and_an_earlier_as_of(tmp_path: Path, calc: Calculator) -> None:
    headers = [KIND_COLUMN, *dict.fromkeys(_headers("company") + _headers("talent"))]
    rows = [{KIND_COLUMN: "企业", **r} for r in messy_rows("company", 100, 5)]
    rows += [{KIND_COLUMN: "人才", **r} for r in messy_rows("talent", 100, 6)]
    random.Random(1).shuffle(rows)
    rows.append({KIND_COLUMN: "公司", header_of("company", "name"): "甲"})
    source = write_csv(tmp_path / "in.csv", headers, rows)
    for engine in ("rows", "columnar"):
        screen_table(source, tmp_path / f"{engine}.jsonl", as_of=date(2023, 3, 1), calculator=calc,
                     engine=engine)
    assert jsonl(tmp_path / "rows.jsonl") == jsonl(tmp_path / "columnar.jsonl")


def test_parquet_in_and_out_equals_csv(tmp_path: Path, calc: Calculator) -> None:
    rows = messy_rows("company", 150, 8)
    headers = _headers("company")
    source = write_csv(tmp_path / "in.csv", headers, rows)
    table = pl.read_csv(source, infer_schema=False)
    table.write_parquet(tmp_path / "in.parquet")
    screen_table(source, tmp_path / "out.csv", as_of=AS_OF, calculator=calc)
    result = screen_table(tmp_path / "in.parquet", tmp_path / "out.parquet", as_of=AS_OF, calculator=calc)
    assert result.outputs == [tmp_path / "out.parquet", tmp_path / "out.summary.parquet",
                              tmp_path / "out.errors.parquet"]
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        expected = list(csv.reader(handle))
    got = read_rows(tmp_path / "out.parquet")
    assert [list(r) for r in got[0:1]] and list(got[0]) == expected[0]
    assert [["" if v is None else str(v) for v in r.values()] for r in got] == expected[1:]


def test_a_fault_in_the_columnar_evaluator_stops_the_batch(tmp_path: Path, calc: Calculator,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_csv(tmp_path / "in.csv", _headers("company"),
                       [cells("company", d) for d in applicants("company", 50, 2)])
    original = columnar.decision

    def never_needs_info(plan: Any, item: Any) -> Any:
        # A fault: unknown treated as not shown, as a two-valued evaluator would.
        return original(plan, item).replace(columnar.NEEDS_INFO, columnar.NOT_SHOWN)

    monkeypatch.setattr(columnar, "decision", never_needs_info)
    columnar._screeners.clear()
    with pytest.raises(EvaluationError, match="列式筛查与逐行筛查的结果不一致"):
        screen_table(source, tmp_path / "out.jsonl", as_of=AS_OF, calculator=calc)
    columnar._screeners.clear()


def test_sample_is_deterministic_and_near_its_rate() -> None:
    chosen = [n for n in range(2, 100_002) if columnar.sampled(n, 0.01)]
    assert chosen == [n for n in range(2, 100_002) if columnar.sampled(n, 0.01)]
    assert 800 < len(chosen) < 1200
    assert all(columnar.sampled(n, 1.0) for n in range(50))
    assert not any(columnar.sampled(n, 0.0) for n in range(50))


def test_dask_local_cluster_equals_the_local_run(tmp_path: Path, calc: Calculator) -> None:
    from calculator.batch.distributed import screen_dataset

    kind = "company"
    rows = messy_rows(kind, 240, 11)
    for number, row in enumerate(rows):  # a column of the user's own, carried to the output
        row["受理编号"] = f"SZ-{number:04d}" if number % 7 else ""
    headers = [*_headers(kind), "受理编号"]
    parts = tmp_path / "parts"
    parts.mkdir()
    size = len(rows) // 3 + 1
    for i in range(3):  # one partition in Parquet, two in CSV: both are read
        chunk = rows[i * size:(i + 1) * size]
        if i == 1:
            pl.read_csv(write_csv(tmp_path / "p1.csv", headers, chunk), infer_schema=False).write_parquet(
                parts / "part-1.parquet")
        else:
            write_csv(parts / f"part-{i}.csv", headers, chunk)
    whole = write_csv(tmp_path / "whole.csv", headers, rows)
    local = screen_table(whole, tmp_path / "local.parquet", as_of=AS_OF, calculator=calc)
    remote = screen_dataset(parts, tmp_path / "out", address="local", as_of=AS_OF, calculator=calc)
    merged = [row for i in range(3) for row in read_rows(tmp_path / "out" / f"part-{i:05d}.parquet")]
    assert merged == read_rows(tmp_path / "local.parquet")
    assert "受理编号" in merged[0] and merged[1]["受理编号"] == "SZ-0001"
    assert remote.passthrough == local.passthrough == ("受理编号",)
    assert remote.unknown_columns == local.unknown_columns
    assert read_rows(tmp_path / "out" / "summary.parquet") == read_rows(tmp_path / "local.summary.parquet")
    assert (remote.read, remote.with_errors, remote.duplicates) == (local.read, local.with_errors,
                                                                    local.duplicates)
    assert remote.duplicates > 0


@pytest.mark.parametrize("as_of", [date(2022, 6, 1), date(2025, 6, 30), date(2027, 1, 1)])
def test_corpus_screenings_equal_calculator_screen(calc: Calculator, as_of: date) -> None:
    from calculator import load_profile
    from calculator.profiles.models import profile_values

    from ..conftest import PROFILES

    screener = columnar.ColumnarScreener(calc, as_of)
    checked = 0
    for path in sorted(PROFILES.glob("*.yaml")):
        profile = load_profile(path)
        try:
            values = profile_values(profile, as_of)
        except ProfileError:  # a fact dated after this as_of: the row path refuses the profile too
            continue
        shown = screener.codes(profile.kind, [values])[0]
        assert screener.screening(profile.kind, profile.name, values, shown) == calc.screen(profile, as_of)
        checked += 1
    assert checked >= 5
