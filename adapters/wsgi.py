"""The WSGI adapter (PEP 3333): `api(environ, start_response)`.

Sync routes run straight through on the server's thread and never touch an
event loop. Async routes, and async body streams, run on the worker thread's
own long-lived loop (`loop.py`). Startup runs once, before the first request,
and shutdown at interpreter exit, since WSGI has no lifespan protocol.
"""

from __future__ import annotations

import atexit
import contextvars
import logging
import threading
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from functools import partial
from typing import Any

from werkzeug.datastructures import EnvironHeaders

from responder.body import Body
from responder.deadline import drive_async_within, timeout_response
from responder.files import FileBody
from responder.pipeline import Lifecycle, drive_async, drive_sync, finish, needs_finish
from responder.request import Request
from responder.response import Response

from .loop import run_on_thread_loop
from .mount import WSGIMounts
from .wire import TEST_RAISE_KEY, early_problem, status_line

__all__ = ["WSGIAdapter"]

log = logging.getLogger("responder.wsgi")
_CHUNK = 64 * 1024

StartResponse = Callable[..., Any]


class WSGIBodySource:
    """Reads `wsgi.input`, never past `Content-Length` (PEP 3333 requires that)."""

    __slots__ = ("_remaining", "_stream")

    def __init__(self, stream: Any, length: int | None) -> None:
        self._stream = stream
        self._remaining = length  # None: the server says the input is terminated

    def next_chunk_sync(self) -> bytes:
        remaining = self._remaining
        if remaining is None:
            return bytes(self._stream.read(_CHUNK))
        if remaining <= 0:
            return b""
        data = bytes(self._stream.read(min(_CHUNK, remaining)))
        self._remaining = remaining - len(data) if data else 0
        return data

    async def next_chunk(self) -> bytes:
        # The loop under WSGI serves this one request; a blocking read is fine.
        return self.next_chunk_sync()


class _Headers(EnvironHeaders):
    """werkzeug's environ-backed headers, with `getlist` as a direct lookup.

    `EnvironHeaders.getlist` scans the whole environ; the core asks for one
    header at a time (`Accept`, `Content-Type`), and WSGI holds at most one
    value per name, so a dictionary lookup answers exactly the same.
    """

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = "HTTP_" + name
        value = self.environ.get(name)
        if not value and (value is None or not name.startswith("HTTP_")):
            return []  # as iteration does: an empty CONTENT_TYPE is no header
        if type is None:
            return [value]
        try:
            return [type(value)]
        except ValueError:
            return []


class _BadRequest(Exception):
    """The environ itself is unusable (bad Content-Length, path not UTF-8)."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.status = status


def _decode_wsgi_str(value: str) -> str:
    """Undo PEP 3333's latin-1 tunnelling; refuse bytes that are not UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise _BadRequest("The request path is not valid UTF-8.") from None


def request_from_environ(environ: dict[str, Any], limit: int | None) -> Request:
    """Translate a WSGI environ into the core's `Request`."""
    raw_length = environ.get("CONTENT_LENGTH")
    length: int | None = None
    if raw_length:
        if not (raw_length.isascii() and raw_length.isdigit()):
            raise _BadRequest("Content-Length is not a number.")
        length = int(raw_length)
    if length:
        source: Any = WSGIBodySource(environ["wsgi.input"], length)
    elif environ.get("wsgi.input_terminated"):
        source = WSGIBodySource(environ["wsgi.input"], None)
    elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        # PEP 3333 forbids reading past CONTENT_LENGTH; without it, and without
        # the server vouching that the input ends, the body cannot be read safely.
        raise _BadRequest("A chunked body needs a server that terminates wsgi.input.", 411)
    else:
        source = WSGIBodySource(None, 0)
    port = environ.get("SERVER_PORT")
    remote_port = environ.get("REMOTE_PORT")
    return Request(
        environ["REQUEST_METHOD"],
        environ.get("wsgi.url_scheme", "http"),
        (
            environ.get("SERVER_NAME", ""),
            int(port) if port and port.isascii() and port.isdigit() else None,
        ),
        _decode_wsgi_str(environ.get("SCRIPT_NAME", "")),
        _decode_wsgi_str(environ.get("PATH_INFO", "")),
        environ.get("QUERY_STRING", "").encode("latin-1"),
        _Headers(environ),
        environ.get("REMOTE_ADDR"),
        body=Body(source, length, limit),
        client_port=int(remote_port)
        if remote_port and remote_port.isascii() and remote_port.isdigit()
        else 0,
    )


class _Closing:
    """A WSGI body whose `close()` also runs the work due after sending."""

    __slots__ = ("_after", "_body")

    def __init__(self, body: Iterable[bytes], after: Callable[[], None]) -> None:
        self._body = body
        self._after = after

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._after()


def _sync_chunks(source: Iterable[Any]) -> Iterator[bytes]:
    try:
        for chunk in source:
            yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def _bridged_chunks(source: AsyncIterable[Any]) -> Iterator[bytes]:
    """Iterate an async body from WSGI, one step at a time on the thread's loop."""
    iterator = aiter(source)
    try:
        while True:
            try:
                chunk = run_on_thread_loop(anext(iterator))
            except StopAsyncIteration:
                return
            yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            run_on_thread_loop(aclose())


