"""The ASGI adapter (ASGI 3, and ASGI 2 through `bind`): HTTP and lifespan.

Async routes run on the event loop and never leave it. A sync route takes a
single hop to a worker thread for its whole lifecycle. A small declared body
is received on the loop before that hop; a larger one is fetched from the
loop chunk by chunk, with `run_coroutine_threadsafe`, as the route reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, MutableMapping
from functools import partial
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

from werkzeug.datastructures import Headers

from responder.body import Body, ClientDisconnected
from responder.deadline import drive_async_within, timeout_response
from responder.files import FileBody
from responder.pipeline import (
    Lifecycle,
    drive_async,
    drive_sync,
    finish,
    finish_async,
    needs_finish,
)
from responder.request import Request
from responder.response import Response, first_header
from responder.websocket import WebSocketDisconnect

from .disconnect import next_in_thread, send_streamed
from .mount import ASGIMounts
from .wire import early_problem

__all__ = ["ASGIAdapter"]

log = logging.getLogger("responder.asgi")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
T = TypeVar("T")
_DONE = object()
#: The largest declared body a sync route gets received before its thread hop.
_PREFETCH = 64 * 1024


class ASGIBodySource:
    """Reads `http.request` messages; from a worker thread, through the loop.

    A sync route reads its body on a worker thread, where each chunk is a
    round trip to the loop. For a small body the adapter receives it on the
    loop first (`prefetch`), before the route's single hop to the thread;
    the thread then takes the chunks without crossing back.
    """

    __slots__ = ("_done", "_early", "_loop", "_receive")

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop) -> None:
        self._receive = receive
        self._loop = loop
        self._done = False
        #: Chunks received ahead of the reader; a last exception is raised in turn.
        self._early: list[Any] | None = None

    @property
    def complete(self) -> bool:
        """True once the last body message arrived: `receive` has nothing left to give."""
        return self._done

    async def next_chunk(self) -> bytes:
        while not self._done:
            message = await self._receive()
            kind = message["type"]
            if kind == "http.request":
                if not message.get("more_body", False):
                    self._done = True
                chunk = message.get("body", b"")
                if chunk:
                    return bytes(chunk)
            elif kind == "http.disconnect":
                self._done = True
                raise ClientDisconnected()
        return b""

    async def prefetch(self, size: int) -> None:
        """Receive the body now, on the loop, until it ends or passes `size` bytes.

        What arrives is kept for `next_chunk_sync`, in order. A failure (the
        client disconnecting, say) is kept too and raised where the reader
        reaches it, after the bytes that came before, as it would have been.
        """
        early: list[Any] = []
        received = 0
        try:
            while received <= size and (chunk := await self.next_chunk()):
                early.append(chunk)
                received += len(chunk)
        except Exception as exc:  # noqa: BLE001 - raised to the reader, in turn
            early.append(exc)
        self._early = early

    def next_chunk_sync(self) -> bytes:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            raise RuntimeError(
                "A sync body read (req.*_sync()) was called on the event loop; in async "
                "handlers use the awaitable forms (await req.content, await req.media())."
            )
        early = self._early
        if early:
            item = early.pop(0)
            if isinstance(item, BaseException):
                raise item
            return item  # type: ignore[no-any-return]
        if self._done:  # the end is known already: no round trip to learn it
            return b""
        return asyncio.run_coroutine_threadsafe(self.next_chunk(), self._loop).result()


class ASGIWebSocketChannel:
    """The core's `WebSocketChannel` over ASGI `websocket.*` messages."""

    __slots__ = ("_receive", "_send")

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send

    async def accept(self, subprotocol: str | None, headers: list[tuple[str, str]]) -> None:
        await self._send(
            {
                "type": "websocket.accept",
                "subprotocol": subprotocol,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )

    async def next_message(self) -> str | bytes:
        message = await self._receive()
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            return text if text is not None else bytes(message.get("bytes") or b"")
        if kind == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1005), message.get("reason") or "")
        raise WebSocketDisconnect(1002, f"Unexpected ASGI message {kind!r}")

    async def write(self, data: str | bytes) -> None:
        key = "text" if isinstance(data, str) else "bytes"
        try:
            await self._send({"type": "websocket.send", key: data})
        except OSError:  # the server reports a peer that is gone (ASGI 2.4)
            raise WebSocketDisconnect(1006, "The client went away") from None

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(OSError):
            await self._send({"type": "websocket.close", "code": code, "reason": reason})


