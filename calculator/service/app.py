"""The HTTP service: the calculator behind a small JSON API (FastAPI, run by uvicorn).

``create_app(Calculator.load())`` returns an ASGI app. Every answer is JSON: a report
exactly as ``policycalc check --json`` prints it, or an error
``{"error": {"message": …, "problems": [{"field": …, "message": …}]}}`` in Chinese. No
exception text or traceback ever reaches a client; unexpected ones are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ..base.errors import CalculatorError, EvaluationError, ProfileError, RuleFileError, did_you_mean
from ..results.calculator import Calculator, package_version
from ..results.describe import condition_lines
from ..results.report import Detail
from ..rules.loading import ClauseRule
from ..rules.schema import TARGET_LABELS
from . import request_body as body
from .contract import (
    MAX_SCREEN_PROFILES,
    ClauseDetail,
    ClauseList,
    ClauseSummary,
    Health,
    ScreenResponse,
    openapi_components,
)

log = logging.getLogger("policycalc.service")

_JSON_TYPES = ("application/json",)

DESCRIPTION = f"""政策计算器的 HTTP 接口：提交企业/机构或人才档案，得到每一条适用条款的状态、金额与
政策原文出处。

- 报告与 `policycalc check --json` 的输出完全相同；金额为十进制字符串（元）。
- 请求体为 JSON（`Content-Type: application/json`），最大 {body.MAX_BODY_BYTES} 字节，嵌套最多
  {body.MAX_DEPTH} 层；批量评估一次最多 {MAX_SCREEN_PROFILES} 个档案。
- 出错时返回 `{{"error": {{"message": "…", "problems": [{{"field": "profile.revenue", "message": "…"}}]}}}}`。
"""


def _ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _responses(ok: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    labels = {400: "请求体不是有效的 JSON，或嵌套过深", 404: "没有这一条款",
              413: "请求体过大", 415: "请求体不是 JSON", 422: "请求内容或参数不符合接口格式",
              500: "服务器内部错误（不含内部细节）"}
    out: dict[int | str, dict[str, Any]] = {200: {"description": "成功", "content": _ref(ok)}}
    for status in (*errors, 500):
        out[status] = {"description": labels[status], "content": _ref("ErrorResponse")}
    return out


def _request_body(name: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": _ref(name)}}


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


def _error(status: int, message: str, problems: list[tuple[str, str]] | None = None,
           headers: Mapping[str, str] | None = None) -> JSONResponse:
    content = {"error": {"message": message,
                         "problems": [{"field": f, "message": m} for f, m in problems or []]}}
    return JSONResponse(content, status_code=status, headers=headers)


class _App(FastAPI):
    def openapi(self) -> dict[str, Any]:
        # Request and response bodies are described by the contract's own schemas (the
        # ones ``policycalc schema`` prints), not re-derived by FastAPI.
        if not self.openapi_schema:
            spec = get_openapi(title=self.title, version=self.version, openapi_version="3.1.0",
                               description=self.description, routes=self.routes)
            spec.setdefault("components", {}).setdefault("schemas", {}).update(openapi_components())
            self.openapi_schema = spec
        return self.openapi_schema


async def _read(request: Request, limit: int) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media not in _JSON_TYPES and not media.endswith("+json"):
        raise body.RequestError(415, f"请求体应为 JSON（Content-Type: application/json），实际为 {media}")
    declared = request.headers.get("content-length")
    too_big = f"请求体过大：上限 {limit} 字节"
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise body.RequestError(413, too_big)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # the declared length may be absent (chunked) or wrong
            raise body.RequestError(413, too_big)
        chunks.append(chunk)
    return body.decode_json(b"".join(chunks))


def _summary(rule: ClauseRule) -> dict[str, Any]:
    doc, clause, period = rule.document, rule.clause, rule.effective
    return dict(id=rule.id, title=clause.title, target=TARGET_LABELS[clause.target],
                profile_kind=rule.profile_kind, document=doc.title, doc_number=doc.doc_number,
                document_status=doc.status, benefit=clause.benefit.text,
                benefit_kind=clause.benefit.kind, effective_from=period.start,
                effective_to=period.end)


def create_app(calculator: Calculator, *, max_body_bytes: int = body.MAX_BODY_BYTES) -> FastAPI:
    """The ASGI app serving ``calculator``. A ``calculator.reload(...)`` elsewhere takes
    effect for the next request; requests already running finish on their rules."""
    app = _App(title="政策计算器 API", version=package_version(), description=DESCRIPTION,
               redoc_url=None)

    @app.post("/v1/evaluate", summary="评估一个档案", openapi_extra=_request_body("EvaluateRequest"),
              responses=_responses("Report", 400, 413, 415, 422))
    async def evaluate(request: Request, detail: Annotated[Detail, Query(
            description="shown：不符合的条款只给第一个不满足的条件（默认）；"
                        "full：每个条款的全部理由")] = "shown") -> Response:
        """请求体 `{"profile": {…}, "as_of": "YYYY-MM-DD"}`（as_of 可省略，默认服务器的今天）；
        返回与 `policycalc check --json` 相同的报告。"""
        profile, when = body.evaluate_request(await _read(request, max_body_bytes))
        return _json(await run_in_threadpool(calculator.evaluate, profile, when, detail))

    @app.post("/v1/screen", summary=f"批量评估（最多 {MAX_SCREEN_PROFILES} 个档案）",
              openapi_extra=_request_body("ScreenRequest"),
              responses=_responses("ScreenResponse", 400, 413, 415, 422))
    async def screen(request: Request, detail: Annotated[Detail, Query(
            description="shown（默认）或 full，同 /v1/evaluate")] = "shown") -> Response:
        """请求体 `{"profiles": [{…}, …], "as_of": "YYYY-MM-DD"}`；任何一个档案有错则整批拒绝，
        错误位置写作 `profiles[3].revenue`。"""
        profiles, when = body.screen_request(await _read(request, max_body_bytes),
                                             MAX_SCREEN_PROFILES)
        reports = await run_in_threadpool(calculator.evaluate_many, profiles, when, detail)
        return _json(ScreenResponse(reports=reports))

    @app.get("/v1/clauses", summary="全部条款", responses=_responses("ClauseList"))
    def clauses() -> Response:
        bundle = calculator.bundle
        return _json(ClauseList(rules_version=bundle.version,
                                clauses=[ClauseSummary(**_summary(r)) for r in bundle.clauses]))

    @app.get("/v1/clauses/{clause_id}", summary="一条条款的条件、支持内容与政策原文",
             responses=_responses("ClauseDetail", 404, 422))
    def clause(clause_id: Annotated[str, Path(description="条款编号，见 GET /v1/clauses",
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

    @app.get("/healthz", summary="服务状态与规则版本", responses=_responses("Health"))
    def healthz() -> Response:
        bundle = calculator.bundle
        return _json(Health(status="ok", rules_version=bundle.version,
                            engine_version=package_version(), clauses=len(bundle.clauses)))

    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    paths = sorted({getattr(r, "path", "") for r in app.routes} - {""})

    @app.exception_handler(body.RequestError)
    async def refused(request: Request, exc: body.RequestError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.problems)

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
        return _error(422, "请求参数无效", problems)

    @app.exception_handler(EvaluationError)
    async def untrustworthy(request: Request, exc: EvaluationError) -> JSONResponse:
        log.error("评估失败：%s", exc)
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
        return _error(500, "服务器内部错误，已记录；请稍后重试或联系管理员")
