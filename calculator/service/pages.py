"""The routes of the self-check page (``web``): ``/``, its form posts and its stylesheet,
each reply with a strict content security policy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from ..base.errors import CalculatorError
from ..results.calculator import Calculator
from . import request_body as body
from . import web
from .limits import Limits
from .receiving import Budget, read_body


def install_page(app: FastAPI, calculator: Calculator, limits: Limits, budget: Budget,
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
            raw = await read_body(request, limits, budget, form=True)
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
