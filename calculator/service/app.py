"""The HTTP service: the calculator behind a small JSON API (FastAPI, run by uvicorn).

``create_app(Calculator.load())`` returns an ASGI app. Every answer is JSON: a report
exactly as ``policycalc check --json`` prints it, or an error
``{"error": {"message": …, "problems": [{"field": …, "message": …}], "problem_count": n}}``
in Chinese. No exception text or traceback ever reaches a client; unexpected ones are logged.

The event loop only moves bytes: decoding, validation, evaluation and serialisation run
in a bounded pool of threads (``Limits.eval_threads``), so ``/healthz`` and ``/metrics``
answer while the calculator works. ``/v1/screen`` is streamed a few profiles at a time and
at most ``Limits.max_screens`` run at once; over that the reply is 503 with Retry-After.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date
from functools import partial
from pathlib import Path as Path_
from typing import Annotated, Any

import anyio
from anyio import to_thread
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..base.errors import CalculatorError, EvaluationError, ProfileError, RuleFileError, did_you_mean
from ..profiles.models import CompanyProfile, TalentProfile, check_past_facts
from ..results.calculator import Calculator, package_version
from ..results.describe import condition_lines
from ..results.report import Detail
from ..rules.loading import ClauseRule
from ..rules.schema import TARGET_LABELS
from . import docs_ui, metrics, web
from . import request_body as body
from .contract import (
    MAX_SCREEN_PROFILES,
    ClauseDetail,
    ClauseList,
    ClauseSummary,
    Health,
    ReloadResponse,
    openapi_components,
)
from .limits import Limits
from .reloading import Reloaded, Reloader, in_process
from .screens import ScreenProcesses, reports_bytes

log = logging.getLogger("policycalc.service")

_JSON_TYPES = ("application/json",)
NDJSON = "application/x-ndjson"
FORM = "application/x-www-form-urlencoded"
DESCRIPTION = f"""政策计算器的 HTTP 接口：提交企业/机构或人才档案，得到每一条适用条款的状态、金额与
政策原文出处。

- 报告与 `policycalc check --json` 的输出完全相同；金额为十进制字符串（元）。
- 请求体为 JSON（`Content-Type: application/json`），最大 {body.MAX_BODY_BYTES} 字节，嵌套最多
  {body.MAX_DEPTH} 层；批量评估一次最多 {MAX_SCREEN_PROFILES} 个档案。
- `/v1/screen` 的回复边算边发（`Accept: application/x-ndjson` 时每行一份报告）；同时最多处理
  {Limits.max_screens} 个（每个进程），超出时返回 503 和 `Retry-After`。
- 出错时返回 `{{"error": {{"message": "…", "problems": [{{"field": "profile.revenue", "message": "…"}}],
  "problem_count": 1}}}}`；problems 最多列出 {body.MAX_PROBLEMS} 项，problem_count 为总数。
"""


def _ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _responses(ok: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    labels = {400: "请求体不是有效的 JSON，或嵌套过深", 401: "缺少或错误的管理令牌",
              403: "未启用（没有配置管理令牌）", 404: "没有这一条款", 408: "请求体未在限定时间内收完",
              413: "请求体过大", 415: "请求体不是 JSON", 422: "请求内容或参数不符合接口格式",
              500: "服务器内部错误（不含内部细节）",
              503: "繁忙：同时处理的批量评估已满，按 Retry-After 秒后重试"}
    out: dict[int | str, dict[str, Any]] = {200: {"description": "成功", "content": _ref(ok)}}
    for status in (*errors, 500):
        out[status] = {"description": labels[status], "content": _ref("ErrorResponse")}
    return out


def _request_body(name: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": _ref(name)}}


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


def _error(status: int, message: str, problems: Sequence[tuple[str, str]] = (),
           headers: Mapping[str, str] | None = None, count: int | None = None) -> JSONResponse:
    content = {"error": {"message": message,
                         "problems": [{"field": f, "message": m} for f, m in problems],
                         "problem_count": len(problems) if count is None else count}}
    return JSONResponse(content, status_code=status, headers=headers)


class _App(FastAPI):
    def openapi(self) -> dict[str, Any]:
        # Request and response bodies are described by the contract's own schemas (the
        # ones ``policycalc schema`` prints), not re-derived by FastAPI.
        if not self.openapi_schema:
            spec = get_openapi(title=self.title, version=self.version, openapi_version="3.1.0",
                               description=self.description, routes=self.routes)
            components = spec.setdefault("components", {})
            components.setdefault("schemas", {}).update(openapi_components())
            components["securitySchemes"] = {"管理令牌": {
                "type": "http", "scheme": "bearer",
                "description": "POLICYCALC_ADMIN_TOKEN（或令牌文件）中的令牌"}}
            self.openapi_schema = spec
        return self.openapi_schema


class _Gate:
    """How many screens run at once. Touched only on the event loop, so a count will do."""

    def __init__(self, size: int) -> None:
        self.free = size

    def enter(self) -> bool:
        if self.free <= 0:
            return False
        self.free -= 1
        return True

    def leave(self) -> None:
        self.free += 1


class _Budget:
    """Bytes of request bodies being read at once, across all requests of the process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.used = 0


