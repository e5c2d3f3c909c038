"""policycalc: the command line. Each command parses its arguments, calls one library
function and renders the result; the rules themselves live in ``calculator``."""

from __future__ import annotations

import json as json_module
import sys
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from calculator import Calculator, CalculatorError, Report, load_profile
from calculator.base.money import format_money
from calculator.batch.run import ENGINES, BatchResult, screen_table
from calculator.batch.template import write_template
from calculator.results.amounts import describe
from calculator.results.describe import condition_lines
from calculator.results.report import STATUS_LABELS, ClauseResult
from calculator.rules.citations import verify
from calculator.rules.linting import lint
from calculator.rules.loading import scope_text
from calculator.rules.schema import STATUS_LABELS as DOC_STATUS_LABELS
from calculator.rules.schema import SUPPORT_LABELS, TARGET_LABELS

app = typer.Typer(help="政策计算器：企业和人才可享受哪些支持、金额多少、政策原文出处在哪里。",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)
rules_app = typer.Typer(help="查看和校验政策规则。", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

# No markup: output is made of policy text, names and ids such as "[clause-id]", which rich
# would take for style tags and drop. Styles are applied with Text objects instead.
out = Console(highlight=False, soft_wrap=True, markup=False)
# Errors are never wrapped: a file path, a key or a did-you-mean must stay whole to be copied.
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)

STATUS_STYLE = {"eligible": "green", "needs_info": "yellow", "ineligible": "dim",
                "not_in_force": "magenta"}
T = TypeVar("T")

RulesOption = Annotated[Path | None, typer.Option(
    "--rules", help="规则目录（默认使用随软件发布的政策规则）", file_okay=False)]
AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help="评估日期 YYYY-MM-DD（默认今天）", metavar="YYYY-MM-DD")]


def _run(action: Callable[[], T]) -> T:
    """Run a library call; print a calculator error as one clear message and exit 1."""
    try:
        return action()
    except CalculatorError as error:
        err.print(Text("错误：", style="bold red") + Text(str(error)))
        raise typer.Exit(1) from None


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(Text("错误：", style="bold red") + Text(f"--as-of 应为日期 YYYY-MM-DD，实际为 {value!r}"))
        raise typer.Exit(2) from None


def _money(value: Any) -> str:
    return "—" if value is None else format_money(value)


def _status(result: ClauseResult) -> Text:
    label = STATUS_LABELS[result.status]
    if result.suppressed_by:
        label += "（不重复计）"
    return Text(label, style=STATUS_STYLE[result.status])


def _cite(result: ClauseResult) -> str:
    c = result.citation
    doc = f"{c.doc_number} " if c.doc_number else ""
    tag = "" if c.status == "issued" else f"［{DOC_STATUS_LABELS[c.status]}］"
    return f"{tag}{doc}《{c.document}》{c.article}：“{c.quote}”"


