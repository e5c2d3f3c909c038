"""``/docs`` (Swagger UI) and ``/redoc`` served from the service itself, so they work on
an intranet with no internet access.

The JavaScript and CSS come from the ``fastapi-offline`` package, which ships Swagger UI
and ReDoc's released files (with their licences); FastAPI's own pages would load them
from a public CDN.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/static-docs"
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
#: The pages may load only from the service: ReDoc's sidebar would otherwise fetch its
#: maker's logo from a CDN. Both pages start with an inline script; ReDoc runs a worker
#: from a blob.
POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; "
          "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
          "connect-src 'self'; base-uri 'none'")


def assets_directory() -> Path:
    return Path(str(resources.files("fastapi_offline"))) / "static"


def install(app: FastAPI, title: str) -> None:
    """Add ``/docs``, ``/redoc`` and their assets; ``app`` must be created with
    ``docs_url=None, redoc_url=None``."""
    @app.get(f"{ASSETS_URL}/redoc.standalone.js", include_in_schema=False)
    async def redoc_script() -> Response:
        return Response(_redoc_script(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    # After the route above: the first match serves.
    app.mount(ASSETS_URL, StaticFiles(directory=assets_directory()), name="static-docs")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}", title=f"{title} - Swagger UI",
            oauth2_redirect_url=f"{root}{redirect_url}",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # No online validator badge: it would call a public server with the spec.
            swagger_ui_parameters={"validatorUrl": None})
        return _chinese(page)

    @app.get(redirect_url, include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _chinese(get_redoc_html(
            openapi_url=f"{root}{openapi_url}", title=f"{title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png", with_google_fonts=False))


@cache
def _redoc_script() -> bytes:
    """ReDoc, with its sidebar's logo taken from the service instead of its maker's CDN."""
    script = (assets_directory() / "redoc.standalone.js").read_bytes()
    return script.replace(REDOC_LOGO, f"{ASSETS_URL}/favicon.png".encode())


def _chinese(page: HTMLResponse) -> HTMLResponse:
    body = bytes(page.body).replace(b"<html>", b'<html lang="zh-CN">', 1)
    return HTMLResponse(body, status_code=page.status_code, headers={"Content-Security-Policy": POLICY})
