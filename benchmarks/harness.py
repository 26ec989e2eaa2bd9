"""In-process WSGI/ASGI drivers and the timing loop.

Requests never touch a socket: a WSGI app is called directly with a prebuilt
environ, an ASGI app is awaited directly with a prebuilt scope. That removes
server and network noise so what remains is framework overhead -- routing,
request parsing, serialisation -- which is what the comparison is about.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Literal, Protocol

from benchmarks.workloads import Response, Workload

Mode = Literal["wsgi", "asgi"]
Message = dict[str, Any]

_SERVER = ("testserver", 80)
_CLIENT = ("127.0.0.1", 50000)
_LIFESPAN_TIMEOUT_S = 10.0
_REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Contender:
    """One row of the report: a framework app served through one protocol.

    Attributes:
        key: Stable id used for comparisons and the JSON dump, e.g. ``flask-wsgi``.
        framework: Framework name, e.g. ``falcon``.
        mode: Which driver calls the app.
        label: Human name used in tables and ratio lines, e.g. ``falcon wsgi``.
        build: Returns a fresh app; called once per run so builds are untimed.
        optional: When true, failing to build or answer correctly skips the row
            with a warning instead of aborting -- used for responder, whose core
            may be mid-rewrite while the peers still need measuring.
        variant: Extra qualifier shown next to the mode in tables, for rows that
            share framework and mode with another row.
    """

    key: str
    framework: str
    mode: Mode
    label: str
    build: Callable[[], Any]
    optional: bool = False
    variant: str = ""

    @property
    def mode_text(self) -> str:
        """Mode plus variant, as shown in the table's mode column."""
        return f"{self.mode} ({self.variant})" if self.variant else self.mode


class Bound(Protocol):
    """A driver bound to one workload: can answer once, or run N times timed."""

    def once(self) -> Response:
        """Perform one request and return what the app answered."""
        ...

    def timed(self, n: int) -> int:
        """Perform ``n`` requests back to back; return elapsed nanoseconds."""
        ...


def _decode_headers(raw: list[tuple[bytes, bytes]] | list[tuple[str, str]]) -> dict[str, str]:
    """Lower-case header names so checks do not depend on a framework's casing."""
    out: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1") if isinstance(name, bytes) else name
        val = value.decode("latin-1") if isinstance(value, bytes) else value
        out[key.lower()] = val
    return out


# --------------------------------------------------------------------------- WSGI