def _render_report(report: Report) -> None:
    kind = "企业/机构" if report.profile.kind == "company" else "人才"
    out.print(Text(f"{report.profile.name}（{kind}）  评估日期 {report.as_of}  规则版本 "
                   f"{report.rules_version}", style="bold"))
    table = Table(show_lines=True, expand=True)
    table.add_column("条款", ratio=2, overflow="fold")
    table.add_column("状态", no_wrap=True)
    table.add_column("金额", ratio=2, overflow="fold")
    table.add_column("依据与出处", ratio=5, overflow="fold")
    shown = [r for r in report.supports() if r.status != "ineligible"]
    for result in shown:
        notes = [r.text for r in result.reasons if r.outcome != "met"]
        notes += [f"注意：{caveat}" for caveat in result.caveats]
        if result.missing:
            notes.append("需补充：" + "、".join(m.label for m in result.missing))
        if result.validity:
            notes.append(result.validity)
        if result.suppressed_by:
            notes.append(f"与 {result.suppressed_by} 就高不重复，按较高者计")
        detail = "\n".join([_cite(result), *notes])
        table.add_row(f"{result.title}\n[{result.clause_id}]", _status(result) + f"\n{result.support_label}",
                      describe(result.benefit), detail)
    if shown:
        out.print(table)
    else:
        out.print("没有符合或待补充信息的条款。")
    directions = [r for r in report.directions() if r.status == "eligible"]
    if directions:
        out.print(Text(f"政策导向（{len(directions)} 条，不是可申请或领取的支持，不计入合计）", style="bold"))
        for result in directions:
            out.print(f"  {result.title} [{result.clause_id}]")
    near = [r for r in report.supports() if r.near_miss]
    if near:
        out.print(Text("差一项", style="bold yellow"))
        for result in near:
            failed = next(r.text for r in result.reasons if r.outcome == "failed")
            out.print(f"  {result.title} [{result.clause_id}]：{failed}")
    supports = report.supports()
    hidden = len(supports) - len(shown)
    counts = Counter(r.status for r in supports)
    summary = "，".join(f"{STATUS_LABELS[s]} {n} 条" for s, n in counts.items())
    high = "无上限" if report.totals.max is None else format_money(report.totals.max)
    out.print(f"合计（符合条款，已按叠加规则）：保底 {format_money(report.totals.min)}，最高 {high}")
    out.print(f"支持共 {len(supports)} 条：{summary}" + (f"；不符合的 {hidden} 条未列出，"
              "用 --json 或 explain 查看" if hidden else ""))


@app.command()
def check(
    profile: Annotated[Path, typer.Argument(help="企业或人才档案（YAML 或 JSON）", dir_okay=False)],
    as_of: AsOfOption = None,
    json: Annotated[bool, typer.Option("--json", help="输出 JSON 报告")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="为每个条款写出全部理由（默认不符合的条款只给第一个不满足的条件）")] = False,
    rules: RulesOption = None,
) -> None:
    """列出档案可享受的每一项支持：状态、金额与政策原文。"""
    when = _as_of(as_of)
    report = _run(lambda: Calculator.load(rules).evaluate(load_profile(profile), as_of=when,
                                                          detail="full" if full else "shown"))
    if json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        _render_report(report)


@app.command()
def explain(
    profile: Annotated[Path, typer.Argument(help="企业或人才档案（YAML 或 JSON）", dir_okay=False)],
    clause_id: Annotated[str, typer.Argument(help="条款编号，见 policycalc rules list")],
    as_of: AsOfOption = None,
    rules: RulesOption = None,
) -> None:
    """逐条说明某一条款对该档案的判断理由。"""
    when = _as_of(as_of)

    def evaluate() -> ClauseResult:
        calc = Calculator.load(rules)
        calc.bundle.clause(clause_id)
        report = calc.evaluate(load_profile(profile), as_of=when, detail="full")
        try:
            return report.result(clause_id)
        except KeyError:
            raise CalculatorError(f"条款 {clause_id} 不适用于{report.profile.kind}档案") from None

    result = _run(evaluate)
    out.print(Text(f"{result.title} [{result.clause_id}]", style="bold"))
    out.print(Text("状态：") + _status(result))
    out.print(f"类型：{result.support_label}　适用地区：{result.scope}")
    if result.validity:
        out.print(f"施行情况：{result.validity}")
    out.print(f"金额：{describe(result.benefit)}（{result.benefit.text}）")
    if result.benefit.note:
        out.print(f"说明：{result.benefit.note}")
    if result.benefit.payers:
        out.print(f"出资：{'、'.join(result.benefit.payers)}")
    if result.suppressed_by:
        out.print(f"叠加：与 {result.suppressed_by} 就高不重复，本项不计入合计")
    out.print("条件：")
    for reason in result.reasons or []:
        out.print(f"  {reason.text}")
    if not result.reasons:
        out.print("  （无条件）")
    if result.missing:
        out.print("需补充：" + "、".join(f"{m.label}（{m.field}）" for m in result.missing))
    if result.near_miss:
        out.print(Text("差一项即可符合", style="yellow"))
    for caveat in result.caveats:
        out.print(f"注意：{caveat}")
    out.print("出处：" + _cite(result))


