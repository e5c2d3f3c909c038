"""policycalc: the command line. Each command parses its arguments, calls one library
function and renders the result; the rules themselves live in ``calculator``."""

from __future__ import annotations

import json as json_module
import re
import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer import TyperException
from typer.core import TyperCommand, TyperGroup

from calculator import Calculator, CalculatorError, Report, load_profile
from calculator.base.errors import ProfileError
from calculator.base.money import format_money
from calculator.batch.outputs import Terminated
from calculator.batch.plan import plan_screen
from calculator.batch.run import BatchResult
from calculator.batch.screening import ENGINES
from calculator.batch.template import write_template
from calculator.profiles.spellings import ends_interview, kind_answer
from calculator.profiles.writing import NAME_LABELS, save_interview, shipped_titles, write_example
from calculator.profiles.writing import write_template as write_profile_template
from calculator.reporting.catalogue import catalogue
from calculator.reporting.files import chosen_report, offered_report, write_report
from calculator.reporting.summary import Entry, Summary, caveats_of, citation_line, summarize
from calculator.results.amounts import describe
from calculator.results.calculator import package_version, settle_loaded
from calculator.results.describe import clause_support, condition_lines
from calculator.results.interview import SKIP, Interview, Question
from calculator.results.report import STATUS_LABELS, ClauseResult, Detail
from calculator.rules import caching
from calculator.rules.citations import verify
from calculator.rules.linting import lint
from calculator.rules.loading import scope_text
from calculator.rules.schema import STATUS_LABELS as DOC_STATUS_LABELS
from calculator.rules.schema import SUPPORT_LABELS, TARGET_LABELS

# ---- Chinese command-line chrome -----------------------------------------------------------
# typer writes its help and usage errors in English, from strings it does not translate. The
# top-level group below renders them in Chinese: help and usage text through a table of the
# fixed English phrases, usage errors from the exception (its kind, option, parameter).

#: Parameter names as they appear in usage lines and the 参数 list.
PARAM_NAMES = {
    "profile": "档案", "source": "表格", "output": "输出文件", "clause_id": "条款编号",
    "kind": "类型", "directory": "规则目录", "file": "文件", "which": "类型", "example": "示例",
}
METAVARS = {"file": "文件", "dir": "目录", "path": "路径", "str": "文字", "text": "文字", "int": "整数",
            "int range": "整数", "float": "数值", "list[str]": "文字", "bool": "是/否"}
_HELP_PHRASES = [
    (re.compile(r"^Usage: ", re.M), "用法："),
    (re.compile(r"^Options:$", re.M), "选项："),
    (re.compile(r"^Arguments:$", re.M), "参数："),
    (re.compile(r"^Commands:$", re.M), "命令："),
    (re.compile(r"Show this message and exit\."), "显示本帮助并退出。"),
    (re.compile(r"Show the version and exit\."), "显示版本并退出。"),
    (re.compile(r"\[OPTIONS\]"), "[选项]"),
    (re.compile(r"COMMAND \[ARGS\]\.\.\."), "命令 [参数]..."),
    (re.compile(r"\[required\]"), "［必填］"),
    (re.compile(r"\(dynamic\)"), "（动态）"),
    (re.compile(r"\bdeprecated\b"), "已弃用"),
]
_RANGE = re.compile(r"(?:(-?\d+)<=)?x(?:<=(-?\d+)|>=(-?\d+))?")


def _bracket(match: re.Match[str]) -> str:
    """``[default: 1; x>=1]`` -> ``［默认：1；≥1］``."""
    parts = []
    for part in re.sub(r"\s+", " ", match.group(1)).split("; "):
        if part.startswith("default: "):
            parts.append("默认：" + part.removeprefix("default: "))
        elif part.startswith("env var: "):
            parts.append("环境变量：" + part.removeprefix("env var: "))
        elif part == "required":
            parts.append("必填")
        elif (rng := _RANGE.fullmatch(part)) is not None:
            low, high, at_least = rng.groups()
            if at_least is not None:
                parts.append(f"≥{at_least}")
            elif low is not None and high is not None:
                parts.append(f"{low}–{high}")
            elif high is not None:
                parts.append(f"≤{high}")
        else:
            parts.append(part)
    return "［" + "；".join(parts) + "］"


def _names(match: re.Match[str]) -> str:
    open_, name, close = match.groups()
    shown = "|".join(PARAM_NAMES.get(n, n) for n in name.split("|")) if "|" not in name else name
    return f"{'<' if open_ == '{' else open_}{shown}{'>' if close == '}' else close}"


def zh_help(text: str) -> str:
    """typer's help or usage text with its fixed English phrases in Chinese."""
    for pattern, chinese in _HELP_PHRASES:
        text = pattern.sub(chinese, text)
    text = re.sub(r"\[((?:default|env var|required|x|-?\d+<=x)[^\]]*)\]", _bracket, text, flags=re.S)
    text = re.sub(r"<([a-z][a-z \[\]]*)>", lambda m: f"<{METAVARS.get(m.group(1), m.group(1))}>", text)
    text = re.sub(r"([{\[])([a-z_]+(?:\|[a-z_]+)*)([}\]])", _names, text)
    text = re.sub(r"\{([^{}\s]+)\}", r"<\1>", text)
    text = re.sub(r"^(  )([a-z_]+)(?= <|\s{2})",
                  lambda m: m.group(1) + PARAM_NAMES.get(m.group(2), m.group(2)), text, flags=re.M)
    return _realign(text)


