"""The answer first: what a report means for the firm, in the order a reader wants it.

``summarize`` turns a ``Report`` into a ``Summary``: the headline (确定可得, the most it can
reach and why it is open, non-cash supports, how much the missing facts could decide),
then the supports in sections: cash with a stated amount (largest first), cash without one
(一事一议, 上不封顶), other supports (tax, financing, service), the facts to fill in (one
list, the fact deciding the most money first), near misses, and, only when asked for
(``include_all``), clauses that do not apply, are not in force or are 政策导向.

Every entry carries the texts a terminal, a page and a workbook all show, so they say the
same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..base.money import format_money
from ..results.amounts import CASH_KINDS, ZERO, describe
from ..results.interview import Question, questions_from, stake, stake_text
from ..results.report import STATUS_LABELS, CitationOut, ClauseResult, Report
from ..rules.schema import STATUS_LABELS as DOC_STATUS_LABELS
from ..rules.schema import StackingGroup

KIND_LABELS = {"company": "企业/机构", "talent": "人才"}


def caveats_of(result: ClauseResult) -> list[str]:
    """What a reader must know before counting on the support: the clause's caveats, and
    what its amount depends on."""
    caveats = list(result.caveats)
    if result.benefit.note and result.benefit.kind not in ("case_by_case", "non_monetary"):
        caveats.append(result.benefit.note)
    return caveats


def citation_line(c: CitationOut) -> str:
    """``［新闻报道］苏政发〔2026〕55号《…》二、(一)``: the document, its number and article."""
    tag = "" if c.status == "issued" else f"［{DOC_STATUS_LABELS[c.status]}］"
    number = f"{c.doc_number} " if c.doc_number else ""
    return f"{tag}{number}《{c.document}》{c.article}"


@dataclass(frozen=True)
class Entry:
    """One support as every output shows it."""

    clause_id: str
    title: str
    target: str
    status: str
    status_label: str
    support: str
    support_label: str
    amount: str
    #: the most it pays in yuan, for sorting; ``None`` when not stated or not cash
    max: Decimal | None
    benefit_text: str
    #: sentences explaining the decision: requirements met, failed or unknown
    reasons: tuple[str, ...]
    #: the facts to fill in for this clause (labels)
    missing: tuple[str, ...]
    caveats: tuple[str, ...]
    #: other remarks: not in force, 就高不重复, payers
    notes: tuple[str, ...]
    #: where the policy says so, in full (document, 文号, issuer, date, article, quote)
    citation: CitationOut
    #: the citation in one line, without the quote
    citation_line: str
    #: 正式发布 / 征求意见稿 / 新闻报道
    citation_status_label: str
    counted: bool


@dataclass(frozen=True)
class Fact:
    """A fact to fill in, with the money it could decide."""

    field: str
    label: str
    help: str
    at_stake_max: Decimal | None
    at_stake_text: str
    clauses: tuple[tuple[str, str], ...]  # (clause id, title)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Summary:
    name: str
    kind: str
    kind_label: str
    as_of: date
    rules_version: str
    engine_version: str
    #: 确定可得: the guaranteed minimum of the eligible awards, after stacking
    certain: Decimal
    #: the most the eligible awards reach; ``None`` when one of them has no stated maximum
    highest: Decimal | None
    #: the most the eligible awards with a stated maximum reach
    stated_highest: Decimal
    #: eligible cash awards without a stated maximum (一事一议, 上不封顶)
    open_awards: int
    #: eligible supports that are not cash
    non_cash: int
    #: in-force clauses that need more facts, and what they could pay
    pending: int
    pending_text: str
    facts: tuple[Fact, ...]
    sections: tuple[Section, ...]
    #: clauses left out of the sections (not applicable, not in force, 政策导向) unless all
    hidden: int
    headline: tuple[str, ...] = field(default=())

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


def _entry(result: ClauseResult, titles: dict[str, str]) -> Entry:
    notes: list[str] = []
    if result.validity:
        notes.append(result.validity)
    if result.suppressed_by:
        winner = titles.get(result.suppressed_by, result.suppressed_by)
        notes.append(f"与“{winner}”（{result.suppressed_by}）就高不重复，按较高者计，本项不计入合计")
    if result.benefit.payers:
        notes.append("出资：" + "、".join(result.benefit.payers))
    status_label = STATUS_LABELS[result.status]
    if result.near_miss:
        status_label = "差一项"
    support = result.support
    cash = result.benefit.kind in CASH_KINDS
    return Entry(
        clause_id=result.clause_id, title=result.title, target=result.target, status=result.status,
        status_label=status_label, support=support, support_label=result.support_label,
        amount=describe(result.benefit), max=result.benefit.max if cash else None,
        benefit_text=result.benefit.text, reasons=tuple(r.text for r in result.reasons),
        missing=tuple(m.label for m in result.missing), caveats=tuple(caveats_of(result)),
        notes=tuple(notes), citation=result.citation, citation_line=citation_line(result.citation),
        citation_status_label=DOC_STATUS_LABELS[result.citation.status], counted=result.counted)


def _by_amount(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    return tuple(sorted(entries, key=lambda e: (not e.counted, -(e.max or ZERO))))


def _hidden(result: ClauseResult) -> bool:
    if not result.is_support:
        return True
    return result.status in ("not_in_force", "ineligible") and not result.near_miss


def summarize(report: Report, groups: Sequence[StackingGroup] = (), *,
              include_all: bool = False) -> Summary:
    """The answer first, then the supports in sections (see the module text); ``groups``
    are the rules' stacking groups (``calc.bundle.groups``), for what the facts decide."""
    titles = {r.clause_id: r.title for r in report.results}
    shown = [r for r in report.results if include_all or not _hidden(r)]
    live = report.supports()
    eligible = [r for r in live if r.status == "eligible"]
    entries = {r.clause_id: _entry(r, titles) for r in shown}

    def pick(keep: Iterable[ClauseResult]) -> list[Entry]:
        return [entries[r.clause_id] for r in keep if r.clause_id in entries]

    stated = [r for r in eligible if r.benefit.kind in CASH_KINDS and r.benefit.max is not None]
    unstated = [r for r in eligible if r.benefit.kind in CASH_KINDS and r.benefit.max is None]
    other = [r for r in eligible if r.benefit.kind not in CASH_KINDS]
    pending = [r for r in live if r.status == "needs_info"]
    near = [r for r in live if r.near_miss]
    sections = [
        Section("cash", "资金支持（已符合，按金额从高到低）", _by_amount(pick(stated))),
        Section("open", "资金支持（已符合，金额未明确：一事一议或上不封顶）", tuple(pick(unstated))),
        Section("other", "其他支持（已符合：税收、融资、服务与便利）", tuple(pick(other))),
        Section("pending", "可能符合（待补充信息）", _by_amount(pick(pending))),
        Section("near", "差一项", tuple(pick(near))),
    ]
    if include_all:
        rest = [r for r in report.supports() if _hidden(r)]
        sections += [
            Section("ineligible", "不符合", tuple(pick(r for r in rest if r.status == "ineligible"))),
            Section("not_in_force", "未施行（征求意见稿、尚未生效或已失效）",
                    tuple(pick(r for r in rest if r.status == "not_in_force"))),
            Section("direction", "政策导向（不是可申请的支持，仅供了解）", tuple(pick(report.directions()))),
        ]
    # The eligible total without the awards that have no maximum, after stacking.
    low = report.totals.min
    counted_stated = [r for r in stated if r.counted]
    stated_high, _, _ = stake(counted_stated)
    open_awards = sum(1 for r in unstated if r.counted)
    questions: list[Question] = questions_from(report, groups, limit=None)
    facts = tuple(Fact(q.field, q.label, q.help, q.at_stake_max, q.at_stake_text,
                       tuple((cid, titles.get(cid, cid)) for cid in q.clauses)) for q in questions)
    p_stated, p_unbounded, p_non_cash = stake(pending, groups)
    hidden = sum(1 for r in report.results if _hidden(r)) if not include_all else 0
    summary = Summary(
        name=report.profile.name, kind=report.profile.kind,
        kind_label=KIND_LABELS[report.profile.kind], as_of=report.as_of,
        rules_version=report.rules_version, engine_version=report.engine_version,
        certain=low, highest=report.totals.max, stated_highest=stated_high,
        open_awards=open_awards, non_cash=len(other), pending=len(pending),
        pending_text=stake_text(p_stated, p_unbounded, p_non_cash), facts=facts,
        sections=tuple(sections), hidden=hidden)
    return _with_headline(summary)


def _with_headline(s: Summary) -> Summary:
    lines = [f"确定可得 {format_money(s.certain)}"]
    if s.highest is not None:
        if s.highest != s.certain:
            lines[0] += f"；最高 {format_money(s.highest)}"
    else:
        top = f"已明确金额的最高 {format_money(s.stated_highest)}，" if s.stated_highest else ""
        lines[0] += f"；{top}另有 {s.open_awards} 项一事一议或上不封顶（金额未明确，未计入）"
    if s.non_cash:
        lines.append(f"非资金支持 {s.non_cash} 项（税收、融资、服务与便利）")
    if s.pending:
        count = len(s.facts)
        lines.append(f"待补充信息 {s.pending} 项（{s.pending_text}）：补填下列 {count} 项信息即可判断")
    return Summary(**{**s.__dict__, "headline": tuple(lines)})


def money_text(amount: Decimal | None) -> str:
    return "—" if amount is None else format_money(amount)


__all__ = ["Entry", "Fact", "Section", "Summary", "summarize"]
