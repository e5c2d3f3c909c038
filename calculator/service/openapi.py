"""The service's own API description: the overview text, the documented replies of each
endpoint, and the OpenAPI document built from the contract's schemas (the ones
``policycalc schema`` prints) rather than re-derived by FastAPI.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from . import request_body as body
from .contract import MAX_SCREEN_PROFILES, openapi_components
from .limits import Limits

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


def schema_ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def documented(ok: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    labels = {400: "请求体不是有效的 JSON，或嵌套过深", 401: "缺少或错误的管理令牌",
              403: "未启用（没有配置管理令牌）", 404: "没有这一条款", 408: "请求体未在限定时间内收完",
              413: "请求体过大", 415: "请求体不是 JSON", 422: "请求内容或参数不符合接口格式",
              500: "服务器内部错误（不含内部细节）",
              503: "繁忙：同时处理的批量评估已满，按 Retry-After 秒后重试"}
    out: dict[int | str, dict[str, Any]] = {200: {"description": "成功", "content": schema_ref(ok)}}
    for status in (*errors, 500):
        out[status] = {"description": labels[status], "content": schema_ref("ErrorResponse")}
    return out


def request_spec(name: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": schema_ref(name)}}


class App(FastAPI):
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