_ENTRY = re.compile(r"^  (\S.*?)\s{2,}(\S.*)$")


def _join(parts: list[str]) -> str:
    """Lines click wrapped, joined again: a space between Latin words, none in Chinese."""
    text = ""
    for part in parts:
        if text and text[-1].isascii() and part[:1].isascii():
            text += " "
        text += part
    return text


def _realign(text: str) -> str:
    """Re-pad the 参数/选项/命令 lists, whose terms changed width in translation, and
    re-wrap help text by display width (click counts a Chinese character as one column)."""
    width = max(out.width, 40)
    lines = text.split("\n")
    out_lines: list[str] = []
    block: list[list[Any]] = []  # [term, parts of its help]

    def wrapped(body: str, indent: int) -> list[str]:
        pieces = wrap_chinese(Text(body), max(width - indent, 20))
        return [" " * indent + piece.plain for piece in pieces] or [""]

    def flush() -> None:
        column = max((cell_len(term) for term, _ in block), default=0)
        for term, parts in block:
            body = wrapped(_join(parts), column + 4)
            first = body[0][column + 4:]
            out_lines.append(f"  {term}{' ' * (column - cell_len(term) + 2)}{first}")
            out_lines.extend(body[1:])
        block.clear()

    in_list = False
    paragraph: list[str] = []
    for line in lines:
        if line in ("参数：", "选项：", "命令："):
            in_list = True
            out_lines.append(line)
            continue
        if in_list and line.strip():
            entry = _ENTRY.match(line)
            if entry and not line.startswith("   "):
                block.append([entry.group(1), [entry.group(2)]])
                continue
            if block and line.startswith("   "):
                block[-1][1].append(line.strip())
                continue
        flush()
        if not in_list and line.startswith("  ") and line.strip():
            paragraph.append(line.strip())  # the command's description
            continue
        if paragraph:
            out_lines.extend(wrapped(_join(paragraph), 2))
            paragraph.clear()
        in_list = in_list and bool(line.strip())
        out_lines.append(line)
    flush()
    if paragraph:
        out_lines.extend(wrapped(_join(paragraph), 2))
    return "\n".join(out_lines)


_ERROR_PHRASES = [
    (re.compile(r"^No such option: (\S+)(?: \(Possible options: (.*)\))?$"),
     lambda m: f"没有选项 {m[1]}" + (f"；是否想写 {m[2].replace(', ', ' 或 ')}？" if m[2] else "")),
    (re.compile(r"^No such command '([^']*)'\.(?: Did you mean (.*)\?)?$"),
     lambda m: f"没有命令 {m[1]}" + (f"；是否想写 {m[2].replace(', ', ' 或 ')}？" if m[2] else "")),
    (re.compile(r"^Missing command\.$"), lambda m: "缺少命令"),
    (re.compile(r"^Got unexpected extra arguments? ?(?:\(s\))? ?\((.*)\)$"),
     lambda m: f"多余的参数：{m[1]}"),
    (re.compile(r"^Option '([^']*)' requires (?:an argument|(\d+) arguments)\.$"),
     lambda m: f"选项 {m[1]} 后面需要写一个值" if not m[2] else f"选项 {m[1]} 后面需要写 {m[2]} 个值"),
    (re.compile(r"^Option '([^']*)' does not take a value\.$"), lambda m: f"选项 {m[1]} 后面不能写值"),
    (re.compile(r"^Missing (argument|option|parameter) ?(.*?)\.(?: (.*))?$"),
     lambda m: f"缺少{ {'argument': '参数', 'option': '选项', 'parameter': '参数'}[m[1]]} {m[2]}".rstrip()),
    (re.compile(r"^Invalid value for ([^:]*): (.*)$"), lambda m: f"{m[1]} 的取值无效：{_zh_value(m[2])}"),
    (re.compile(r"^Invalid value: (.*)$"), lambda m: f"取值无效：{_zh_value(m[1])}"),
]
_VALUE_PHRASES = [
    (re.compile(r"^(?:File|Path|Directory) '?(.*?)'? does not exist\.$"), "文件或目录 {0} 不存在"),
    (re.compile(r"^(?:File|Path) '?(.*?)'? is a directory\.$"), "{0} 是目录，这里需要文件"),
    (re.compile(r"^(?:Directory|Path) '?(.*?)'? is a file\.$"), "{0} 是文件，这里需要目录"),
    (re.compile(r"^.*? '?(.*?)'? is not readable\.$"), "{0} 无法读取"),
    (re.compile(r"^'?(.*?)'? is not one of (.*)\.$"), "{0} 不是可选的值（可选：{1}）"),
    (re.compile(r"^(.*) is not in the range (.*)\.$"), "{0} 超出范围 {1}"),
    (re.compile(r"^Input should be a valid integer.*$"), "应为整数"),
    (re.compile(r"^Input should be a valid number.*$"), "应为数值"),
    (re.compile(r"^Input should be (?:greater than or equal to|>=) (\S+)$"), "应 ≥ {0}"),
    (re.compile(r"^Input should be (?:less than or equal to|<=) (\S+)$"), "应 ≤ {0}"),
    (re.compile(r"^Input should be a valid boolean.*$"), "应为 是 或 否"),
    (re.compile(r"^Value '?(.*?)'? is not a valid (.*)\.$"), "{0} 不是有效的值"),
]