def _progress_reporter(stack: ExitStack) -> Callable[[int, int | None], None]:
    """A rich progress bar on a terminal; a plain line every so often otherwise."""
    if err.is_terminal:
        bar = stack.enter_context(Progress(
            TextColumn("筛查"), BarColumn(), TextColumn("{task.completed} 行"),
            TimeElapsedColumn(), console=err, transient=True))
        task = bar.add_task("筛查", total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)
        return update
    step = [0]

    def report(done: int, total: int | None) -> None:
        if done >= step[0]:
            of = f" / 约 {total}" if total else ""
            err.print(f"已处理 {done}{of} 行")
            step[0] = done + 10_000
    return report


def _money_cell(value: Any) -> str:
    return format_money(value) if isinstance(value, Decimal) else str(value)


def _render_batch(result: BatchResult) -> None:
    summary = result.summary
    assert summary is not None
    table = Table(title=f"汇总（{summary.applicants} 名有效申请人）", title_justify="left")
    for name in ("条款", "符合", "待补充", "差一项", "保底合计", "最高合计", "含待补充者最高"):
        table.add_column(name, overflow="fold", justify="left" if name == "条款" else "right")
    rows = summary.rows()
    for row in rows[:-1]:
        if row[6] or row[7] or row[8] or len(summary.tallies) <= 20:
            # Text, not markup: rich would take "[clause-id]" for a style tag and drop it.
            table.add_row(Text(f"{row[1]}\n[{row[0]}]"), str(row[6]), str(row[7]), str(row[8]),
                          *(_money_cell(v) for v in row[9:]))
    total = rows[-1]
    table.add_row("合计", "", "", "", *(_money_cell(v) for v in total[9:]), style="bold")
    out.print(table)
    for clause_id, ranked in result.candidates.items():
        out.print(Text(f"{clause_id}：符合或接近符合的 {len(ranked)} 名（按接近程度排序）", style="bold"))
        for row_number, name, status, detail in ranked[:20]:
            label = "差一项" if status == "ineligible" else STATUS_LABELS[status]
            out.print(Text(f"  第 {row_number} 行 {name}  {label}  {detail}"))
        if len(ranked) > 20:
            out.print(f"  …… 其余 {len(ranked) - 20} 名见输出文件")
    for header, hint in result.unknown_columns.items():
        err.print(Text("注意：", style="yellow") + Text(f"列“{header}”不是档案字段，已忽略{hint}"))
    out.print("输出：" + "、".join(str(p) for p in result.outputs))
    out.print(Text(result.line, style="bold"))


@app.command()
def screen(
    source: Annotated[Path, typer.Argument(
        help="申请人表格：.xlsx、.csv、.jsonl 或 .parquet，列名用中文或字段名（--dask 时为分区目录）")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="结果文件：.xlsx、.csv、.jsonl 或 .parquet（--dask 时为输出目录）")],
    clause: Annotated[list[str] | None, typer.Option(
        "--clause", help="只看这些条款（可重复），并按接近程度列出符合或接近符合的申请人")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="档案类型 company 或 talent（默认按列名判断，或读“类型”列）")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="并行进程数")] = 1,
    engine: Annotated[str, typer.Option(
        "--engine", help="columnar：成批按列判定（默认）；rows：逐行判定")] = "columnar",
    dask: Annotated[str | None, typer.Option(
        "--dask", help="在 Dask 集群上筛查：tcp://主机:8786，或 local（本机两个工作进程）",
        metavar="ADDRESS")] = None,
    as_of: AsOfOption = None,
    rules: RulesOption = None,
) -> None:
    """批量筛查：每一行申请人输出一行结果（或错误说明），另附按条款的汇总。"""
    when = _as_of(as_of)
    if kind is not None and kind not in ("company", "talent"):
        err.print(Text("错误：", style="bold red") + Text(f"--kind 应为 company 或 talent，实际为 {kind!r}"))
        raise typer.Exit(2)
    if engine not in ENGINES:
        err.print(Text("错误：", style="bold red")
                  + Text(f"--engine 应为 {' 或 '.join(ENGINES)}，实际为 {engine!r}"))
        raise typer.Exit(2)
    if dask is not None:
        from calculator.batch.distributed import screen_dataset  # imports Dask only when asked

        _render_batch(_run(lambda: screen_dataset(source, output, address=dask, rules=rules, as_of=when,
                                                  kind=kind, clauses=clause or None)))
        return
    with ExitStack() as stack:
        progress = _progress_reporter(stack)
        result = _run(lambda: screen_table(source, output, rules=rules, as_of=when, kind=kind,
                                           clauses=clause or None, workers=workers,
                                           progress=progress, engine=engine))
    _render_batch(result)