def wsgi_environ(workload: Workload) -> dict[str, Any]:
    """Build the environ template for ``workload`` (without ``wsgi.input``).

    Built once per workload so the timed loop only pays for a dict copy, which
    is roughly what a real server does per request anyway.
    """
    environ: dict[str, Any] = {
        "REQUEST_METHOD": workload.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": workload.path,
        "QUERY_STRING": workload.query,
        "SERVER_NAME": _SERVER[0],
        "SERVER_PORT": str(_SERVER[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": _CLIENT[0],
        "REMOTE_PORT": str(_CLIENT[1]),
        "HTTP_HOST": _SERVER[0],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if workload.body or workload.method in {"POST", "PUT", "PATCH"}:
        environ["CONTENT_LENGTH"] = str(len(workload.body))
    if workload.content_type:
        environ["CONTENT_TYPE"] = workload.content_type
    return environ


class WSGIBound:
    """Calls a WSGI app exactly as a synchronous server would, minus the socket."""

    def __init__(self, app: Any, workload: Workload) -> None:
        self._app = app
        self._environ = wsgi_environ(workload)
        self._body = workload.body

    def _call(self) -> tuple[str, list[tuple[str, str]], bytes]:
        # A fresh environ and input stream per call: apps mutate the environ
        # (werkzeug caches objects in it) and the body stream is single-use.
        environ = self._environ.copy()
        environ["wsgi.input"] = BytesIO(self._body)
        started: list[Any] = []
        written: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return written.append

        result = self._app(environ, start_response)
        try:
            # start_response may legally be called during iteration, so the
            # status is read only after the iterable has been consumed.
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if written:
            body = b"".join(written) + body
        return started[0], started[1], body

    def once(self) -> Response:
        """Perform one request and return what the app answered."""
        status, headers, body = self._call()
        return Response(int(status.split(" ", 1)[0]), _decode_headers(headers), body)

    def timed(self, n: int) -> int:
        """Perform ``n`` requests back to back; return elapsed nanoseconds."""
        call = self._call
        clock = time.perf_counter_ns
        start = clock()
        for _ in range(n):
            call()
        return clock() - start


class WSGIDriver:
    """Holds one WSGI app; WSGI has no startup protocol, so start/stop are no-ops."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def start(self) -> None:
        """Nothing to do for WSGI; present so the runner treats drivers alike."""

    def stop(self) -> None:
        """Nothing to do for WSGI; present so the runner treats drivers alike."""

    def bind(self, workload: Workload) -> WSGIBound:
        """Prepare the request for ``workload``."""
        return WSGIBound(self._app, workload)


# --------------------------------------------------------------------------- ASGI


def asgi_scope(workload: Workload) -> dict[str, Any]:
    """Build the HTTP scope template for ``workload``, shaped like uvicorn's."""
    headers = [(b"host", _SERVER[0].encode())]
    if workload.body or workload.method in {"POST", "PUT", "PATCH"}:
        headers.append((b"content-length", str(len(workload.body)).encode()))
    if workload.content_type:
        headers.append((b"content-type", workload.content_type.encode("latin-1")))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": _SERVER,
        "client": _CLIENT,
        "scheme": "http",
        "method": workload.method,
        "root_path": "",
        "path": workload.path,
        "raw_path": workload.path.encode("ascii"),
        "query_string": workload.query.encode("latin-1"),
        "headers": headers,
    }


class ASGIBound:
    """Awaits an ASGI app on the shared event loop, minus the socket."""

    def __init__(
        self,
        app: Any,
        workload: Workload,
        loop: asyncio.AbstractEventLoop,
        state: dict[str, Any],
    ) -> None:
        self._app = app
        self._scope = asgi_scope(workload)
        self._body = workload.body
        self._loop = loop
        self._state = state

    async def _call(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        scope = self._scope.copy()
        # Like uvicorn: each request sees a shallow copy of the lifespan state.
        scope["state"] = self._state.copy()
        body = self._body
        loop = self._loop
        request_pending = True
        complete = False
        waiter: asyncio.Future[None] | None = None
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal request_pending, waiter
            if request_pending:
                request_pending = False
                return {"type": "http.request", "body": body, "more_body": False}
            # A real client stays connected until the response is sent; only
            # then report a disconnect, so streaming responses are not cut
            # short. The future is created lazily to keep the common path free.
            if not complete:
                waiter = loop.create_future()
                await waiter
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, headers, complete
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
            elif kind == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    complete = True
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)

        await self._app(scope, receive, send)
        return status, headers, b"".join(chunks)

    async def _timed(self, n: int) -> int:
        call = self._call
        clock = time.perf_counter_ns
        start = clock()
        for _ in range(n):
            await call()
        return clock() - start

    def once(self) -> Response:
        """Perform one request and return what the app answered."""
        # Bounded, unlike the timed loop: an app that waits for input that
        # never comes must fail the sanity check instead of hanging the run.
        call = asyncio.wait_for(self._call(), _REQUEST_TIMEOUT_S)
        status, headers, body = self._loop.run_until_complete(call)
        return Response(status, _decode_headers(headers), body)

    def timed(self, n: int) -> int:
        """Perform ``n`` requests back to back; return elapsed nanoseconds.

        The clock runs inside the coroutine, so entering the event loop is paid
        once per batch rather than once per request.
        """
        return self._loop.run_until_complete(self._timed(n))


class _Lifespan:
    """Minimal ASGI lifespan client, so apps that set up state at startup work.

    Mirrors uvicorn's ``lifespan="auto"``: an app that raises before answering
    startup is treated as not supporting lifespan, not as broken.
    """

    def __init__(self, app: Any, state: dict[str, Any]) -> None:
        self._app = app
        self._state = state
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.supported = True
        self.error: BaseException | None = None

    async def _main(self) -> None:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self._state,
        }
        try:
            await self._app(scope, self._to_app.get, self._from_app.put)
        except Exception as exc:  # noqa: BLE001 - apps without lifespan may raise anything
            self.error = exc
        finally:
            await self._from_app.put(None)

    async def startup(self) -> None:
        """Send ``lifespan.startup`` and wait for the app's answer.

        Raises:
            RuntimeError: If the app reports ``lifespan.startup.failed``.
        """
        self._task = asyncio.get_running_loop().create_task(self._main())
        await self._to_app.put({"type": "lifespan.startup"})
        reply = await asyncio.wait_for(self._from_app.get(), _LIFESPAN_TIMEOUT_S)
        if reply is None:
            self.supported = False
            return
        if reply["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"lifespan startup failed: {reply.get('message', '')}")

    async def shutdown(self) -> None:
        """Send ``lifespan.shutdown`` and wait for the app to finish."""
        if self._task is None:
            return
        if self.supported:
            await self._to_app.put({"type": "lifespan.shutdown"})
            await asyncio.wait_for(self._from_app.get(), _LIFESPAN_TIMEOUT_S)
        try:
            await asyncio.wait_for(self._task, _LIFESPAN_TIMEOUT_S)
        except TimeoutError:
            self._task.cancel()


class ASGIDriver:
    """Holds one ASGI app plus its lifespan session on the shared event loop."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._app = app
        self._loop = loop
        self._state: dict[str, Any] = {}
        self._lifespan: _Lifespan | None = None

    @property
    def lifespan_supported(self) -> bool:
        """Whether the app took part in the lifespan protocol."""
        return self._lifespan is not None and self._lifespan.supported

    def start(self) -> None:
        """Run lifespan startup, as a server would before the first request."""

        async def _start() -> _Lifespan:
            lifespan = _Lifespan(self._app, self._state)
            await lifespan.startup()
            return lifespan

        self._lifespan = self._loop.run_until_complete(_start())

    def stop(self) -> None:
        """Run lifespan shutdown so apps release what they opened at startup."""
        if self._lifespan is not None:
            self._loop.run_until_complete(self._lifespan.shutdown())

    def bind(self, workload: Workload) -> ASGIBound:
        """Prepare the request for ``workload``."""
        return ASGIBound(self._app, workload, self._loop, self._state)


Driver = WSGIDriver | ASGIDriver


def make_driver(mode: Mode, app: Any, loop: asyncio.AbstractEventLoop) -> Driver:
    """Pick the driver for ``mode``; all ASGI apps share ``loop``."""
    if mode == "wsgi":
        return WSGIDriver(app)
    return ASGIDriver(app, loop)


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True, slots=True)
class Settings:
    """How long to measure.

    Attributes:
        repeats: Timed batches per cell; the best one is reported.
        target_s: Wall time each batch should take, used to size it.
        warmup_s: Untimed run before sizing, so caches and lazy setup settle.
    """

    repeats: int = 7
    target_s: float = 0.2
    warmup_s: float = 0.1


DEFAULT = Settings()
QUICK = Settings(repeats=3, target_s=0.04, warmup_s=0.03)


@dataclass(frozen=True, slots=True)
class Measurement:
    """Per-request timings of one (contender, workload) cell.

    Attributes:
        iterations: Requests per batch.
        samples_ns: Mean nanoseconds per request of each batch.
    """

    iterations: int
    samples_ns: tuple[float, ...]

    @property
    def best_us(self) -> float:
        """Fastest batch: the least disturbed by the OS, hence the headline."""
        return min(self.samples_ns) / 1000

    @property
    def median_us(self) -> float:
        """Typical batch, shown so a noisy best can be spotted."""
        return statistics.median(self.samples_ns) / 1000

    @property
    def requests_per_s(self) -> float:
        """Throughput implied by the best batch on one core."""
        return 1e6 / self.best_us


def calibrate(bound: Bound, settings: Settings) -> int:
    """Warm up for about ``settings.warmup_s``, then size a batch to ``target_s``.

    Warming up runs doubling batches; the per-request estimate is the fastest
    batch long enough to time reliably (>= 1 ms), so a burst of outside load
    during warm-up shrinks nothing, and warming up and sizing share the work.
    """
    budget_ns = settings.warmup_s * 1e9
    n = 1
    spent = 0
    estimates: list[float] = []
    while spent < budget_ns:
        elapsed = bound.timed(n)
        spent += elapsed
        if elapsed >= 1_000_000:
            estimates.append(elapsed / n)
        last = max(elapsed, 1) / n
        n *= 2
    per_request_ns = min(estimates) if estimates else last
    return max(1, round(settings.target_s * 1e9 / per_request_ns))


def sample(bound: Bound, n: int) -> float:
    """Time one batch of ``n`` requests; return mean nanoseconds per request.

    A full collection precedes the batch so garbage left by earlier work is not
    billed to it; the collector stays enabled during the batch because real
    servers pay for the reference cycles an app creates.
    """
    gc.collect()
    return bound.timed(n) / n