class _BadRequest(Exception):
    pass


def _path(scope: Scope) -> tuple[str, str]:
    """Return (root_path, path), the path relative to the mount point."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if "\ufffd" in path and scope.get("raw_path"):
        try:  # the server replaced bytes that are not UTF-8; refuse them plainly
            unquote_to_bytes(scope["raw_path"]).decode("utf-8")
        except UnicodeDecodeError:
            raise _BadRequest("The request path is not valid UTF-8.") from None
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    return root_path, path


class _Headers(Headers):
    """Request headers decoded only when something reads them.

    Most requests consult one or two headers (`Accept`, `Content-Type`);
    decoding every pair up front costs more than routing. Those two are
    decoded during the pass over the raw pairs that finding `Content-Length`
    needs anyway, so reading them later takes no second scan. ASGI servers
    send names lowercased, so other lookups compare bytes.
    """

    def __init__(
        self, raw: list[tuple[bytes, bytes]], accept: tuple[str, ...], content_type: tuple[str, ...]
    ) -> None:
        self._raw = raw
        #: The values of `accept` and `content-type`, decoded: () when absent.
        self._accept = accept
        self._content_type = content_type

    def __getattr__(self, name: str) -> Any:
        if name == "_list":  # werkzeug's store, built on first full use
            pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self._raw]
            self._list = pairs
            return pairs
        raise AttributeError(name)

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        if "_list" in self.__dict__:  # built, and perhaps changed since: it is the truth
            return super().getlist(key, type)
        lowered = key.lower()
        if lowered == "accept":
            values = list(self._accept)
        elif lowered == "content-type":
            values = list(self._content_type)
        else:
            name = lowered.encode("latin-1")
            values = [v.decode("latin-1") for k, v in self._raw if k == name]
        if type is None:
            return values
        converted = []
        for value in values:
            try:
                converted.append(type(value))
            except ValueError:
                continue
        return converted


def request_from_scope(
    scope: Scope,
    receive: Receive,
    loop: asyncio.AbstractEventLoop,
    limit: int | None,
    source: ASGIBodySource | None = None,
) -> Request:
    """Translate an ASGI HTTP scope into the core's `Request`.

    `source`, when given, is the body source to use, so the caller can ask
    it later whether the body has been read to its end.
    """
    raw = scope["headers"]
    if not isinstance(raw, list):
        raw = list(raw)
    length: int | None = None
    accept: tuple[str, ...] = ()
    content_type: tuple[str, ...] = ()
    for name, value in raw:
        if name == b"content-length":
            if value:
                if not (value.isascii() and value.isdigit()):
                    raise _BadRequest("Content-Length is not a number.")
                length = int(value)
        elif name == b"accept":
            accept = (*accept, value.decode("latin-1"))
        elif name == b"content-type":
            content_type = (*content_type, value.decode("latin-1"))
    headers = _Headers(raw, accept, content_type)
    root_path, path = _path(scope)
    client = scope.get("client")
    server = scope.get("server")
    return Request(
        scope.get("method", "GET"),  # a WebSocket handshake has none: it is a GET
        scope.get("scheme", "http"),
        (server[0], server[1]) if server else None,
        root_path,
        path,
        scope.get("query_string", b""),
        headers,
        client[0] if client else None,
        body=Body(source or ASGIBodySource(receive, loop), length, limit),
        client_port=client[1] if client and client[1] is not None else 0,
    )


#: Header names most responses carry, already in ASGI's lowercased bytes.
_WIRE_NAMES = {
    name: name.lower().encode("latin-1")
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Location")
}


def _header_list(resp: Response) -> list[tuple[bytes, bytes]]:
    """The response's headers as ASGI pairs, built once per response.

    Reads werkzeug's own store (`Headers._list`) because `items()` is a
    generator layered on `__iter__`, a cost paid on every response; the
    common names skip lowercasing and encoding.
    """
    names = _WIRE_NAMES
    return [
        (names.get(name) or name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in resp.headers._list
    ]


async def _run_sync(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(func, *args, **kwargs)


class ASGIAdapter:
    """Serves an `API` to an ASGI server."""

    def __init__(self, api: Any) -> None:
        self.api = api
        #: Work that outlives its request (late teardowns); kept referenced.
        self._pending: set[asyncio.Future[Any]] = set()
        #: The API's mounted applications, called the ASGI way.
        self.mounts = ASGIMounts(api.mounts)

    def bind(self, scope: Scope) -> Callable[[Receive, Send], Awaitable[None]]:
        """The ASGI 2 form: `app(scope)` returns `instance(receive, send)`."""
        return partial(self, scope)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """Return the coroutine serving `scope`.

        A plain function handing back the handler's coroutine, not a
        coroutine awaiting it: one coroutine fewer for every request.
        """
        kind = scope["type"]
        if kind == "http":
            return self.http(scope, receive, send)
        if kind == "lifespan":
            return self.lifespan(receive, send)
        if kind == "websocket":
            return self.websocket(scope, receive, send)
        return _unsupported(kind)

    # -- WebSocket ------------------------------------------------------------

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one WebSocket connection through the core's WebSocket lifecycle."""
        if self.api.mounts:
            with contextlib.suppress(_BadRequest):
                root_path, path = _path(scope)
                root_path, path = root_path.rstrip("/"), "/" + path.lstrip("/")
                mount = self.api.mount_for("GET", path, websocket=True)
                if mount is not None:  # the mounted app takes the handshake itself
                    await self.mounts(mount, scope, receive, send, root_path, path)
                    return
        first = await receive()
        if first["type"] != "websocket.connect":
            return
        try:
            req = request_from_scope(scope, receive, asyncio.get_running_loop(), None)
        except _BadRequest:
            await send({"type": "websocket.close", "code": 1008, "reason": ""})
            return
        channel = ASGIWebSocketChannel(receive, send)
        await drive_async(self.api.begin_websocket(req, channel), _run_sync)

    # -- lifespan -------------------------------------------------------------

    async def lifespan(self, receive: Receive, send: Send) -> None:
        lifespan = self.api.lifespan
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await lifespan.startup()
                    await self.mounts.startup()
                except Exception as exc:
                    log.exception("Application startup failed")
                    if lifespan.started:  # a mounted app failed: undo our own startup
                        await lifespan.shutdown()
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.mounts.shutdown()
                await lifespan.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- HTTP -----------------------------------------------------------------

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        api = self.api
        settings = api.settings
        source = ASGIBodySource(receive, loop)
        try:
            req = request_from_scope(scope, receive, loop, settings.max_request_size, source)
        except _BadRequest as exc:
            await self._plain_error(send, 400, str(exc), scope["method"] == "HEAD")
            return
        if api.mounts:
            mount = api.mount_for(req.method, req.path)
            if mount is not None:
                await self.mounts(mount, scope, receive, send, req.root_path, req.path)
                return
        resp, lifecycle, is_async = api.begin(req)
        timeout = settings.request_timeout
        late = False  # True: a 504 went out while the sync lifecycle runs on
        if is_async:
            if timeout is None:
                await drive_async(lifecycle, _run_sync)
            else:
                await drive_async_within(lifecycle, _run_sync, timeout)
        else:
            work = self._in_thread(lifecycle, loop, source if _prefetches(req, settings) else None)
            if timeout is None:
                await work
            else:
                answer = await self._sync_within(work, req, resp, timeout)
                late, resp = answer is not resp, answer
        if resp.unhandled is not None and scope.get("extensions", {}).get("responder.test", {}).get(
            "raise_server_exceptions"
        ):
            raise resp.unhandled
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": resp.status_code,
                    "headers": _header_list(resp),
                }
            )
            if resp.stream_body is None:  # bytes: the common case, sent inline
                body = (resp.content or b"") if resp.send_body else b""
                await send({"type": "http.response.body", "body": body})
            elif resp.send_body:
                watch = receive if source.complete or _has_no_body(req) else None
                await send_streamed(partial(self._send_body, resp), send, watch)
            else:
                await self._send_body(resp, send)
        finally:  # also when the client went away mid-response
            if not late and needs_finish(req, resp):
                await finish_async(api, req, resp, _run_sync)

    async def _sync_within(
        self, work: Awaitable[None], req: Request, resp: Response, seconds: float
    ) -> Response:
        """Wait for a sync lifecycle's thread; past `seconds`, answer 504 instead.

        The thread cannot be interrupted: it runs on, and the request's
        teardown runs once it ends.
        """
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=seconds)
        if done:
            task.result()
            return resp

        def finish_late(_: asyncio.Future[None]) -> None:
            if needs_finish(req, resp):
                late = asyncio.ensure_future(drive_async(finish(self.api, req, resp), _run_sync))
                self._pending.add(late)
                late.add_done_callback(self._pending.discard)

        task.add_done_callback(finish_late)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return timeout_response(self.api, req, seconds)

    async def _in_thread(
        self, lifecycle: Lifecycle, loop: asyncio.AbstractEventLoop, source: ASGIBodySource | None
    ) -> None:
        """Run a sync lifecycle on a worker thread, receiving a small body first (`source`)."""
        if source is not None:
            await source.prefetch(_PREFETCH)
        await asyncio.to_thread(drive_sync, lifecycle, partial(self._from_thread, loop))

    @staticmethod
    def _from_thread(loop: asyncio.AbstractEventLoop, awaitable: Awaitable[T]) -> T:
        async def wait() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wait(), loop).result()

    @staticmethod
    async def _send_body(resp: Response, send: Send) -> None:
        stream = resp.stream_body
        if stream is None or not resp.send_body:
            if stream is not None:
                await _close_stream(stream)
            body = resp.content if resp.send_body else b""
            await send({"type": "http.response.body", "body": body or b""})
            return
        if isinstance(stream, FileBody):
            await _send_file(stream, send)
            return
        try:
            if isinstance(stream, AsyncIterable):
                async for chunk in stream:
                    await send(_chunk_message(chunk))
            elif isinstance(stream, list | tuple):
                for chunk in stream:
                    await send(_chunk_message(chunk))
            else:
                step = partial(next, iter(stream), _DONE)
                while (chunk := await next_in_thread(step)) is not _DONE:
                    await send(_chunk_message(chunk))
        finally:
            await _close_stream(stream)
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _plain_error(send: Send, status: int, detail: str, head: bool) -> None:
        body, headers = early_problem(status, detail)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": b"" if head else body})