def _zh_value(message: str) -> str:
    for pattern, chinese in _VALUE_PHRASES:
        match = pattern.match(message)
        if match:
            return chinese.format(*match.groups())
    return message


def _quoted_name(match: re.Match[str]) -> str:
    """``'profile'`` or ``'档案'`` (a parameter in an error) -> ``<档案>``."""
    name = match.group(1)
    if name in PARAM_NAMES:
        return f"<{PARAM_NAMES[name]}>"
    return f"<{name}>" if not name.isascii() else match.group(0)


def zh_error(message: str) -> str:
    """A usage error's message, in Chinese."""
    message = re.sub(r"'([^'\s]+)'", _quoted_name, message)
    for pattern, render in _ERROR_PHRASES:
        match = pattern.match(message)
        if match:
            return render(match)
    return _zh_value(message)


class _ChineseChrome:
    """Help and usage text in Chinese, for this command and every command under it."""

    def get_help(self, ctx: Any) -> str:
        return zh_help(super().get_help(ctx))  # type: ignore[misc]

    def get_usage(self, ctx: Any) -> str:
        return zh_help(super().get_usage(ctx))  # type: ignore[misc]



class ChineseCommand(_ChineseChrome, TyperCommand):
    """A command whose help is in Chinese (given to every command at the end of this file)."""


class ChineseSubGroup(_ChineseChrome, TyperGroup):
    """A command group under the top level, such as ``rules``."""


