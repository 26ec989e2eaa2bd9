"""Guards that keep a mounted application's failure inside its own request (WSGI and ASGI).

A foreign application mounted on an API can fail in ways the core's
pipeline never sees: it raises from `__call__`, from its WSGI body iterable,
or from its ASGI coroutine, or it returns without answering. Each guard
wraps one application in its own protocol and turns such a failure, as
long as no byte of the response has left, into the same `500` problem+json
every other error gets, and logs it. A failure after the response started
cannot be turned into anything else; it is re-raised so the server cuts
the connection, which tells the client its response is incomplete.

The guards sit directly around the foreign application, inside any a2wsgi
bridge, so the answer is the same whichever protocol the request came in by.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import Any

from .wire import early_problem, status_line

__all__ = ["ASGIGuard", "WSGIGuard"]

log = logging.getLogger("responder.mount")

FAILED = "A mounted application failed to answer this request."

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


class _HeldResponse:
    """A WSGI app's `start_response` call, held back until its first body byte.

    PEP 3333 lets a server send headers only with the first non-empty chunk;
    holding them here as well is what lets the guard still answer 500 when
    the application fails before that chunk.
    """

    __slots__ = ("_start_response", "_write", "committed", "headers", "status")

    def __init__(self, start_response: StartResponse) -> None:
        self._start_response = start_response
        self._write: Callable[[bytes], Any] | None = None
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.committed = False

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        if exc_info is not None and self.committed:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.headers = status, headers
        return self.write

    def commit(self) -> None:
        if self.committed:
            return
        if self.status is None:
            raise RuntimeError("The mounted application returned without calling start_response.")
        self._write = self._start_response(self.status, self.headers)
        self.committed = True

    def write(self, data: bytes) -> None:
        """The legacy `write()` callable: it commits the headers, then writes through."""
        self.commit()
        if self._write is not None:
            self._write(data)


class _Resumed:
    """The rest of a body whose first chunk the guard already read."""

    __slots__ = ("_body", "_first", "_rest")

    def __init__(self, first: bytes, rest: Iterator[bytes], body: Iterable[bytes]) -> None:
        self._first = first
        self._rest = rest
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        if self._first:
            yield self._first
        yield from self._rest

    def close(self) -> None:
        _close(self._body)


def _close(body: Iterable[bytes] | None) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


class WSGIGuard:
    """A WSGI application that answers 500 for its wrapped app's early failures.

    Args:
        app: The mounted WSGI application.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        held = _HeldResponse(start_response)
        body: Iterable[bytes] | None = None
        try:
            body = self.app(environ, held.start_response)
            wrapper = environ.get("wsgi.file_wrapper")
            if isinstance(wrapper, type) and isinstance(body, wrapper):
                held.commit()  # left as it is, so the server can still sendfile() it
                return body
            rest = iter(body)
            first = b""
            for chunk in rest:  # lazy apps call start_response only when iterated
                if chunk:
                    first = chunk
                    break
            held.commit()
        except Exception:
            if held.committed:
                raise
            try:
                _close(body)
            finally:
                log.exception("Mounted WSGI application %r failed", self.app)
            problem, headers = early_problem(500, FAILED)
            start_response(status_line(500), headers)
            return [] if environ.get("REQUEST_METHOD") == "HEAD" else [problem]
        return _Resumed(first, rest, body)


class ASGIGuard:
    """An ASGI application that answers 500 for its wrapped app's early failures.

    It also hands the wrapped app its own lifespan state: a copy of what
    its lifespan startup stored, never the mounting API's.

    Args:
        app: The mounted ASGI application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        #: Set once the app's own lifespan startup completed.
        self.state: dict[str, Any] | None = None

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if self.state is None:
            scope.pop("state", None)
        else:
            scope["state"] = dict(self.state)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:
                raise
            log.exception("Mounted ASGI application %r failed", self.app)
        else:
            if started:
                return
            log.error("Mounted ASGI application %r returned without a response", self.app)
        problem, headers = early_problem(500, FAILED)
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        body = b"" if scope.get("method") == "HEAD" else problem
        await send({"type": "http.response.body", "body": body})