@app.command()
def template(
    kind: Annotated[str, typer.Argument(help="company（企业/机构）或 talent（人才）")],
    output: Annotated[Path, typer.Argument(help="模板文件 .xlsx（或 .csv）", dir_okay=False)],
) -> None:
    """生成批量筛查用的空白表格：列名、一行示例、选项列的可选值。"""
    path = _run(lambda: write_template(kind, output))
    out.print(f"已生成模板：{path}")


@rules_app.command("list")
def rules_list(rules: RulesOption = None) -> None:
    """按政策文件列出全部条款。"""
    bundle = _run(lambda: Calculator.load(rules).bundle)
    by_doc: dict[str, list[Any]] = {}
    for rule in bundle.clauses:
        by_doc.setdefault(rule.document.id, []).append(rule)
    for rules_of_doc in by_doc.values():
        doc = rules_of_doc[0].document
        number = f" {doc.doc_number}" if doc.doc_number else ""
        table = Table(title=f"《{doc.title}》{number}［{DOC_STATUS_LABELS[doc.status]}］"
                            f"  {len(rules_of_doc)} 条", title_justify="left")
        table.add_column("编号", overflow="fold")
        table.add_column("条款", overflow="fold")
        table.add_column("对象", overflow="fold")
        table.add_column("支持", overflow="fold")
        for rule in rules_of_doc:
            table.add_row(rule.id, rule.clause.title, TARGET_LABELS[rule.clause.target],
                          rule.clause.benefit.text)
        out.print(table)
    counts = Counter(rule.document.status for rule in bundle.clauses)
    summary = "，".join(f"{DOC_STATUS_LABELS[s]} {n} 条" for s, n in sorted(counts.items()))
    out.print(f"共 {len(bundle.clauses)} 条条款，{len(by_doc)} 份文件：{summary}；规则版本 {bundle.version}")


@rules_app.command("show")
def rules_show(
    clause_id: Annotated[str, typer.Argument(help="条款编号")],
    rules: RulesOption = None,
) -> None:
    """显示一条条款的条件、支持内容和政策原文。"""
    rule = _run(lambda: Calculator.load(rules).bundle.clause(clause_id))
    doc, clause = rule.document, rule.clause
    out.print(Text(f"{clause.title} [{clause.id}]", style="bold"))
    out.print(f"对象：{TARGET_LABELS[clause.target]}　适用地区：{scope_text(clause.scope)}")
    out.print(f"类型：{SUPPORT_LABELS[clause.support]}")
    out.print(f"支持：{clause.benefit.text}（{clause.benefit.kind}）")
    if clause.benefit.payers:
        out.print(f"出资：{'、'.join(clause.benefit.payers)}")
    out.print("条件：")
    for line in condition_lines(rule.condition, 1):
        out.print(line)
    number = f"{doc.doc_number} " if doc.doc_number else ""
    out.print(f"文件：{number}《{doc.title}》，{doc.issuer}，{doc.date}［{DOC_STATUS_LABELS[doc.status]}］")
    if doc.reports_on:
        out.print(f"报道的政策：{doc.reports_on}")
    out.print(f"条目：{clause.citation.article}")
    out.print(f"原文：“{clause.citation.quote}”")
    period = rule.effective
    ends = f"至 {period.end}" if period.end else "未写明终止日期"
    out.print(f"施行期：自 {period.start} 起，{ends}。{period.basis or ''}")
    out.print(f"来源文件：{doc.source}；规则文件：{rule.file}:{rule.line}")
    for caveat in clause.caveats:
        out.print(f"注意：{caveat}")
    if clause.notes:
        out.print(f"说明：{clause.notes}")