class ChineseGroup(_ChineseChrome, TyperGroup):
    """The top-level command: usage errors are printed here, in Chinese."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Abort:
            err.print("已中止")
            code: Any = 1
        except TyperException as error:
            code = _usage_error(error)
        except EOFError:
            err.print("\n已中止（输入已结束）")
            code = 1
        else:
            code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_error(error: Exception) -> int:
    ctx = getattr(error, "ctx", None)
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    if ctx is not None and type(error).__name__ != "NoArgsIsHelpError":
        err.print(Text(zh_help(ctx.get_usage())))
        err.print(Text(f"运行 {ctx.command_path} --help 查看用法。"))
        err.print()
    if type(error).__name__ == "NoArgsIsHelpError" and ctx is not None:
        out.print(Text(ctx.get_help()))
        return 2
    _error(zh_error(message))
    code = getattr(error, "exit_code", 2)
    return code if isinstance(code, int) else 2


def _version(value: bool) -> None:
    if value:
        out.print(f"政策计算器 policycalc {package_version()}（规则版本 {Calculator.load().rules_version}）")
        raise typer.Exit()


app = typer.Typer(help="政策计算器：企业和人才可享受哪些支持、金额多少、政策原文出处在哪里。",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None, cls=ChineseGroup,
                  options_metavar="[选项]", subcommand_metavar="命令 [参数]...")
rules_app = typer.Typer(help="查看和校验政策规则。", no_args_is_help=True, rich_markup_mode=None,
                        cls=ChineseSubGroup, options_metavar="[选项]", subcommand_metavar="命令 [参数]...")
app.add_typer(rules_app, name="rules")


@app.callback()
def _main_options(
    version: Annotated[bool, typer.Option("--version", help="显示软件版本和规则版本并退出",
                                          callback=_version, is_eager=True)] = False,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache",
        help="不读也不写已编译规则的缓存，每次从规则文件加载")] = False,
) -> None:
    """政策计算器：企业和人才可享受哪些支持、金额多少、政策原文出处在哪里。"""
    if no_cache:
        caching.disable()

# No markup: output is made of policy text, names and ids such as "[clause-id]", which rich
# would take for style tags and drop. Styles are applied with Text objects instead.
out = Console(highlight=False, soft_wrap=True, markup=False)
# Errors are never wrapped: a file path, a key or a did-you-mean must stay whole to be copied.
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)

BENEFIT_KIND_LABELS = {"fixed": "固定金额", "up_to": "最高限额", "ratio": "按比例", "tiers": "分档",
                       "per_unit": "按数量", "case_by_case": "一事一议", "non_monetary": "非资金支持",
                       "tax": "税收优惠"}
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
        _error(str(error))
        raise typer.Exit(1) from None


def _error(message: str) -> None:
    err.print(Text("错误：", style="bold red") + Text(message))


def _refuse(message: str) -> NoReturn:
    """An option the command cannot take: say why and exit 2, as a usage error does."""
    _error(message)
    raise typer.Exit(2)


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        _refuse(f"--as-of 应为日期 YYYY-MM-DD，实际为 {value!r}")


def _money(value: Any) -> str:
    return "—" if value is None else format_money(value)


def _status(result: ClauseResult) -> Text:
    label = STATUS_LABELS[result.status]
    if result.suppressed_by:
        label += "（不重复计）"
    return Text(label, style=STATUS_STYLE[result.status])


def _cite(result: ClauseResult) -> str:
    return f"{citation_line(result.citation)}：“{result.citation.quote}”"


def _line(text: str | Text, indent: int = 0, style: str | None = None, *,
          hanging: int | None = None, at_spaces: bool = False) -> None:
    """One paragraph wrapped to the terminal, every line indented by ``indent`` (or the
    first by ``indent`` and the rest by ``hanging``); no trailing spaces."""
    body = text if isinstance(text, Text) else Text(text, style=style or "")
    rest = indent if hanging is None else hanging
    width = max(out.width - max(indent, rest), 20)
    for index, piece in enumerate(wrap_chinese(body, width, at_spaces=at_spaces)):
        out.print(Text(" " * (indent if index == 0 else rest)) + piece, soft_wrap=True)


_CLOSING = frozenset("）》」』】〕”’。，、；：？！…)]}.,;:!?%")
_OPENING = frozenset("（《「『【〔“‘([{")


def _breakable(plain: str, at: int, at_spaces: bool = False) -> bool:
    """Whether a line may break before ``plain[at]``: between Chinese characters, after a
    space, never inside a number or a word, before closing or after opening punctuation;
    with ``at_spaces``, only after two spaces (a list of choices, each kept whole)."""
    before, after = plain[at - 1], plain[at]
    if at_spaces:
        return at >= 2 and plain[at - 2:at] == "  " and after != " "
    if after in _CLOSING or before in _OPENING:
        return False
    if before == " " or after == " ":
        return True
    return not (before.isascii() and after.isascii() and (before.isalnum() or after.isalnum()))


def wrap_chinese(text: Text, width: int, *, at_spaces: bool = False) -> list[Text]:
    """``text`` in lines of at most ``width`` cells (longer only for an unbreakable run),
    broken where Chinese typesetting allows; styles kept, no trailing spaces."""
    plain = text.plain
    offsets: list[int] = []
    start, used, last = 0, 0, None
    for at, char in enumerate(plain):
        if at > start and _breakable(plain, at, at_spaces):
            last = at
        used += cell_len(char)
        if used > width and at > start:
            cut = last if last is not None and last > start else at
            offsets.append(cut)
            start, last = cut, None
            used = cell_len(plain[cut:at + 1])
    lines = text.divide(offsets) if offsets else [text]
    result = []
    for line in lines:
        lead = len(line.plain) - len(line.plain.lstrip(" "))
        piece = line[lead:] if lead else line
        piece.rstrip()
        result.append(piece)
    return result


def _id_line(clause_id: str, indent: int) -> None:
    """A clause id on a line of its own, never wrapped, so it can be copied whole."""
    out.print(Text(" " * indent + clause_id, style="cyan", no_wrap=True, overflow="ignore"),
              soft_wrap=True)


def _entry(number: int, entry: Entry, *, quote: bool, reasons: bool = False) -> None:
    title = Text(f"{number}. ") + Text(entry.title, style="bold") + Text("  ") + \
        Text(entry.amount, style="bold green" if entry.status == "eligible" and entry.counted else "bold")
    if entry.status != "eligible":
        title += Text(f"  {entry.status_label}", style=STATUS_STYLE.get(entry.status, ""))
    if entry.support != "funding":
        title += Text(f"  {entry.support_label}", style="dim")
    _line(title, 0, hanging=3)
    _id_line(entry.clause_id, 3)
    if reasons:
        for reason in entry.reasons:
            if not reason.startswith("✓"):
                _line(reason, 3)
    if entry.missing:
        _line("需补充：" + "、".join(entry.missing), 3, style="yellow")
    _line("出处：" + entry.citation_line, 3)
    if quote:
        _line(f"原文：“{entry.citation.quote}”", 3, style="dim")
    for caveat in entry.caveats:
        _line(f"注意：{caveat}", 3, style="yellow")
    for note in entry.notes:
        _line(note, 3)


def _render_summary(summary: Summary, profile_hint: str = "档案") -> None:
    out.print(Text(f"{summary.name}（{summary.kind_label}）", style="bold"))
    out.print(f"评估日期 {summary.as_of.isoformat()}  规则版本 {summary.rules_version}")
    out.print()
    for index, line in enumerate(summary.headline):
        _line(line, 0, style="bold" if index == 0 else None)
    number = 0
    for section in summary.sections:
        if section.key == "pending":
            _render_facts(summary)
            if not any(s.key == "ineligible" for s in summary.sections):
                continue  # the clauses themselves are listed under the facts; all of them with --all
        if not section.entries:
            continue
        out.print()
        out.print(Text(f"{section.title}：{len(section.entries)} 项", style="bold underline"))
        for entry in section.entries:
            number += 1
            _entry(number, entry, quote=section.key in ("cash", "near") or (entry.status == "eligible"
                   and section.key == "cash"), reasons=section.key not in ("cash", "open", "other"))
    out.print()
    if summary.hidden:
        _line(f"另有 {summary.hidden} 条不符合、未施行（含征求意见稿）或属于政策导向的条款未列出。")
        _command("查看全部", f"policycalc check {profile_hint} --all")
    _command("每条的理由", f"policycalc explain {profile_hint} 编号")
    _command("可打印的报告", f"policycalc check {profile_hint} --report 报告.html")


def _command(what: str, command: str) -> None:
    """A command to copy, on a line of its own so that it is never wrapped."""
    out.print(f"{what}：", style="dim")
    out.print(Text("    " + command, no_wrap=True, overflow="ignore"), soft_wrap=True)


def _render_facts(summary: Summary) -> None:
    if not summary.facts:
        return
    out.print()
    out.print(Text(f"需要补充的信息（按可能决定的金额排序）：{len(summary.facts)} 项",
                   style="bold underline"))
    for fact in summary.facts:
        _line(Text("□ ") + Text(fact.label, style="bold") + Text(f"  可能决定：{fact.at_stake_text}"), 0,
              hanging=3)
        _line(f"怎么填：{fact.help}", 3, style="dim")
        for clause_id, title in fact.clauses:
            _line(f"· {title}", 3)
            _id_line(clause_id, 5)


def _evaluate(profile: Path, when: date, rules: Path | None,
              detail: Detail = "shown") -> tuple[Calculator, Report]:
    calc = Calculator.load(rules)
    return calc, calc.evaluate(load_profile(profile), as_of=when, detail=detail)


@app.command()
def check(
    profile: Annotated[Path, typer.Argument(help="企业或人才档案（YAML 或 JSON）", dir_okay=False,
                                            metavar="档案")],
    as_of: AsOfOption = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="也列出不符合、未施行（含征求意见稿）和政策导向的条款")] = False,
    report_path: Annotated[Path | None, typer.Option(
        "--report", help="另存一份报告：.html（可打印的网页）或 .xlsx（表格）", dir_okay=False,
        metavar="报告文件")] = None,
    json: Annotated[bool, typer.Option("--json", help="输出 JSON 报告")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="为每个条款写出全部理由（默认不符合的条款只给第一个不满足的条件）")] = False,
    rules: RulesOption = None,
) -> None:
    """自查：先给出结论（确定可得、最高可达、还缺哪些信息），再列出每一项支持、金额与政策原文。"""
    when = _as_of(as_of)
    calc, report = _run(lambda: _evaluate(profile, when, rules, "full" if full else "shown"))
    if json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        _render_summary(summarize(report, calc.bundle.groups, include_all=all_), str(profile))
    if report_path is not None:
        written = _run(lambda: write_report(report, report_path, calc.bundle.groups, include_all=all_))
        (err if json else out).print(Text(f"已生成报告：{written}", style="bold"))


@app.command()
def explain(
    profile: Annotated[Path, typer.Argument(help="企业或人才档案（YAML 或 JSON）", dir_okay=False,
                                            metavar="档案")],
    clause_id: Annotated[str, typer.Argument(
        help="条款编号（见 policycalc rules list），或条款标题中的词语，如 世界500强", metavar="条款")],
    as_of: AsOfOption = None,
    rules: RulesOption = None,
) -> None:
    """逐条说明某一条款对该档案的判断理由。"""
    when = _as_of(as_of)

    def evaluate() -> ClauseResult:
        calc = Calculator.load(rules)
        rule = calc.bundle.resolve(clause_id)
        report = calc.evaluate(load_profile(profile), as_of=when, detail="full")
        try:
            return report.result(rule.id)
        except KeyError:
            kind = "企业/机构" if report.profile.kind == "company" else "人才"
            raise CalculatorError(f"条款 {rule.id}（{rule.clause.title}）不适用于{kind}档案") from None

    result = _run(evaluate)
    out.print(Text(result.title, style="bold"))
    _id_line(result.clause_id, 0)
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
        _line(reason.text, 2)
    if not result.reasons:
        out.print("  （无条件）")
    if result.missing:
        out.print("需补充：" + "、".join(f"{m.label}（{m.field}）" for m in result.missing))
    if result.near_miss:
        out.print(Text("差一项即可符合", style="yellow"))
    for caveat in caveats_of(result):
        _line(f"注意：{caveat}", 0, style="yellow")
    _line("出处：" + _cite(result), 0)


def _read(prompt: str) -> str | None:
    """One line from the user; ``None`` at the end of input."""
    out.print(Text(prompt, style="bold"), end="")
    try:
        line = input()
    except EOFError:
        out.print()
        return None
    return line.strip()


def _ended_early() -> NoReturn:
    err.print("输入已结束，还没有可保存的内容。重新运行 policycalc ask 即可开始。")
    raise typer.Exit(1)


def _ask_question(interview: Interview, question: Question, number: int) -> bool:
    """Ask until the answer is usable; ``False`` when the user ends the interview."""
    out.print()
    _line(Text(f"第 {number} 问  ", style="bold") + Text(f"可能决定：{question.at_stake_text}", style="dim"))
    _line(question.prompt, 0, style="bold")
    if question.choices:
        listing = "  ".join(f"{i}. {c}" for i, c in enumerate(question.choices, 1))
        _line("可选（填编号或文字" + ("，多项用顿号分隔" if question.type == "set" else "") + "）：",
              2, style="dim")
        _line(listing, 4, style="dim", at_spaces=True)
        _line("不知道可回答“不知道”跳过", 2, style="dim")
    else:
        _line(question.help, 2, style="dim")
    while True:
        text = _read("> ")
        if text is None or ends_interview(text):
            return False
        try:
            value = interview.give(question.field, text, numbered=True)
        except ProfileError as error:
            _line(Text("没能识别：", style="yellow") + Text(str(error)), 2)
            _line("请再输入一次，或回答“不知道”跳过。", 2, style="dim")
            continue
        if value is SKIP:
            _line("已跳过。", 2, style="dim")
        return True


@app.command()
def ask(
    kind: Annotated[str | None, typer.Option(
        "--kind", help="company（企业/机构）或 talent（人才）；不写就先问", metavar="类型")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="保存档案的文件（默认用名称命名，如 某某公司.yaml）", dir_okay=False,
        metavar="档案文件")] = None,
    report_path: Annotated[Path | None, typer.Option(
        "--report", help="报告文件 .html 或 .xlsx（默认问完后询问）", dir_okay=False,
        metavar="报告文件")] = None,
    as_of: AsOfOption = None,
    rules: RulesOption = None,
) -> None:
    """问答自查：一次问一项，先问可能决定金额最多的信息；问完显示结果、保存档案并生成报告。"""
    when = _as_of(as_of)
    calc = _run(lambda: Calculator.load(rules))
    out.print(Text("政策自查问答", style="bold"))
    _line("每次问一项，先问可能决定金额最多的信息。不知道就回答“不知道”或直接回车跳过；"
          "回答“结束”随时结束，已回答的会保存。")
    chosen = kind_answer(kind.strip()) if kind else None
    if kind and chosen is None:
        _refuse(f"--kind 应为 company（企业/机构）或 talent（人才），实际为 {kind!r}")
    while chosen is None:
        text = _read("\n为谁自查？1. 企业/机构  2. 人才  > ")
        if text is None:
            _ended_early()
        chosen = kind_answer(text)
        if chosen is None:
            _line("请输入 1（企业/机构）或 2（人才）。", 2, style="yellow")
    name = ""
    while not name:
        text = _read(f"\n{NAME_LABELS[chosen]}：")
        if text is None:
            _ended_early()
        name = text
    interview = _run(lambda: Interview(chosen, name))
    number = 0
    while True:
        questions = _run(lambda: interview.questions(calc, when, limit=1))
        if not questions:
            out.print()
            _line("没有需要再问的信息了。", 0, style="bold")
            break
        number += 1
        if not _ask_question(interview, questions[0], number):
            break
        running = summarize(calc.evaluate(interview.profile(), when), calc.bundle.groups)
        _line(Text("目前：", style="bold") + Text(running.headline[0]), 2)
    profile = interview.profile()
    report = calc.evaluate(profile, when)
    path = _run(lambda: save_interview(chosen, interview.data(), name, output))
    out.print()
    _render_summary(summarize(report, calc.bundle.groups), str(path))
    out.print()
    out.print(Text(f"档案已保存：{path}", style="bold green"))
    target = report_path
    if target is None:
        offered = offered_report(name)
        target = chosen_report(_read(f"生成可打印的报告吗？直接回车生成 {offered}，输入 否 跳过："), offered)
    if target is not None:
        written = _run(lambda: write_report(report, target, calc.bundle.groups))
        out.print(Text(f"报告已生成：{written}（用浏览器打开即可打印）", style="bold green"))
    _command("以后修改档案后重新自查", f"policycalc check {path}")


@app.command()
def init(
    kind: Annotated[str | None, typer.Argument(
        help="company（企业/机构）或 talent（人才）", metavar="类型", show_default=False)] = None,
    output: Annotated[Path | None, typer.Argument(help="要写的档案文件，如 档案.yaml", dir_okay=False,
                                                  metavar="文件", show_default=False)] = None,
    example: Annotated[str | None, typer.Option(
        "--example", help="改为复制一个示例档案，如 global500（见 policycalc init --list）",
        metavar="示例")] = None,
    list_: Annotated[bool, typer.Option("--list", help="列出随软件提供的示例档案")] = False,
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖")] = False,
) -> None:
    """写一份带注释的空白档案（每项的中文名称、可选值和示例），或复制一个示例档案。"""
    if list_:
        for stem, title in shipped_titles().items():
            out.print(Text(stem, style="cyan"), Text(f"  {title}"))
        return
    if example is not None:
        target = output if output is not None else (Path(kind) if kind else None)
        path = _run(lambda: write_example(example, target, overwrite=force))
        out.print(f"已复制示例档案：{path}")
        _command("自查", f"policycalc check {path}")
        return
    if kind is None or output is None:
        _refuse("请写出类型和文件，如 policycalc init company 档案.yaml；"
                "或 policycalc init --example global500")
    chosen = kind_answer(kind) or kind
    path = _run(lambda: write_profile_template(chosen, output, overwrite=force))
    out.print(f"已生成档案模板：{path}（不知道的项留空即可）")
    _command("填好后自查", f"policycalc check {path}")


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
    rows, apart, total = summary.overview()
    for row in rows:
        # Text, not markup: rich would take "[clause-id]" for a style tag and drop it.
        table.add_row(Text(f"{row[1]}\n[{row[0]}]"), str(row[6]), str(row[7]), str(row[8]),
                      *(_money_cell(v) for v in row[9:]))
    table.add_row("合计", "", "", "", *(_money_cell(v) for v in total[9:]), style="bold")
    out.print(table)
    if apart:
        out.print(f"另有 {apart} 条未施行（征求意见稿、已失效等）或政策导向的条款，列在输出文件“汇总”的末尾")
    for clause_id, ranked in result.candidates.items():
        out.print(Text(f"{clause_id}：符合或接近符合的 {len(ranked)} 名（按接近程度排序）", style="bold"))
        for row_number, name, status, detail in ranked[:20]:
            label = "差一项" if status == "ineligible" else STATUS_LABELS[status]
            out.print(Text(f"  第 {row_number} 行 {name}  {label}  {detail}"))
        if len(ranked) > 20:
            out.print(f"  …… 其余 {len(ranked) - 20} 名见输出文件")
    if result.header_row != 1 or result.sheet:
        where = f"工作表“{result.sheet}”" if result.sheet else ""
        err.print(f"读取{where}：列名在第 {result.header_row} 行")
    for header, hint in result.unknown_columns.items():
        what = "已原样带到输出" if header in result.passthrough else "已忽略"
        err.print(Text("注意：", style="yellow") + Text(f"列“{header}”不是档案字段，{what}{hint}"))
    if result.first_errors:
        err.print(Text(f"有错误的行（共 {result.with_errors} 行，全部列在输出的“错误”表中）：",
                       style="yellow"))
        for line in result.first_errors[:5]:
            err.print(Text("  " + line))
        if result.with_errors > 5:
            err.print(f"  …… 其余 {result.with_errors - 5} 行见输出文件")
    out.print("输出：" + "、".join(str(p) for p in result.outputs))
    out.print(Text(result.line, style="bold"))


@app.command()
def screen(
    source: Annotated[Path, typer.Argument(
        help="申请人表格：.xlsx、.csv、.jsonl 或 .parquet，列名用中文或字段名（--dask 时为分区目录）")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="结果文件：.xlsx、.csv、.jsonl 或 .parquet（--dask 时为输出目录）")],
    clause: Annotated[list[str] | None, typer.Option(
        "--clause", help="只看这些条款（编号或标题中的词语，可重复），并按接近程度列出符合或接近符合的申请人",
        metavar="条款")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="档案类型 company 或 talent（默认按列名判断，或读“类型”列）")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="并行进程数")] = 1,
    sheet: Annotated[str | None, typer.Option(
        "--sheet", help="读取的工作表名称（默认：第一张有列名行的工作表）")] = None,
    header_row: Annotated[int | None, typer.Option(
        "--header-row", min=1, help="列名所在的行号（默认：在前 20 行中自动查找）")] = None,
    keep: Annotated[str | None, typer.Option(
        "--keep", help="原样带到输出的列，逗号分隔（默认：所有非档案字段的列）")] = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="columnar：成批按列判定（默认）；rows：逐行判定", metavar="<引擎>")] = "columnar",
    dask: Annotated[str | None, typer.Option(
        "--dask", help="在 Dask 集群上筛查：tcp://主机:8786，或 local（本机两个工作进程）",
        metavar="<地址>")] = None,
    as_of: AsOfOption = None,
    rules: RulesOption = None,
) -> None:
    """批量筛查：每一行申请人输出一行结果（或错误说明），另附按条款的汇总。"""
    when = _as_of(as_of)
    if kind is not None and kind not in ("company", "talent"):
        _refuse(f"--kind 应为 company 或 talent，实际为 {kind!r}")
    if engine not in ENGINES:
        _refuse(f"--engine 应为 {' 或 '.join(ENGINES)}，实际为 {engine!r}")
    plan = _run(lambda: plan_screen(source, output, rules=rules, as_of=when, kind=kind, clauses=clause,
                                    keep=keep, workers=workers, sheet=sheet, header_row=header_row,
                                    engine=engine, dask=dask))
    settle_loaded()  # this process now screens until it ends: see calculator.results.calculator
    try:
        with ExitStack() as stack:
            result = _run(lambda: plan.run(_progress_reporter(stack) if plan.local else None))
    except (KeyboardInterrupt, Terminated):
        if not plan.local:
            raise
        err.print(Text("已中断：", style="bold red") + Text("原有的结果文件未改动，临时文件已删除"))
        raise typer.Exit(130) from None
    _render_batch(result)


@app.command()
def template(
    kind: Annotated[str, typer.Argument(help="company（企业/机构）或 talent（人才）")],
    output: Annotated[Path, typer.Argument(help="模板文件 .xlsx（或 .csv）", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖")] = False,
) -> None:
    """生成批量筛查用的空白表格：列名、一行示例、选项列的可选值。"""
    path = _run(lambda: write_template(kind, output, force=force))
    out.print(f"已生成模板：{path}")


@rules_app.command("list")
def rules_list(
    target: Annotated[str | None, typer.Option(
        "--target", help="只列出这一对象的条款：企业、科研机构、人才（个人人才、人才团队）或 company 等",
        metavar="对象")] = None,
    support: Annotated[str | None, typer.Option(
        "--support", help="只列出这一类支持：资金、税收、融资、服务、政策导向（或 funding 等）",
        metavar="类型")] = None,
    search: Annotated[str | None, typer.Option(
        "--search", help="只列出标题含这些词语的条款，如 500强", metavar="词语")] = None,
    rules: RulesOption = None,
) -> None:
    """按政策文件列出条款；可按对象、支持类型筛选，按标题查找。"""
    listing = _run(lambda: catalogue(Calculator.load(rules).bundle, target=target, support=support,
                                     text=search))
    for doc, rules_of_doc in listing.documents:
        number = f" {doc.doc_number}" if doc.doc_number else ""
        out.print()
        _line(Text(f"《{doc.title}》{number}［{DOC_STATUS_LABELS[doc.status]}］  {len(rules_of_doc)} 条",
                   style="bold"))
        for rule in rules_of_doc:
            kind = SUPPORT_LABELS.get(clause_support(rule), "")
            _line(Text(f"· {rule.clause.title}") + Text(f"  {TARGET_LABELS[rule.clause.target]} · {kind}",
                                                        style="dim"), 0, hanging=2)
            _id_line(rule.id, 2)
            _line(rule.clause.benefit.text, 2, style="dim")
    summary = "，".join(f"{DOC_STATUS_LABELS[s]} {n} 条" for s, n in listing.statuses)
    out.print()
    if not listing.chosen:
        out.print("没有符合筛选条件的条款。")
    scope = f"（共 {listing.total} 条中筛选）" if listing.filtered else ""
    out.print(f"共 {listing.chosen} 条条款{scope}，{len(listing.documents)} 份文件"
              + (f"：{summary}" if summary else "") + f"；规则版本 {listing.rules_version}")


@rules_app.command("show")
def rules_show(
    clause_id: Annotated[str, typer.Argument(help="条款编号，或条款标题中的词语", metavar="条款")],
    rules: RulesOption = None,
) -> None:
    """显示一条条款的条件、支持内容和政策原文。"""
    rule = _run(lambda: Calculator.load(rules).bundle.resolve(clause_id))
    doc, clause = rule.document, rule.clause
    out.print(Text(f"{clause.title} [{clause.id}]", style="bold"))
    out.print(f"对象：{TARGET_LABELS[clause.target]}　适用地区：{scope_text(clause.scope)}")
    out.print(f"类型：{SUPPORT_LABELS[clause.support]}")
    kind_label = BENEFIT_KIND_LABELS.get(clause.benefit.kind, clause.benefit.kind)
    out.print(f"支持：{clause.benefit.text}（{kind_label}）")
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
    workers: Annotated[int, typer.Option("--workers", help="工作进程数（每个进程各自加载规则）", min=1)] = 1,
    json_log: Annotated[bool, typer.Option(
        "--json-access-log", help="访问日志写成每个请求一行 JSON")] = False,
    no_log: Annotated[bool, typer.Option("--no-access-log", help="不写访问日志")] = False,
    token_file: Annotated[Path | None, typer.Option(
        "--admin-token-file", help="管理令牌文件，启用更换规则的接口（也可用环境变量，见 docs/embedding.md）",
        dir_okay=False, metavar="文件")] = None,
    max_screens: Annotated[int, typer.Option(
        "--max-screens", help="每个工作进程同时处理的批量评估数（各在一个独立进程中计算），超出时回复 503",
        min=1)] = 1,
    eval_threads: Annotated[int, typer.Option(
        "--eval-threads", help="每个工作进程中评估请求的线程数（其余请求排队）", min=1)] = 2,
    h11: Annotated[bool, typer.Option(
        "--h11", help="改用 h11 解析请求（较慢；默认用 C 实现的解析器）")] = False,
    header_timeout: Annotated[float, typer.Option(
        "--header-timeout", help="请求头须在多少秒内收完，否则断开连接", metavar="秒")] = 10.0,
    limit_concurrency: Annotated[int, typer.Option(
        "--max-connections", help="每个进程最多同时持有的连接和请求数，超出时回复 503", min=1)] = 1000,
) -> None:
    """以 HTTP 服务提供评估接口和自查页面（接口说明见 /docs，详见 docs/embedding.md）。
    向主进程发送挂断信号（1 号信号）即逐个替换工作进程、加载新规则。"""
    from calculator.service.limits import Limits
    from calculator.service.server import ServeOptions
    from calculator.service.server import serve as run_service

    options = _run(lambda: ServeOptions(
        host=host, port=port, workers=workers, rules=None if rules is None else str(rules),
        access_log="off" if no_log else "json" if json_log else "text", http="h11" if h11 else "httptools",
        token_file=None if token_file is None else str(token_file), header_timeout=header_timeout,
        limit_concurrency=limit_concurrency,
        limits=Limits(max_screens=max_screens, eval_threads=eval_threads)))
    _run(lambda: run_service(options, announce=lambda line: err.print(line)))


# Every command's help in Chinese, including commands added above without a ``cls``.
for _typer_app in (app, rules_app):
    for _info in _typer_app.registered_commands:
        if _info.cls in (None, TyperCommand):
            _info.cls = ChineseCommand


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
