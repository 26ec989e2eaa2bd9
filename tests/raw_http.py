"""Requests below the HTTP client: minimal WSGI environs and ASGI scopes, and calls with them.

Some tests must hand the adapters what no HTTP client would send (bytes in a
header, a raw path, a broken Content-Length) or call them the way a server
does (a thread per request). They build the same minimal PEP 3333 environ
and ASGI HTTP scope; these are those, with every key a server always sets,
so a test adds only what it is about.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import responder

#: A raw ASGI call that takes longer than this fails instead of hanging the run.
HANG_SECONDS = 20.0


def wsgi_environ(
    method: str, path: str, *, query: str = "", body: bytes = b"", **extra: Any
) -> dict[str, Any]:
    """A PEP 3333 environ for `path` (already decoded, as latin-1 text); `extra` keys win."""
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **extra,
    }


def asgi_scope(
    method: str,
    path: str,
    *,
    raw_path: bytes | None = None,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> dict[str, Any]:
    """An ASGI HTTP scope for `path`; a `host` header comes first, then `headers`."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8") if raw_path is None else raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def call_wsgi(api: responder.API, environ: dict[str, Any]) -> tuple[int, bytes]:
    """Call the WSGI face as a server would; an escaping exception fails the test."""
    started: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append(status)
        return lambda data: None

    result = api(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    assert started, "the application never called start_response"
    return int(started[-1].split()[0]), body


def call_asgi(
    api: responder.API, loop: asyncio.AbstractEventLoop, scope: dict[str, Any], body: bytes = b""
) -> tuple[int, bytes]:
    """Call the ASGI face on `loop` with `body`; an escaping exception fails the test."""
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)  # a client that stays connected and sends nothing more
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send_message(message: dict[str, Any]) -> None:
        sent.append(message)

    loop.run_until_complete(asyncio.wait_for(api(scope, receive, send_message), HANG_SECONDS))
    assert sent and sent[0]["type"] == "http.response.start", sent
    return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:])
