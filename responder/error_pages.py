"""How errors become responses: problem+json, the legacy format, debug pages.

Every framework error (404, 405, 413, 415, 422, 500 ...) goes through
`render_error`, so a client meets one envelope everywhere and an application
can enrich it in one place (`problem_handler`).
"""

from __future__ import annotations

import html
import json
import logging
import traceback
from typing import TYPE_CHECKING, Any

from .dependencies import DependencyError
from .errors import HTTPError, status_phrase
from .formats import JSON

if TYPE_CHECKING:
    from .formats import Codec
    from .request import Request
    from .response import Response
    from .settings import Settings

__all__ = ["PROBLEM_JSON", "render_error", "render_unhandled"]

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("responder.errors")


def render_error(
    settings: Settings, codec: Codec, req: Request, resp: Response, error: HTTPError
) -> None:
    """Turn an `HTTPError` (or `Problem`) into the response."""
    resp.status_code = error.status
    for name, value in error.headers.items():
        resp.headers[name] = value
    if error.status in (204, 304) or (300 <= error.status < 400 and not error.detail):
        resp.content = b""
        resp.headers.pop("Content-Type", None)
        return
    if not settings.problem_details:
        _render_legacy(req, resp, error.title, error.detail)
        return
    problem: dict[str, Any] = {
        "type": "about:blank",
        "title": error.title,
        "status": error.status,
    }
    if error.detail is not None:
        problem["detail"] = error.detail
    problem["instance"] = req.root_path + req.path  # the path the client used
    problem.update(error.members())
    if settings.problem_handler is not None:
        settings.problem_handler(req, problem)
    resp.content = codec.dump_json(problem)
    resp.headers["Content-Type"] = PROBLEM_JSON


def _render_legacy(req: Request, resp: Response, title: str, detail: str | None) -> None:
    """The pre-RFC-9457 format: JSON for API clients, plain text for browsers."""
    message = detail or title
    if req.preferred_media_type([JSON, "text/html", "text/plain"]) == JSON:
        resp.content = b'{"error":' + _json_str(message) + b"}"
        resp.headers["Content-Type"] = JSON
    else:
        resp.text = message


def _json_str(value: str) -> bytes:
    return json.dumps(value).encode()


def render_unhandled(
    settings: Settings, codec: Codec, req: Request, resp: Response, exc: BaseException
) -> None:
    """Answer an exception nobody handled: logged, and a 500 without internals.

    Under `debug=True` the traceback is shown as an HTML page instead, which
    is what a developer at a browser wants and what production must never send.
    """
    log.error(
        "Unhandled error in %s %s",
        req.method,
        req.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    if settings.debug:
        resp.status_code = 500
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        resp.html = (
            f"<!doctype html><title>500 {html.escape(type(exc).__name__)}</title>"
            f"<h1>{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</h1>"
            f"<pre>{html.escape(text)}</pre>"
        )
        return
    # A broken dependency graph is the developer's to fix and says nothing
    # about the data; naming the providers makes the 500 actionable.
    detail = str(exc) if isinstance(exc, DependencyError) else status_phrase(500) + "."
    render_error(settings, codec, req, resp, HTTPError(500, detail))
