"""How the service answers: a contract model as JSON, and every failure as the one JSON
error shape ``{"error": {"message", "problems", "problem_count"}}`` in Chinese. The
handlers installed here make sure no exception text or traceback reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..base.errors import CalculatorError, EvaluationError, ProfileError, did_you_mean
from . import metrics
from . import request_body as body

log = logging.getLogger("policycalc.service")


def json_reply(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


def error_reply(status: int, message: str, problems: Sequence[tuple[str, str]] = (),
           headers: Mapping[str, str] | None = None, count: int | None = None) -> JSONResponse:
    content = {"error": {"message": message,
                         "problems": [{"field": f, "message": m} for f, m in problems],
                         "problem_count": len(problems) if count is None else count}}
    return JSONResponse(content, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    paths = sorted({getattr(r, "path", "") for r in app.routes} - {""})

    @app.exception_handler(body.RequestError)
    async def refused(request: Request, exc: body.RequestError) -> JSONResponse:
        return error_reply(exc.status, exc.message, exc.problems, exc.headers, exc.count)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        path = request.url.path
        if exc.status_code == 404:
            message = f"没有这个地址：{path}{did_you_mean(path, paths)}；接口说明见 /docs"
        elif exc.status_code == 405:
            message = f"{path} 不支持 {request.method} 请求"
        else:
            message = f"请求无法处理（HTTP {exc.status_code}）"
        return error_reply(exc.status_code, message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [(".".join(str(p) for p in e["loc"]), "取值无效") for e in exc.errors()]
        return error_reply(422, "请求参数无效", problems[:body.MAX_PROBLEMS], count=len(problems))

    @app.exception_handler(EvaluationError)
    async def untrustworthy(request: Request, exc: EvaluationError) -> JSONResponse:
        log.error("评估失败：%s", exc)
        metrics.ERRORS.labels("evaluation").inc()
        return error_reply(500, str(exc))

    @app.exception_handler(ProfileError)
    async def implausible_profile(request: Request, exc: ProfileError) -> JSONResponse:
        # checked against the evaluation date, so only known once the request is read
        problems = [(f"profile.{p.path}" if p.path else "profile", p.message) for p in exc.problems]
        return error_reply(422, "档案内容与评估日期不符", problems)

    @app.exception_handler(CalculatorError)
    async def calculator_error(request: Request, exc: CalculatorError) -> JSONResponse:
        log.error("计算器错误：%s", exc)
        return error_reply(500, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged by the server with its traceback; the client learns nothing internal.
        metrics.ERRORS.labels("internal").inc()
        return error_reply(500, "服务器内部错误，已记录；请稍后重试或联系管理员")
