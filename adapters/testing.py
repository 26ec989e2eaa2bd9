"""A synchronous test client that can drive an application through ASGI or through WSGI.

A responder application is both an ASGI and a WSGI callable, so its tests must be able to
exercise either face with the same client API. httpx already ships a WSGI transport; its ASGI
transport is async-only, which would force every test to become a coroutine. The
:class:`ASGITransport` below keeps tests synchronous by running the application on a private
event loop in a background thread, while still streaming both request and response bodies
incrementally so that streaming and client-disconnect behaviour can be tested faithfully.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import (
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
)
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import unquote_to_bytes
from wsgiref.types import StartResponse, WSGIEnvironment

import httpx

from .websocket_client import WebSocketDenied, WebSocketSession

__all__ = ["ASGIApp", "ASGITransport", "ClientDisconnected", "TestClient"]

Scope = dict[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_T = TypeVar("_T")
_ASGI_VERSIONS = {"version": "3.0", "spec_version": "2.3"}
_CHUNK_SIZE = 64 * 1024  # Large request bodies are cut so apps really see several messages.
_QUEUE_SIZE = 16  # Unread response messages before the app's send() applies backpressure.
_DISCONNECT_GRACE = 1.0  # Seconds an app gets to stop after a disconnect before cancellation.


class ClientDisconnected(OSError):
    """Raised by ``send()`` once the test client has closed the response.

    The ASGI spec asks servers to raise an ``OSError`` subclass here, so that an app which
    never polls ``receive()`` still stops producing data for a client that went away.
    """


class _AppEnded:
    """Final item of a message queue: the app returned (``error`` None) or raised."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


_Outgoing = Message | _AppEnded


async def _settle(task: asyncio.Task[Any] | None) -> None:
    """Wait briefly for ``task`` to finish, then cancel it, so that closing never hangs."""
    if task is None or task.done():
        return
    _, pending = await asyncio.wait({task}, timeout=_DISCONNECT_GRACE)
    if pending:
        task.cancel()
        await asyncio.wait({task})


