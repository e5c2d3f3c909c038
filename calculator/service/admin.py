"""Changing the rules of a running service: ``POST /v1/admin/reload``, enabled only with
an admin token, compared in constant time. New rules that do not load are refused with
their errors and the old rules keep serving; with screen processes, those restart too.
"""

from __future__ import annotations

import hmac
from pathlib import Path

import anyio
from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import Response

from ..base.errors import RuleFileError
from ..results.calculator import Calculator
from . import metrics
from . import request_body as body
from .contract import ReloadResponse
from .openapi import documented, schema_ref
from .reloading import Reloaded, Reloader, in_process
from .replies import json_reply
from .screens import ScreenProcesses


def bearer(request: Request) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def install_admin(app: FastAPI, calculator: Calculator, rules: str | Path | None,
                  admin_token: str | None, reloader: Reloader | None,
                  screen_processes: ScreenProcesses | None) -> None:
    """The reload endpoint: ``reloader``, by default ``calculator.reload(rules)`` in this
    process (and a restart of ``screen_processes``)."""
    admin = anyio.CapacityLimiter(1)
    reload_rules = reloader or in_process(calculator, rules)
    if screen_processes is not None and reloader is None:
        reload_here = reload_rules

        def reload_rules() -> Reloaded:
            outcome = reload_here()
            screen_processes.restart()
            return outcome

    @app.post("/v1/admin/reload", summary="更换规则（需要管理令牌）",
              responses={**documented("ReloadResponse", 401, 403, 422),
                         202: {"description": "新规则已通过校验，正在替换工作进程",
                               "content": schema_ref("ReloadResponse")}},
              openapi_extra={"security": [{"管理令牌": []}]})
    async def reload(request: Request) -> Response:
        """重新读取规则目录。请求头 `Authorization: Bearer 令牌`；服务启动时没有配置令牌
        （环境变量 POLICYCALC_ADMIN_TOKEN 或令牌文件）则不启用。新规则有错时返回 422 并列出错误，
        旧规则继续服务。"""
        if not admin_token:
            raise body.RequestError(403, "未启用：启动服务时设置环境变量 POLICYCALC_ADMIN_TOKEN 或 "
                                         "POLICYCALC_ADMIN_TOKEN_FILE 才能通过接口更换规则")
        if not hmac.compare_digest(bearer(request).encode(), admin_token.encode()):
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
        reply = json_reply(ReloadResponse(status=outcome.status, rules_version=outcome.rules_version,
                                     message=message))
        reply.status_code = 200 if outcome.status == "reloaded" else 202
        return reply
