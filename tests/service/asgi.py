"""Calling the ASGI app directly, with control a test client does not give: a client that
stops reading, a body that never finishes, several requests in flight at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio


@dataclass
class Exchange:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: set once the response has started
    started: anyio.Event = field(default_factory=anyio.Event)
    #: set once the response is complete (or the app returned)
    finished: anyio.Event = field(default_factory=anyio.Event)

    def json(self) -> Any:
        import json

        return json.loads(self.body)


async def call(app: Any, method: str, path: str, body: bytes = b"", *,
               headers: dict[str, str] | None = None, body_complete: bool = True,
               hold: anyio.Event | None = None, exchange: Exchange | None = None) -> Exchange:
    """One request. ``body_complete=False``: the body never finishes arriving. ``hold``:
    after the first part of the reply, the client takes nothing more until it is set."""
    done = exchange or Exchange()
    sent_body = False
    disconnect = anyio.Event()
    raw_headers = [(b"content-type", b"application/json")]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": raw_headers,
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": not body_complete}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            done.status = message["status"]
            done.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
            done.started.set()
        elif message["type"] == "http.response.body":
            if hold is not None and done.body:
                await hold.wait()
            done.body += message.get("body", b"")
            if not message.get("more_body", False):
                done.finished.set()

    try:
        await app(scope, receive, send)
    finally:
        disconnect.set()
        done.finished.set()
    return done