async def _run_app(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> _AppEnded:
    """Run ``app`` and capture its outcome instead of letting it escape the loop thread."""
    try:
        await app(scope, receive, send)
    except asyncio.CancelledError:
        raise
    except BaseException as exc:  # noqa: BLE001 - handed to the caller
        return _AppEnded(exc)
    return _AppEnded(None)


class _BodyReader:
    """Pulls the httpx request stream lazily and cuts it into ASGI-sized pieces.

    One piece of look-ahead is kept so that the last ``http.request`` message can carry
    ``more_body=False`` instead of needing an extra empty message.
    """

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._chunks = iter(stream)
        self._buffer = b""
        self._offset = 0
        self._exhausted = False

    def _fill(self) -> None:
        while self._offset >= len(self._buffer) and not self._exhausted:
            try:
                self._buffer, self._offset = bytes(next(self._chunks)), 0
            except StopIteration:
                self._exhausted = True

    def read(self) -> tuple[bytes, bool]:
        """Return the next piece and whether more will follow."""
        self._fill()
        piece = self._buffer[self._offset : self._offset + _CHUNK_SIZE]
        self._offset += len(piece)
        self._fill()
        return piece, self._offset < len(self._buffer)


class _HTTPExchange:
    """Loop-side state of one request: the app's ``receive``/``send`` and the response queue."""

    def __init__(self, body: Iterable[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop  # Closing the response must talk to this loop, not a later one.
        self.outbox: asyncio.Queue[_Outgoing] = asyncio.Queue(maxsize=_QUEUE_SIZE)
        self.finished = asyncio.Event()  # Response complete or client gone: disconnect is due.
        self.client_gone = False
        self.task: asyncio.Task[Any] | None = None
        self._body = _BodyReader(body)
        self._body_sent = False

    async def receive(self) -> dict[str, Any]:
        if not self._body_sent and not self.client_gone:
            piece, more = self._body.read()
            self._body_sent = not more
            return {"type": "http.request", "body": piece, "more_body": more}
        await self.finished.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.client_gone:
            raise ClientDisconnected("the test client closed the response")
        await self.outbox.put(message)
        if message.get("type") == "http.response.body" and not message.get("more_body", False):
            self.finished.set()

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        self.task = asyncio.current_task()
        ended = await _run_app(app, scope, self.receive, self.send)
        self.finished.set()
        if not self.client_gone:
            await self.outbox.put(ended)

    async def abort(self) -> None:
        """Signal disconnect, unblock a pending ``send()`` and wait for the app to stop."""
        self.client_gone = True
        self.finished.set()
        while not self.outbox.empty():
            self.outbox.get_nowait()
        await _settle(self.task)


class _Lifespan:
    """Loop-side state of the lifespan protocol: one inbox, one outbox, a shared state dict."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[_Outgoing] = asyncio.Queue()
        self.state: dict[str, Any] = {}
        self.listening = False  # Set once the app calls receive(): it speaks lifespan.
        self.task: asyncio.Task[Any] | None = None

    async def receive(self) -> dict[str, Any]:
        self.listening = True
        return await self.inbox.get()

    async def send(self, message: Message) -> None:
        self.outbox.put_nowait(message)

    async def run(self, app: ASGIApp) -> None:
        self.task = asyncio.current_task()
        scope: Scope = {"type": "lifespan", "asgi": dict(_ASGI_VERSIONS), "state": self.state}
        self.outbox.put_nowait(await _run_app(app, scope, self.receive, self.send))

    async def ask(self, event: str) -> _Outgoing:
        self.inbox.put_nowait({"type": event})
        return await self.outbox.get()


class _ResponseStream(httpx.SyncByteStream):
    """Yields body chunks as the app sends them; closing early tells the app we left."""

    def __init__(self, transport: ASGITransport, exchange: _HTTPExchange) -> None:
        self._transport = transport
        self._exchange = exchange
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        complete = False
        while not self._done:
            item = self._transport._call(self._exchange.outbox.get)
            if isinstance(item, _AppEnded):
                # Reading on past the final body message waits for the app to return, so
                # work done after the response (background tasks) is over and its errors seen.
                self._done = True
                if item.error is not None and self._transport.raise_app_exceptions:
                    raise item.error
                return
            if item.get("type") == "http.response.body" and not complete:
                complete = not item.get("more_body", False)
                body = bytes(item.get("body", b""))
                if body:
                    yield body

    def close(self) -> None:
        if not self._done:
            self._done = True
            if self._transport._loop is self._exchange.loop:  # Else the loop already stopped.
                self._transport._call(self._exchange.abort)


class ASGITransport(httpx.BaseTransport):
    """A synchronous httpx transport that runs an ASGI 3 app on a private event-loop thread.

    Args:
        app: The ASGI application.
        raise_app_exceptions: Re-raise app exceptions in the caller instead of answering 500.
        root_path: Reported as ``scope["root_path"]``; the request path is passed unchanged.
    """

    def __init__(
        self, app: ASGIApp, *, raise_app_exceptions: bool = True, root_path: str = ""
    ) -> None:
        self.app = app
        self.raise_app_exceptions = raise_app_exceptions
        self.root_path = root_path
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lifespan: _Lifespan | None = None
        self._state: dict[str, Any] | None = None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(
                    target=_serve_loop, args=(loop, ready), name="responder-testclient-loop"
                )
                thread.daemon = True
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def _submit(self, factory: Callable[[], Coroutine[Any, Any, _T]]) -> Future[_T]:
        """Schedule a coroutine on the loop thread without waiting for it.

        Taking a factory rather than a coroutine means the coroutine is only created once the
        loop is known to be usable, so no un-awaited coroutine is ever left behind.
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("the test client cannot be used from inside the application")
        return asyncio.run_coroutine_threadsafe(factory(), self._ensure_loop())

    def _call(self, factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
        """Run a coroutine on the loop thread and block the caller until it finishes."""
        return self._submit(factory).result()

    def _http_scope(self, request: httpx.Request) -> Scope:
        url = request.url
        scope: Scope = {
            "type": "http",
            "asgi": dict(_ASGI_VERSIONS),
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "root_path": self.root_path,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "client": ("testclient", 50000),
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "extensions": {
                "responder.test": {"raise_server_exceptions": self.raise_app_exceptions}
            },
        }
        if self._state is not None:
            scope["state"] = dict(self._state)
        return scope

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Start the app for ``request`` and return as soon as the response has started."""
        if not isinstance(request.stream, httpx.SyncByteStream):
            raise TypeError("ASGITransport needs a synchronous request body stream")
        exchange = _HTTPExchange(request.stream, self._ensure_loop())
        scope = self._http_scope(request)
        self._submit(lambda: exchange.run(self.app, scope))
        item = self._call(exchange.outbox.get)
        if isinstance(item, _AppEnded):
            if item.error is None:
                raise RuntimeError("The ASGI app returned without sending 'http.response.start'.")
            if self.raise_app_exceptions:
                raise item.error
            return httpx.Response(500, content=b"")
        if item.get("type") != "http.response.start":
            self._call(exchange.abort)
            raise RuntimeError(
                f"Expected 'http.response.start', the app sent {item.get('type')!r}."
            )
        headers = [(bytes(name), bytes(value)) for name, value in item.get("headers", [])]
        return httpx.Response(
            item["status"], headers=headers, stream=_ResponseStream(self, exchange)
        )

    def lifespan_startup(self) -> None:
        """Run lifespan startup; an app that fails before listening is taken as not using it."""
        if self._lifespan is not None:
            raise RuntimeError("lifespan startup has already run")
        lifespan = _Lifespan()
        self._submit(lambda: lifespan.run(self.app))
        reply = self._call(lambda: lifespan.ask("lifespan.startup"))
        if isinstance(reply, _AppEnded):
            if reply.error is not None and lifespan.listening:
                raise reply.error
            return  # The app does not support lifespan, as uvicorn's "auto" mode tolerates.
        if reply.get("type") == "lifespan.startup.failed":
            self._call(lambda: _settle(lifespan.task))
            raise RuntimeError(reply.get("message") or "lifespan startup failed")
        if reply.get("type") != "lifespan.startup.complete":
            raise RuntimeError(f"Unexpected lifespan message {reply.get('type')!r}.")
        self._lifespan, self._state = lifespan, lifespan.state

    def lifespan_shutdown(self) -> None:
        """Run lifespan shutdown if startup completed; do nothing otherwise."""
        lifespan, self._lifespan, self._state = self._lifespan, None, None
        if lifespan is None:
            return
        reply = self._call(lambda: lifespan.ask("lifespan.shutdown"))
        self._call(lambda: _settle(lifespan.task))
        if isinstance(reply, _AppEnded):
            if reply.error is not None:
                raise reply.error
        elif reply.get("type") == "lifespan.shutdown.failed":
            raise RuntimeError(reply.get("message") or "lifespan shutdown failed")

    def close(self) -> None:
        """Stop the loop thread; tasks still running are cancelled. The loop restarts lazily."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        self._lifespan = self._state = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()


def _serve_loop(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    """Body of the loop thread: run until stopped, then cancel leftovers and close cleanly."""
    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    try:
        loop.run_forever()
    finally:
        try:
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


class _WSGITransport(httpx.WSGITransport):
    """httpx's WSGI transport, with the environ a real WSGI server would build.

    httpx puts the percent-decoded *text* path in `PATH_INFO`; PEP 3333 (and
    gunicorn) put the decoded *bytes*, tunnelled through latin-1. A framework
    tested against the former would mis-decode non-ASCII paths and could not
    see malformed UTF-8 at all, so the raw path of each request is kept here
    and translated the way servers do.

    httpx also turns every header into an environ key as it comes, so a
    header named `CONTENT_LENGTH` would overwrite the real length and a
    repeated header would keep only its last value. Servers drop header names
    with underscores (gunicorn, waitress; nginx by default) precisely because
    they would collide with the `-` spelling, and join repeated headers with
    commas; the header keys are rebuilt that way here.
    """

    def __init__(
        self, app: Callable[..., Any], *, raise_server_exceptions: bool, script_name: str
    ) -> None:
        super().__init__(
            app=self._call,
            raise_app_exceptions=raise_server_exceptions,
            script_name=script_name,
        )
        self._app = app
        self._raise = raise_server_exceptions
        self._raw_path = b"/"
        self._headers: list[tuple[bytes, bytes]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._raw_path = request.url.raw_path.split(b"?", 1)[0]
        self._headers = request.headers.raw
        return super().handle_request(request)

    def _header_keys(self, environ: WSGIEnvironment) -> None:
        for key in [key for key in environ if key.startswith("HTTP_")]:
            del environ[key]
        environ.pop("CONTENT_TYPE", None)
        environ.pop("CONTENT_LENGTH", None)
        for name, value in self._headers:
            if b"_" in name:
                continue
            key = name.decode("latin-1").upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            text = value.decode("latin-1")
            environ[key] = f"{environ[key]},{text}" if key in environ else text

    def _call(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["responder.test.raise_server_exceptions"] = self._raise
        self._header_keys(environ)
        environ["PATH_INFO"] = unquote_to_bytes(self._raw_path).decode("latin-1")
        environ["RAW_URI"] = environ["REQUEST_URI"] = self._raw_path.decode("latin-1")
        # httpx hands the app a BytesIO of the whole body, so reading to EOF is safe
        # even for a chunked request without Content-Length; say so, as servers do.
        environ.setdefault("wsgi.input_terminated", True)
        result: Iterable[bytes] = self._app(environ, start_response)
        return result


class TestClient(httpx.Client):
    """An httpx client bound to one app, in ASGI or WSGI mode, for synchronous tests.

    It accepts the ``allow_redirects=`` and raw ``data=`` spellings of requests/Starlette test
    clients so that existing suites run unchanged under ``filterwarnings=error``.

    Args:
        app: The application; a responder app serves both modes.
        mode: ``"asgi"`` or ``"wsgi"``: which protocol face of the app to drive.
        base_url: Where relative URLs point; absolute URLs may use any host.
        raise_server_exceptions: Re-raise app errors in the test instead of answering 500.
        root_path: ASGI ``root_path`` or WSGI ``SCRIPT_NAME``.
        follow_redirects: Default redirect policy.
        cookies: Initial cookies.
        headers: Extra default headers.
        close_on_exit: Close the client when a `with` block ends; False keeps
            it usable, so `with` only brackets a lifespan run.
    """

    __test__ = False  # Not a test class, despite its name.

    def __init__(
        self,
        app: Callable[..., Any],
        *,
        mode: Literal["asgi", "wsgi"] = "asgi",
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        follow_redirects: bool = True,
        cookies: httpx.Cookies | dict[str, str] | None = None,
        headers: httpx.Headers | Mapping[str, str] | None = None,
        close_on_exit: bool = True,
    ) -> None:
        transport: httpx.BaseTransport
        self._asgi: ASGITransport | None = None
        if mode == "asgi":
            transport = self._asgi = ASGITransport(
                app, raise_app_exceptions=raise_server_exceptions, root_path=root_path
            )
        elif mode == "wsgi":
            transport = _WSGITransport(
                app, raise_server_exceptions=raise_server_exceptions, script_name=root_path
            )
        else:
            raise ValueError(f"mode must be 'asgi' or 'wsgi', not {mode!r}")
        default_headers = httpx.Headers({"user-agent": "testclient"})
        default_headers.update(headers or {})
        super().__init__(
            base_url=base_url,
            transport=transport,
            follow_redirects=follow_redirects,
            cookies=cookies,
            headers=default_headers,
        )
        self.app = app
        self.mode = mode
        #: False keeps the client usable after `with` (lifespan still stops).
        self.close_on_exit = close_on_exit
        self._exit_stack = contextlib.ExitStack()

    def __enter__(self) -> Self:
        # httpx's own __enter__ would make the client single-use; a test client
        # is entered once per lifespan run, which `api.requests` may see often.
        try:
            if self._asgi is not None:
                self._asgi.lifespan_startup()
                self._exit_stack.callback(self._asgi.lifespan_shutdown)
            else:
                factory = getattr(self.app, "wsgi_lifespan", None)
                if factory is not None:
                    self._exit_stack.enter_context(factory())
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            self._exit_stack.__exit__(exc_type, exc_value, traceback)
        finally:
            self._exit_stack = contextlib.ExitStack()
            if self.close_on_exit:
                self.close()

    def websocket_connect(
        self,
        url: str,
        *,
        subprotocols: list[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> WebSocketSession:
        """Open a WebSocket to the app; use it as a context manager.

        In WSGI mode there is no way to upgrade: the handshake goes out as
        an HTTP request and `WebSocketDenied` carries the app's answer.

        Raises:
            WebSocketDenied: when the app refuses (or cannot take) the handshake.
        """
        request = self.build_request("GET", url, headers=headers)
        if self._asgi is None:
            request.headers.update(
                {
                    "Connection": "Upgrade",
                    "Upgrade": "websocket",
                    "Sec-WebSocket-Version": "13",
                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                }
            )
            raise WebSocketDenied(response=self.send(request))
        if subprotocols:
            request.headers["Sec-WebSocket-Protocol"] = ", ".join(subprotocols)
        scope = self._asgi._http_scope(request)
        scope.update(
            type="websocket",
            scheme="wss" if request.url.scheme == "https" else "ws",
            subprotocols=list(subprotocols or ()),
        )
        scope.pop("method", None)
        return WebSocketSession(self._asgi, scope)

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        """Build a request, sending non-mapping ``data=`` as raw content as requests did."""
        data = kwargs.get("data")
        if data is not None and not isinstance(data, Mapping):
            if kwargs.get("content") is not None:
                raise TypeError("pass the request body as either content= or data=, not both")
            kwargs["content"] = kwargs.pop("data")
        return super().build_request(method, url, **kwargs)

    def request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        allow_redirects: bool | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request, also accepting the spellings of requests-era test suites.

        ``allow_redirects`` is an alias of ``follow_redirects``. Per-request ``cookies=`` apply
        to this request only; the request is built directly so that httpx's deprecation
        warning about them does not turn into an error under ``filterwarnings=error``.
        """
        if allow_redirects is not None:
            if "follow_redirects" in kwargs:
                raise TypeError("pass either allow_redirects= or follow_redirects=, not both")
            kwargs["follow_redirects"] = allow_redirects
        options = {key: kwargs.pop(key) for key in ("auth", "follow_redirects") if key in kwargs}
        return self.send(self.build_request(method, url, **kwargs), **options)

    def get(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        """Send a GET request (see :meth:`request`)."""
        return self.request("GET", url, **kwargs)

    def head(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        """Send a HEAD request (see :meth:`request`)."""
        return self.request("HEAD", url, **kwargs)

    def options(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        """Send an OPTIONS request (see :meth:`request`)."""
        return self.request("OPTIONS", url, **kwargs)

    def delete(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        """Send a DELETE request (see :meth:`request`)."""
        return self.request("DELETE", url, **kwargs)

    def post(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        """Send a POST request (see :meth:`request`)."""
        return self.request("POST", url, **kwargs)

    def put(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        """Send a PUT request (see :meth:`request`)."""
        return self.request("PUT", url, **kwargs)

    def patch(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        """Send a PATCH request (see :meth:`request`)."""
        return self.request("PATCH", url, **kwargs)