async def _unsupported(kind: str) -> None:
    raise ValueError(f"Unsupported ASGI scope type {kind!r}")


async def _send_file(body: FileBody, send: Send) -> None:
    """Send a file body; every read runs on a worker thread, never on the loop.

    A disk read can block for milliseconds (or far longer on network storage);
    on the loop thread that would stall every other connection.
    """
    step = partial(next, iter(body), None)
    left = body.length  # known in advance: no extra thread hop to learn the end
    try:
        while left > 0 and (chunk := await next_in_thread(step)) is not None:
            left -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
    finally:
        body.close()
    if left != 0:  # an empty file, or a body that ended early
        await send({"type": "http.response.body", "body": b""})


def _prefetches(req: Request, settings: Any) -> bool:
    """Tell whether to receive a sync route's body before its hop to a worker thread.

    Only a declared body of at most `_PREFETCH` bytes, within
    `max_request_size` (a larger one is refused before anything is read), and
    never for a client that sent `Expect: 100-continue`: reading is what
    tells the server to invite its body, and the route may refuse it first.
    """
    headers = req.headers
    length = first_header(headers, "Content-Length")
    if not length or first_header(headers, "Expect") or first_header(headers, "Transfer-Encoding"):
        return False
    size = int(length)  # request_from_scope refused one that is not a number
    limit = settings.max_request_size
    return 0 < size <= _PREFETCH and (limit is None or size <= limit)


def _has_no_body(req: Request) -> bool:
    """Tell whether the request declared no body, so no one will read one from `receive`."""
    headers = req.headers
    return first_header(headers, "Content-Length") in (None, "0") and not first_header(
        headers, "Transfer-Encoding"
    )


def _chunk_message(chunk: Any) -> Message:
    data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
    return {"type": "http.response.body", "body": data, "more_body": True}


async def _close_stream(stream: Iterable[Any] | AsyncIterable[Any]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(stream, "close", None)
    if close is not None:
        close()
