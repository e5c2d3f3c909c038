"""Replies sent as they are made (``/v1/screen``), and the gate that bounds how many run
at once. A part the client does not take in time ends the reply; a reply that fails midway
stays unfinished, so a client never mistakes it for a complete answer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from fastapi.responses import Response

log = logging.getLogger("policycalc.service")

NDJSON = "application/x-ndjson"


class Gate:
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


class Streamed(Response):
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
