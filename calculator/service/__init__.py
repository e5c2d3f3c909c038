"""Service: the calculator behind an HTTP API, request bodies and the JSON contract.

Takes HTTP requests; hands on JSON reports and Chinese errors. The only stage that may
import FastAPI or uvicorn; nothing below imports it.
"""

from .app import create_app

__all__ = ["create_app"]
