"""Receiving a request body: its media type checked, its size, the time it takes to arrive
and the bytes all requests of the process hold at once bounded, before anything is decoded.
"""

from __future__ import annotations

import anyio
from fastapi import Request

from . import request_body as body
from . import web
from .limits import Limits

JSON_TYPES = ("application/json",)
FORM = "application/x-www-form-urlencoded"


class Budget:
    """Bytes of request bodies being read at once, across all requests of the process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.used = 0


def busy(limits: Limits, what: str) -> body.RequestError:
    return body.RequestError(503, f"服务繁忙：{what}；请 {limits.retry_after} 秒后重试",
                             headers={"Retry-After": str(limits.retry_after)})


async def read_body(request: Request, limits: Limits, budget: Budget, form: bool = False) -> bytes:
    """The raw body, within the size limit, the read timeout and the process's budget;
    JSON, or with ``form`` an HTML form (application/x-www-form-urlencoded)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if form:
        if media != FORM:
            raise body.RequestError(415, f"表单应为 {FORM}，实际为 {media or '无'}")
    elif media and media not in JSON_TYPES and not media.endswith("+json"):
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
                    raise busy(limits, "正在接收的请求体过多")
                budget.used += len(chunk)
                chunks.append(chunk)
    except TimeoutError:
        raise body.RequestError(408, f"请求体未在 {limits.body_timeout:g} 秒内收完") from None
    finally:
        budget.used -= sum(len(c) for c in chunks)
    return b"".join(chunks)