def _file_body(
    body: FileBody, environ: dict[str, Any], after: Callable[[], None] | None
) -> Iterable[bytes] | None:
    """Hand a one-span file to the server's `wsgi.file_wrapper` (gunicorn: sendfile).

    The span is positioned at its first byte and reads no further than its
    last, so a server that sends `Content-Length` bytes from the descriptor
    and one that calls `read()` both send exactly the range. The server
    closes the wrapper, which closes the span, which runs `after`.

    Returns:
        The server's wrapper, or None to read the file in chunks instead
        (no wrapper offered, a multipart body, or the file would not open).
    """
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is None or body.span is None:
        return None
    try:
        span = body.open_span(after)
    except OSError:
        return None  # reading it in chunks fails the same way, while sending
    result: Iterable[bytes] = wrapper(span, _CHUNK)
    return result


class WSGIAdapter:
    """Serves an `API` to a WSGI server."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self._started = False
        self._startup_error: BaseException | None = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        #: The API's mounted applications, called the WSGI way.
        self.mounts = WSGIMounts(api.mounts)

    # -- lifespan -------------------------------------------------------------

    def _ensure_started(self) -> None:
        # Requests arriving while startup runs wait on the lock, so none is
        # served by a half-started application.
        with self._lock:
            if self._started:
                return
            try:
                run_on_thread_loop(self.api.lifespan.startup())
                self.mounts.start()
            except Exception as exc:
                self._startup_error = exc
                log.exception("Application startup failed; every request will get a 500")
                self._shutdown()  # whatever did start, such as the API when a mount failed
            else:
                atexit.register(self._shutdown)
            finally:
                self._started = True

    def _shutdown(self) -> None:
        self.mounts.stop()
        if self.api.lifespan.started:
            run_on_thread_loop(self.api.lifespan.shutdown())

    @contextmanager
    def lifespan_context(self) -> Iterator[None]:
        """Run startup now and shutdown on exit (used by the test client)."""
        with self._lock:
            run_on_thread_loop(self.api.lifespan.startup())
            try:
                self.mounts.start()
            except BaseException:
                self._shutdown()
                raise
            self._started = True
        try:
            yield
        finally:
            self._shutdown()
            self._started = False

    # -- requests -------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self._started:
            self._ensure_started()
        if self._startup_error is not None:
            return self._plain_error(
                environ, start_response, 500, "The application failed to start."
            )
        try:
            req = request_from_environ(environ, self.api.settings.max_request_size)
        except _BadRequest as exc:
            return self._plain_error(environ, start_response, exc.status, str(exc))
        if self.api.mounts:
            mount = self.api.mount_for(req.method, req.path)
            if mount is not None:
                return self.mounts(mount, environ, start_response, req.root_path, req.path)
        resp, lifecycle, is_async = self.api.begin(req)
        timeout = self.api.settings.request_timeout
        late = False  # True: a 504 goes out while the sync lifecycle runs on
        if is_async:
            if timeout is None:
                run_on_thread_loop(drive_async(lifecycle))
            else:
                run_on_thread_loop(drive_async_within(lifecycle, None, timeout))
        elif timeout is None:
            drive_sync(lifecycle, run_on_thread_loop)
        else:
            answer = self._sync_within(lifecycle, req, resp, timeout)
            late, resp = answer is not resp, answer
        if resp.unhandled is not None and environ.get(TEST_RAISE_KEY):
            raise resp.unhandled
        start_response(status_line(resp.status_code), resp.headers.to_wsgi_list())
        after = None
        if not late and needs_finish(req, resp):
            after = partial(drive_sync, finish(self.api, req, resp), run_on_thread_loop)
        return self._body(resp, environ, after)

    def _sync_within(
        self, lifecycle: Lifecycle, req: Request, resp: Response, seconds: float
    ) -> Response:
        """Run a sync lifecycle on a helper thread; past `seconds`, answer 504.

        With `request_timeout` set, a sync route cannot run on the server's own
        thread: nothing could answer on time while it overran. The helper
        thread runs on after a timeout, and runs the teardown when it ends.
        """
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(thread_name_prefix="responder-timeout")
        context = contextvars.copy_context()
        future = self._pool.submit(context.run, drive_sync, lifecycle, run_on_thread_loop)
        try:
            future.result(timeout=seconds)
        except FutureTimeout:
            api = self.api

            def finish_late(_: Future[None]) -> None:
                if needs_finish(req, resp):
                    drive_sync(finish(api, req, resp), run_on_thread_loop)

            future.add_done_callback(finish_late)
            return timeout_response(api, req, seconds)
        return resp

    @staticmethod
    def _body(
        resp: Response, environ: dict[str, Any], after: Callable[[], None] | None
    ) -> Iterable[bytes]:
        """The body iterable for the server; closing it runs `after` (tasks, teardowns)."""
        stream = resp.stream_body
        body: Iterable[bytes]
        if not resp.send_body:
            resp.clear_body()
            body = []
        elif stream is None:
            body = [resp.content or b""]
        elif isinstance(stream, FileBody):
            wrapped = _file_body(stream, environ, after)
            if wrapped is not None:
                return wrapped  # the server's wrapper: closing it runs `after`
            body = stream  # already bytes, and close() closes the file
        elif isinstance(stream, AsyncIterable):
            body = _bridged_chunks(stream)
        else:
            body = _sync_chunks(stream)
        return body if after is None else _Closing(body, after)

    @staticmethod
    def _plain_error(
        environ: dict[str, Any], start_response: StartResponse, status: int, detail: str
    ) -> list[bytes]:
        body, headers = early_problem(status, detail)
        start_response(status_line(status), headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