@rules_app.command("validate")
def rules_validate(
    directory: Annotated[Path | None, typer.Argument(help="规则目录（默认随软件发布的规则）",
                                                       file_okay=False)] = None,
) -> None:
    """校验规则目录：格式、字段、取值、定义与叠加规则，并编译到规则引擎。"""
    calc = _run(lambda: Calculator.load(directory))
    bundle = calc.bundle
    out.print(f"规则校验通过：{len(bundle.files)} 个文件，{len(bundle.clauses)} 条条款，"
              f"规则版本 {bundle.version}")


@rules_app.command("verify-citations")
def rules_verify_citations(
    sources: Annotated[Path, typer.Option(
        "--sources", help="政策原文目录（规则中 document.source 所指的文件所在目录）")],
    rules: RulesOption = None,
) -> None:
    """核对每条条款的引文是否出现在原文中（忽略空白与全角半角差异），并给出原文行号。"""
    checks = _run(lambda: verify(Calculator.load(rules).bundle, sources))
    for check in checks:
        if check.found:
            out.print(Text("✓ ", style="green")
                      + Text(f"{check.clause_id}  {check.source}:{check.source_line}"))
        else:
            out.print(Text("✗ ", style="bold red")
                      + Text(f"{check.clause_id}  {check.rule_location}  {check.problem}"))
    missing = sum(not c.found for c in checks)
    out.print(f"引文核对：{len(checks)} 条，通过 {len(checks) - missing} 条，未找到 {missing} 条")
    if missing:
        raise typer.Exit(1)


@rules_app.command("lint")
def rules_lint(rules: RulesOption = None) -> None:
    """检查规则含义上的问题：永远无法满足的条件、空引文、未使用的定义、无人读取的档案字段。"""
    findings = _run(lambda: lint(Calculator.load(rules).bundle))
    for finding in findings:
        style = "red" if finding.severity == "error" else "yellow"
        out.print(Text(str(finding), style=style))
    errors = sum(1 for f in findings if f.severity == "error")
    out.print(f"规则检查：错误 {errors} 项，提示 {len(findings) - errors} 项")
    if errors:
        raise typer.Exit(1)


@app.command()
def schema(
    which: Annotated[str, typer.Argument(help="profile（档案，即接口接受的 JSON）或 report（报告）",
                                         metavar="profile|report")],
) -> None:
    """打印 JSON Schema：档案（HTTP 接口与 JSON 档案的写法）或报告（--json 与接口的输出）。"""
    from calculator.service.contract import json_schema

    document = _run(lambda: json_schema(which))
    sys.stdout.write(json_module.dumps(document, ensure_ascii=False, indent=2) + "\n")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址（默认只接受本机连接）")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口", min=1, max=65535)] = 8000,
    rules: RulesOption = None,
) -> None:
    """以 HTTP 服务提供评估接口（接口说明见 /docs，详见 docs/embedding.md）。"""
    import uvicorn

    from calculator.service import create_app

    calc = _run(lambda: Calculator.load(rules))
    err.print(f"政策计算器服务：http://{host}:{port}  接口说明 /docs  规则版本 {calc.rules_version}")
    uvicorn.run(create_app(calc), host=host, port=port)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
