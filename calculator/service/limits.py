"""What one service process allows itself: body size and read time, how many screens at
once, how much of an error it repeats, how long it waits on a slow client.

The defaults are the documented ones (docs/embedding.md); ``policycalc serve`` can change
the ones an operator may need to change.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..base.errors import CalculatorError
from .request_body import MAX_BODY_BYTES


@dataclass(frozen=True)
class Limits:
    #: request bodies larger than this are refused (413)
    max_body_bytes: int = MAX_BODY_BYTES
    #: bytes of request bodies one process buffers at once, over all requests (else 503)
    max_buffered_bytes: int = 64 * 1024 * 1024
    #: a body not received in full within this many seconds is refused (408)
    body_timeout: float = 15.0
    #: ``/v1/screen`` requests one process works on at once; more are answered 503
    max_screens: int = 1
    #: the ``Retry-After`` (seconds) of that 503
    retry_after: int = 2
    #: threads evaluating at once (per process); more requests wait their turn. The rules
    #: engine holds the GIL, so more threads would only take turns.
    eval_threads: int = 2
    #: profiles a screen evaluates and serialises per step (bounds its memory)
    screen_chunk: int = 25
    #: a streamed chunk the client does not take within this many seconds ends the reply
    send_timeout: float = 30.0

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_screens", "eval_threads", "screen_chunk"):
            if getattr(self, name) < 1:
                raise CalculatorError(f"服务限额 {name} 至少为 1，实际为 {getattr(self, name)}")
