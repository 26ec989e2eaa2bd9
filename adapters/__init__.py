"""Protocol adapters: the only place that knows WSGI and ASGI.

Each adapter holds an `API` and translates between its protocol and the
core's plain values: it builds a `Request` with a body source, drives the
lifecycle with the right driver, and sends the `Response` it gets back.
"""

from __future__ import annotations

from typing import Any

__all__ = ["adapter_for"]


def adapter_for(kind: str, api: Any) -> Any:
    """Build the adapter of `kind` ("wsgi" or "asgi") for `api`."""
    if kind == "wsgi":
        from .wsgi import WSGIAdapter

        return WSGIAdapter(api)
    if kind == "asgi":
        from .asgi import ASGIAdapter

        return ASGIAdapter(api)
    raise ValueError(f"Unknown adapter kind {kind!r}")
