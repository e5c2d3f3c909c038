"""The HTTP service: the calculator behind a small JSON API (FastAPI, run by uvicorn).

``create_app(Calculator.load())`` returns an ASGI app. Every answer is JSON: a report
exactly as ``policycalc check --json`` prints it, or an error
``{"error": {"message": …, "problems": [{"field": …, "message": …}], "problem_count": n}}``
in Chinese. No exception text or traceback ever reaches a client; unexpected ones are logged.

The event loop only moves bytes: decoding, validation, evaluation and serialisation run
in a bounded pool of threads (``Limits.eval_threads``), so ``/healthz`` and ``/metrics``
answer while the calculator works. ``/v1/screen`` is streamed a few profiles at a time and
at most ``Limits.max_screens`` run at once; over that the reply is 503 with Retry-After.

The pieces around the endpoints have modules of their own: ``receiving`` (bodies within
limits), ``streaming`` (the streamed reply and its gate), ``replies`` (JSON and the error
shape), ``admin`` (changing the rules), ``pages`` (the self-check page), ``openapi``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from functools import partial
from pathlib import Path as Path_
from typing import Annotated, Any

import anyio
from anyio import to_thread
from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import Response

from ..base.errors import CalculatorError, ProfileError, RuleFileError
from ..profiles.models import CompanyProfile, TalentProfile, check_past_facts
from ..results.calculator import Calculator, package_version
from ..results.describe import condition_lines
from ..results.report import Detail
from ..rules.loading import ClauseRule
from ..rules.schema import TARGET_LABELS
from . import docs_ui, metrics
from . import request_body as body
from .admin import install_admin
from .contract import MAX_SCREEN_PROFILES, ClauseDetail, ClauseList, ClauseSummary, Health
from .limits import Limits
from .openapi import DESCRIPTION, App, documented, request_spec
from .pages import install_page
from .receiving import Budget, busy, read_body
from .reloading import Reloader
from .replies import error_reply, install_error_handlers, json_reply
from .screens import ScreenProcesses, reports_bytes
from .streaming import NDJSON, Gate, Streamed

log = logging.getLogger("policycalc.service")


def _evaluate_body(calculator: Calculator, raw: bytes, detail: Detail) -> bytes:
    profile, when = body.evaluate_request(body.decode_json(raw))
    report = calculator.evaluate(profile, when, detail)
    metrics.EVALUATIONS.labels(profile.kind).inc()
    return report.model_dump_json().encode()


def _screen_body(raw: bytes) -> tuple[list[CompanyProfile | TalentProfile], date]:
    """The profiles and the one evaluation date of a screen, every profile checked
    against that date before the reply starts (one bad profile refuses the batch)."""
    profiles, when = body.screen_request(body.decode_json(raw), MAX_SCREEN_PROFILES)
    as_of = when or date.today()  # one date for every chunk, even across midnight
    problems = body.Problems()
    for index, profile in enumerate(profiles):
        try:
            check_past_facts(profile, as_of)
        except ProfileError as err:
            for problem in err.problems:
                problems.add(f"profiles[{index}].{problem.path}", problem.message)
    if problems:
        raise body.invalid(problems)
    return profiles, as_of


def _summary(rule: ClauseRule) -> dict[str, Any]:
    doc, clause, period = rule.document, rule.clause, rule.effective
    return dict(id=rule.id, title=clause.title, target=TARGET_LABELS[clause.target],
                profile_kind=rule.profile_kind, document=doc.title, doc_number=doc.doc_number,
                document_status=doc.status, benefit=clause.benefit.text,
                benefit_kind=clause.benefit.kind, effective_from=period.start,
                effective_to=period.end)


def create_app(calculator: Calculator, *, max_body_bytes: int | None = None, limits: Limits | None = None,
               rules: str | Path_ | None = None, admin_token: str | None = None,
               reloader: Reloader | None = None, json_access_log: bool = False,
               screen_processes: ScreenProcesses | None = None) -> FastAPI:
    """The ASGI app serving ``calculator``. A ``calculator.reload(...)`` elsewhere takes
    effect for the next request; requests already running finish on their rules.

    ``admin_token`` enables ``POST /v1/admin/reload`` (``Authorization: Bearer TOKEN``),
    which calls ``reloader``, by default ``calculator.reload(rules)`` in this process.
    ``screen_processes`` runs ``/v1/screen`` in those processes instead of threads."""
    limits = limits or Limits()
    if max_body_bytes is not None:
        limits = Limits(**{**limits.__dict__, "max_body_bytes": max_body_bytes})

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if screen_processes is not None:
                screen_processes.close()

    app = App(title="政策计算器 API", version=package_version(), description=DESCRIPTION,
              docs_url=None, redoc_url=None, lifespan=lifespan)
    docs_ui.install(app, "政策计算器 API")
    threads = anyio.CapacityLimiter(limits.eval_threads)
    screens = Gate(limits.max_screens)
    budget = Budget(limits.max_buffered_bytes)

    async def screen_part(profiles: Sequence[CompanyProfile | TalentProfile], as_of: date,
                          separator: bytes, lead: bool, detail: Detail) -> bytes:
        if screen_processes is not None:
            part = await screen_processes.run(profiles, as_of, separator, lead, calculator.rules_version,
                                              detail)
        else:
            part = await off_loop(partial(reports_bytes, calculator, profiles, as_of, separator, lead,
                                          detail))
        for profile in profiles:
            metrics.EVALUATIONS.labels(profile.kind).inc()
        return part
    metrics.show_rules_version(calculator.rules_version)

    async def off_loop(function: Callable[[], Any]) -> Any:
        return await to_thread.run_sync(function, limiter=threads)

    @app.post("/v1/evaluate", summary="评估一个档案", openapi_extra=request_spec("EvaluateRequest"),
              responses=documented("Report", 400, 408, 413, 415, 422))
    async def evaluate(request: Request, detail: Annotated[Detail, Query(
            description="shown：不符合的条款只给第一个不满足的条件（默认）；"
                        "full：每个条款的全部理由")] = "shown") -> Response:
        """请求体 `{"profile": {…}, "as_of": "YYYY-MM-DD"}`（as_of 可省略，默认服务器的今天）；
        返回与 `policycalc check --json` 相同的报告。"""
        raw = await read_body(request, limits, budget)
        return Response(await off_loop(partial(_evaluate_body, calculator, raw, detail)),
                        media_type="application/json")

    @app.post("/v1/screen", summary=f"批量评估（最多 {MAX_SCREEN_PROFILES} 个档案）",
              openapi_extra=request_spec("ScreenRequest"),
              responses=documented("ScreenResponse", 400, 408, 413, 415, 422, 503))
    async def screen(request: Request, detail: Annotated[Detail, Query(
            description="shown（默认）或 full，同 /v1/evaluate")] = "shown") -> Response:
        """请求体 `{"profiles": [{…}, …], "as_of": "YYYY-MM-DD"}`；任何一个档案有错则整批拒绝，
        错误位置写作 `profiles[3].revenue`。回复边算边发：默认为 `{"reports": [...]}`，
        `Accept: application/x-ndjson` 时每行一份报告。同时处理的批量评估已满时返回 503。"""
        if screens.free <= 0:  # refuse before reading a body that would only wait
            metrics.REFUSED.labels("/v1/screen").inc()
            raise busy(limits, f"同时处理的批量评估已达上限 {limits.max_screens} 个")
        raw = await read_body(request, limits, budget)
        if not screens.enter():
            metrics.REFUSED.labels("/v1/screen").inc()
            raise busy(limits, f"同时处理的批量评估已达上限 {limits.max_screens} 个")
        try:
            profiles, as_of = await off_loop(partial(_screen_body, raw))
            del raw
            ndjson = NDJSON in request.headers.get("accept", "")
            step = limits.screen_chunk
            separator = b"\n" if ndjson else b","
            first = await screen_part(profiles[:step], as_of, separator, False, detail)
        except BaseException:
            screens.leave()
            raise

        async def parts() -> AsyncIterator[bytes]:
            yield first if ndjson else b'{"reports":[' + first
            for start in range(step, len(profiles), step):
                try:
                    yield await screen_part(profiles[start:start + step], as_of, separator, True, detail)
                except CalculatorError as err:
                    metrics.ERRORS.labels("evaluation").inc()
                    log.error("批量评估中途失败：%s", err)
                    if not ndjson:
                        raise  # the JSON reply stays unfinished: a client cannot mistake it
                    yield b"\n" + error_reply(500, str(err)).body  # the one error shape
                    return
            yield b"\n" if ndjson and profiles else b"" if ndjson else b"]}"

        return Streamed(parts(), NDJSON if ndjson else "application/json", limits.send_timeout,
                         screens.leave)

    @app.get("/v1/clauses", summary="全部条款", responses=documented("ClauseList"))
    async def clauses() -> Response:
        bundle = calculator.bundle
        return json_reply(ClauseList(rules_version=bundle.version,
                                clauses=[ClauseSummary(**_summary(r)) for r in bundle.clauses]))

    @app.get("/v1/clauses/{clause_id}", summary="一条条款的条件、支持内容与政策原文",
             responses=documented("ClauseDetail", 404, 422))
    async def clause(clause_id: Annotated[str, Path(description="条款编号，见 GET /v1/clauses",
                                                    examples=["global-500-first-entry-award"])]) -> Response:
        try:
            rule = calculator.bundle.clause(clause_id)
        except RuleFileError as err:
            raise body.RequestError(404, str(err), [("clause_id", err.problems[0].message)]) from None
        doc, cited = rule.document, rule.clause.citation
        return json_reply(ClauseDetail(
            **_summary(rule), issuer=doc.issuer, document_date=doc.date, article=cited.article,
            quote=cited.quote, source=doc.source, reports_on=doc.reports_on,
            conditions=[line.rstrip() for line in condition_lines(rule.condition)],
            notes=rule.clause.notes))

    health: dict[str, bytes] = {}

    @app.get("/healthz", summary="服务状态与规则版本", responses=documented("Health"))
    async def healthz() -> Response:
        # On the event loop and from a cache: it never waits for a thread or the rules.
        bundle = calculator.bundle
        if bundle.version not in health:
            health.clear()
            health[bundle.version] = Health(status="ok", rules_version=bundle.version,
                                            engine_version=package_version(),
                                            clauses=len(bundle.clauses)).model_dump_json().encode()
        return Response(health[bundle.version], media_type="application/json")

    @app.get("/metrics", summary="Prometheus 指标", include_in_schema=True,
             responses={200: {"description": "Prometheus 文本格式", "content": {"text/plain": {}}}})
    async def prometheus() -> Response:
        data, content_type = metrics.exposition()
        return Response(data, media_type=content_type)


    install_admin(app, calculator, rules, admin_token, reloader, screen_processes)
    install_page(app, calculator, limits, budget, off_loop)
    install_error_handlers(app)
    paths = {getattr(r, "path", "") for r in app.routes} - {""}
    app.add_middleware(metrics.Observe, paths=paths, json_log=json_access_log)
    return app

