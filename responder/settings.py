"""`API(**options)` as one typed, validated settings object.

Keeping options here, rather than as forty constructor parameters on `API`,
gives one place to validate them and one object to hand to the pieces that
need them. An unknown option is a `TypeError` at construction, not a silent
no-op.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .multipart import MultipartLimits

__all__ = ["IMPLICIT_STATIC_DIR", "Settings"]


class _ImplicitDir(str):
    """The default `static_dir`: served when it exists, skipped when it does not.

    A distinct object, so `API(static_dir="static")` (explicit, must exist)
    can be told apart from not passing the option at all.
    """

    __slots__ = ()


IMPLICIT_STATIC_DIR = _ImplicitDir("static")


@dataclass(kw_only=True, slots=True)
class Settings:
    """The options an `API` was built with.

    Attributes:
        debug: Show tracebacks on 500 pages and re-raise broken response models.
        title: The application's title (OpenAPI `info.title`).
        version: The application's version (OpenAPI `info.version`).
        redirect_slashes: Answer `/a/` with a 307 to `/a` (and back) when only
            the other form is routed.
        problem_details: Render framework errors as RFC 9457 problem+json;
            False keeps the legacy `{"error": ...}`/plain-text format.
        problem_handler: Called as `problem_handler(req, problem_dict)` to
            enrich every problem before it is sent.
        json_ensure_ascii: Escape non-ASCII characters in JSON output.
        encoder: A `json.JSONEncoder` subclass or a `default(obj)` callable for
            values the JSON encoder does not know.
        max_request_size: Largest request body accepted, in bytes (413 beyond).
        multipart_limits: What one multipart body may hold (parts, field and
            header sizes, the in-memory part of a file); defaults when None.
        request_timeout: Seconds a request may take before it is answered
            with 504; None for no limit.
        ws_idle_timeout: Seconds a WebSocket may wait for its next message
            before it is closed with 1001; None for no limit.
        ws_max_message_size: Largest WebSocket message the receive helpers
            accept, in bytes.
        auto_etag: Tag every GET/HEAD byte body with a hash of its content,
            so repeat requests can be answered 304 (`responder.conditional`).
        static_dir: The directory served under `static_route`; relative paths
            are taken from the directory of the module that built the API.
            The default, `static`, is skipped when missing; None disables.
        static_route: The URL prefix of static files.
    """

    debug: bool = False
    title: str = "Web Service"
    version: str = "1.0"
    redirect_slashes: bool = True
    problem_details: bool = True
    problem_handler: Callable[[Any, dict[str, Any]], None] | None = None
    json_ensure_ascii: bool = False
    encoder: Any = None
    max_request_size: int | None = None
    multipart_limits: MultipartLimits | None = None
    request_timeout: float | None = None
    ws_idle_timeout: float | None = None
    ws_max_message_size: int | None = 1 << 20
    auto_etag: bool = False
    static_dir: str | os.PathLike[str] | None = IMPLICIT_STATIC_DIR
    static_route: str = "/static"

    def __post_init__(self) -> None:
        if self.max_request_size is not None and self.max_request_size < 0:
            raise ValueError("max_request_size must be a non-negative number of bytes")
        for name in ("request_timeout", "ws_idle_timeout"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        if not self.static_route.startswith("/"):
            raise ValueError(f"static_route must start with '/': {self.static_route!r}")