def _busy(limits: Limits, what: str) -> body.RequestError:
    return body.RequestError(503, f"服务繁忙：{what}；请 {limits.retry_after} 秒后重试",
                             headers={"Retry-After": str(limits.retry_after)})


async def _read(request: Request, limits: Limits, budget: _Budget, form: bool = False) -> bytes:
    """The raw body, within the size limit, the read timeout and the process's budget;
    JSON, or with ``form`` an HTML form (application/x-www-form-urlencoded)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if form:
        if media != FORM:
            raise body.RequestError(415, f"表单应为 {FORM}，实际为 {media or '无'}")
    elif media and media not in _JSON_TYPES and not media.endswith("+json"):
        raise body.RequestError(415, f"请求体应为 JSON（Content-Type: application/json），实际为 {media}")
    limit = web.MAX_FORM_BYTES if form else limits.max_body_bytes
    declared = request.headers.get("content-length")
    too_big = f"请求体过大：上限 {limit} 字节"
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise body.RequestError(413, too_big)
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(limits.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:  # the declared length may be absent (chunked) or wrong
                    raise body.RequestError(413, too_big)
                if budget.used + len(chunk) > budget.size:
                    raise _busy(limits, "正在接收的请求体过多")
                budget.used += len(chunk)
                chunks.append(chunk)
    except TimeoutError:
        raise body.RequestError(408, f"请求体未在 {limits.body_timeout:g} 秒内收完") from None
    finally:
        budget.used -= sum(len(c) for c in chunks)
    return b"".join(chunks)


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


class _Streamed(Response):
    """A reply sent as its parts are made; a part the client does not take within
    ``send_timeout`` seconds ends it. ``done`` runs however it ends."""

    def __init__(self, parts: AsyncIterator[bytes], media_type: str, send_timeout: float,
                 done: Callable[[], None]) -> None:
        self.status_code, self.background, self.media_type = 200, None, media_type
        self.raw_headers = [(b"content-type", media_type.encode("latin-1"))]  # no length: streamed
        self.parts, self.send_timeout, self.done = parts, send_timeout, done

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for part in self.parts:
                with anyio.fail_after(self.send_timeout):
                    await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except TimeoutError:
            log.warning("客户端 %s 秒内未接收批量评估的回复，已中止", self.send_timeout)
        except Exception:
            # Already logged where it happened. The reply stays unfinished (no last chunk),
            # so the client sees a broken transfer, never a complete-looking answer.
            log.error("批量评估的回复已中止")
        finally:
            await self.parts.aclose()  # type: ignore[attr-defined]
            self.done()


def _summary(rule: ClauseRule) -> dict[str, Any]:
    doc, clause, period = rule.document, rule.clause, rule.effective
    return dict(id=rule.id, title=clause.title, target=TARGET_LABELS[clause.target],
                profile_kind=rule.profile_kind, document=doc.title, doc_number=doc.doc_number,
                document_status=doc.status, benefit=clause.benefit.text,
                benefit_kind=clause.benefit.kind, effective_from=period.start,
                effective_to=period.end)


def _bearer(request: Request) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


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

    app = _App(title="政策计算器 API", version=package_version(), description=DESCRIPTION,
               docs_url=None, redoc_url=None, lifespan=lifespan)
    docs_ui.install(app, "政策计算器 API")
    threads = anyio.CapacityLimiter(limits.eval_threads)
    admin = anyio.CapacityLimiter(1)
    screens = _Gate(limits.max_screens)
    budget = _Budget(limits.max_buffered_bytes)
    reload_rules = reloader or in_process(calculator, rules)
    if screen_processes is not None and reloader is None:
        reload_here = reload_rules

        def reload_rules() -> Reloaded:
            outcome = reload_here()
            screen_processes.restart()
            return outcome

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

    @app.post("/v1/evaluate", summary="评估一个档案", openapi_extra=_request_body("EvaluateRequest"),
              responses=_responses("Report", 400, 408, 413, 415, 422))
    async def evaluate(request: Request, detail: Annotated[Detail, Query(
            description="shown：不符合的条款只给第一个不满足的条件（默认）；"
                        "full：每个条款的全部理由")] = "shown") -> Response:
        """请求体 `{"profile": {…}, "as_of": "YYYY-MM-DD"}`（as_of 可省略，默认服务器的今天）；
        返回与 `policycalc check --json` 相同的报告。"""
        raw = await _read(request, limits, budget)
        return Response(await off_loop(partial(_evaluate_body, calculator, raw, detail)),
                        media_type="application/json")

    @app.post("/v1/screen", summary=f"批量评估（最多 {MAX_SCREEN_PROFILES} 个档案）",
              openapi_extra=_request_body("ScreenRequest"),
              responses=_responses("ScreenResponse", 400, 408, 413, 415, 422, 503))
    async def screen(request: Request, detail: Annotated[Detail, Query(
            description="shown（默认）或 full，同 /v1/evaluate")] = "shown") -> Response:
        """请求体 `{"profiles": [{…}, …], "as_of": "YYYY-MM-DD"}`；任何一个档案有错则整批拒绝，
        错误位置写作 `profiles[3].revenue`。回复边算边发：默认为 `{"reports": [...]}`，
        `Accept: application/x-ndjson` 时每行一份报告。同时处理的批量评估已满时返回 503。"""
        if screens.free <= 0:  # refuse before reading a body that would only wait
            metrics.REFUSED.labels("/v1/screen").inc()
            raise _busy(limits, f"同时处理的批量评估已达上限 {limits.max_screens} 个")
        raw = await _read(request, limits, budget)
        if not screens.enter():
            metrics.REFUSED.labels("/v1/screen").inc()
            raise _busy(limits, f"同时处理的批量评估已达上限 {limits.max_screens} 个")
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
                    error = {"error": {"message": str(err), "problems": [], "problem_count": 0}}
                    yield b"\n" + JSONResponse(error).body
                    return
            yield b"\n" if ndjson and profiles else b"" if ndjson else b"]}"

        return _Streamed(parts(), NDJSON if ndjson else "application/json", limits.send_timeout,
                         screens.leave)

    @app.get("/v1/clauses", summary="全部条款", responses=_responses("ClauseList"))
    async def clauses() -> Response:
        bundle = calculator.bundle
        return _json(ClauseList(rules_version=bundle.version,
                                clauses=[ClauseSummary(**_summary(r)) for r in bundle.clauses]))

    @app.get("/v1/clauses/{clause_id}", summary="一条条款的条件、支持内容与政策原文",
             responses=_responses("ClauseDetail", 404, 422))
    async def clause(clause_id: Annotated[str, Path(description="条款编号，见 GET /v1/clauses",
                                                    examples=["global-500-first-entry-award"])]) -> Response:
        try:
            rule = calculator.bundle.clause(clause_id)
        except RuleFileError as err:
            raise body.RequestError(404, str(err), [("clause_id", err.problems[0].message)]) from None
        doc, cited = rule.document, rule.clause.citation
        return _json(ClauseDetail(
            **_summary(rule), issuer=doc.issuer, document_date=doc.date, article=cited.article,
            quote=cited.quote, source=doc.source, reports_on=doc.reports_on,
            conditions=[line.rstrip() for line in condition_lines(rule.condition)],
            notes=rule.clause.notes))

    health: dict[str, bytes] = {}

    @app.get("/healthz", summary="服务状态与规则版本", responses=_responses("Health"))
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

    @app.post("/v1/admin/reload", summary="更换规则（需要管理令牌）",
              responses={**_responses("ReloadResponse", 401, 403, 422),
                         202: {"description": "新规则已通过校验，正在替换工作进程",
                               "content": _ref("ReloadResponse")}},
              openapi_extra={"security": [{"管理令牌": []}]})
    async def reload(request: Request) -> Response:
        """重新读取规则目录。请求头 `Authorization: Bearer 令牌`；服务启动时没有配置令牌
        （环境变量 POLICYCALC_ADMIN_TOKEN 或令牌文件）则不启用。新规则有错时返回 422 并列出错误，
        旧规则继续服务。"""
        if not admin_token:
            raise body.RequestError(403, "未启用：启动服务时设置环境变量 POLICYCALC_ADMIN_TOKEN 或 "
                                         "POLICYCALC_ADMIN_TOKEN_FILE 才能通过接口更换规则")
        if not hmac.compare_digest(_bearer(request).encode(), admin_token.encode()):
            raise body.RequestError(401, "管理令牌缺失或错误（请求头 Authorization: Bearer 令牌）",
                                    headers={"WWW-Authenticate": "Bearer"})
        try:
            outcome: Reloaded = await to_thread.run_sync(reload_rules, limiter=admin)
        except RuleFileError as err:
            metrics.RELOADS.labels("refused").inc()
            problems = [(f"{p.source}:{p.line}" if p.source and p.line else p.source or p.path, p.message)
                        for p in err.problems]
            raise body.invalid(problems) from None
        metrics.RELOADS.labels(outcome.status).inc()
        if outcome.status == "reloaded":
            metrics.show_rules_version(outcome.rules_version)
        message = ("已换用新规则" if outcome.status == "reloaded"
                   else "新规则已通过校验，正在逐个替换工作进程；替换完成后 /healthz 显示新版本")
        reply = _json(ReloadResponse(status=outcome.status, rules_version=outcome.rules_version,
                                     message=message))
        reply.status_code = 200 if outcome.status == "reloaded" else 202
        return reply

    _install_page(app, calculator, limits, budget, off_loop)
    _install_error_handlers(app)
    paths = {getattr(r, "path", "") for r in app.routes} - {""}
    app.add_middleware(metrics.Observe, paths=paths, json_log=json_access_log)
    return app


def _install_page(app: FastAPI, calculator: Calculator, limits: Limits, budget: _Budget,
                  off_loop: Callable[[Callable[[], Any]], Any]) -> None:
    """The self-check page (``web``): ``/``, its form posts and its stylesheet."""
    app.mount("/static", StaticFiles(directory=web.static_directory()), name="static")
    headers = {"Content-Security-Policy": web.PAGE_POLICY, "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}

    def html(text: str, status: int = 200, policy: str = web.PAGE_POLICY) -> HTMLResponse:
        return HTMLResponse(text, status_code=status,
                            headers={**headers, "Content-Security-Policy": policy})

    async def answered(request: Request) -> web.Page | HTMLResponse:
        try:
            raw = await _read(request, limits, budget, form=True)
        except body.RequestError as err:
            refused = web.Page(start_errors=[err.message])
            return html(await off_loop(partial(web.render, refused)), err.status)

        def work() -> web.Page:
            return web.interview_page(calculator, web.parse_form(raw))

        try:
            page: web.Page = await off_loop(work)
        except CalculatorError as err:  # a tampered hidden field, or a form that is not UTF-8
            return html(await off_loop(partial(web.render, web.Page(start_errors=[str(err)]))), 422)
        return page

    @app.get("/", include_in_schema=False)
    async def start() -> HTMLResponse:
        return html(await off_loop(partial(web.render, web.Page(as_of=date.today().isoformat()))))

    @app.get("/check", include_in_schema=False)
    async def check_again() -> RedirectResponse:
        return RedirectResponse("/", status_code=303)

    @app.post("/check", include_in_schema=False)
    async def check(request: Request) -> HTMLResponse:
        page = await answered(request)
        if isinstance(page, HTMLResponse):
            return page
        status = 422 if page.start_errors else 200
        return html(await off_loop(partial(web.render, page)), status)

    @app.post("/report", include_in_schema=False)
    async def report(request: Request) -> HTMLResponse:
        page = await answered(request)
        if isinstance(page, HTMLResponse):
            return page
        if page.report_html is None:
            return html(await off_loop(partial(web.render, page)), 422)
        return html(page.report_html, policy=web.REPORT_POLICY)


def _install_error_handlers(app: FastAPI) -> None:
    paths = sorted({getattr(r, "path", "") for r in app.routes} - {""})

    @app.exception_handler(body.RequestError)
    async def refused(request: Request, exc: body.RequestError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.problems, exc.headers, exc.count)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        path = request.url.path
        if exc.status_code == 404:
            message = f"没有这个地址：{path}{did_you_mean(path, paths)}；接口说明见 /docs"
        elif exc.status_code == 405:
            message = f"{path} 不支持 {request.method} 请求"
        else:
            message = f"请求无法处理（HTTP {exc.status_code}）"
        return _error(exc.status_code, message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [(".".join(str(p) for p in e["loc"]), "取值无效") for e in exc.errors()]
        return _error(422, "请求参数无效", problems[:body.MAX_PROBLEMS], count=len(problems))

    @app.exception_handler(EvaluationError)
    async def untrustworthy(request: Request, exc: EvaluationError) -> JSONResponse:
        log.error("评估失败：%s", exc)
        metrics.ERRORS.labels("evaluation").inc()
        return _error(500, str(exc))

    @app.exception_handler(ProfileError)
    async def implausible_profile(request: Request, exc: ProfileError) -> JSONResponse:
        # checked against the evaluation date, so only known once the request is read
        problems = [(f"profile.{p.path}" if p.path else "profile", p.message) for p in exc.problems]
        return _error(422, "档案内容与评估日期不符", problems)

    @app.exception_handler(CalculatorError)
    async def calculator_error(request: Request, exc: CalculatorError) -> JSONResponse:
        log.error("计算器错误：%s", exc)
        return _error(500, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged by the server with its traceback; the client learns nothing internal.
        metrics.ERRORS.labels("internal").inc()
        return _error(500, "服务器内部错误，已记录；请稍后重试或联系管理员")
