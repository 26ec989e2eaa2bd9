"""Serving mounted applications over WSGI and over ASGI, and running their lifespans.

The core's `MountTable` decides *which* mounted application answers a
request; this module decides *how*, for each protocol the API is served by:

| mounted app  | API under WSGI                      | API under ASGI                  |
| ------------ | ----------------------------------- | ------------------------------- |
| WSGI         | called directly                     | `a2wsgi.WSGIMiddleware`         |
| ASGI         | `a2wsgi.ASGIMiddleware`, on a loop  | called directly                 |
|              | thread owned here                   |                                 |
| responder    | as the WSGI app it also is          | as the ASGI app it also is      |

What kind an application is gets decided here, never in the core: a
`responder.API` is both; an explicit `interface=` is taken at its word; an
object whose `__call__` is a coroutine function is ASGI; anything else is
WSGI, as Flask, Django's WSGIHandler and plain functions are.

Paths: a WSGI app sees its mount prefix moved from `PATH_INFO` to the end of
`SCRIPT_NAME`; an ASGI app sees it appended to `root_path`, while `path`
stays the full path (as the ASGI spec asks since `root_path` was
clarified), so `url_for`, redirects and cookies built by the mounted app
carry the prefix.

Lifespan: when the API starts, each mounted ASGI application (and each
mounted responder API) is started too, and stopped again, newest first,
before the API's own shutdown. Applications that do not speak the lifespan
protocol are left alone, as uvicorn's `lifespan="auto"` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
from collections.abc import Callable, Coroutine, Iterable, MutableMapping
from typing import Any, TypeVar, cast

from a2wsgi import ASGIMiddleware, WSGIMiddleware

from responder.api import API
from responder.mount import Mount, MountTable

from .guard import ASGIApp, ASGIGuard, Message, Receive, Send, StartResponse, WSGIApp, WSGIGuard

__all__ = ["ASGIMounts", "LifespanSession", "WSGIMounts", "interface_of"]

log = logging.getLogger("responder.mount")
T = TypeVar("T")
#: How long a mounted app may take to return once told to shut down.
SHUTDOWN_GRACE = 10.0


def interface_of(mount: Mount) -> str:
    """Tell how a mounted application is called: "wsgi", "asgi" or "dual" (a responder API)."""
    app = mount.app
    if isinstance(app, API):
        return "dual"
    if mount.interface is not None:
        return mount.interface
    if inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(
        getattr(app, "__call__", None)  # noqa: B004 - the method, not callable()
    ):
        return "asgi"
    return "wsgi"


def _as_wsgi(app: ASGIGuard, loop: asyncio.AbstractEventLoop) -> WSGIApp:
    """Bridge an ASGI app to WSGI (a2wsgi types messages as TypedDicts, ours are mappings)."""
    return cast(WSGIApp, ASGIMiddleware(cast(Any, app), loop=loop))


def _as_asgi(app: WSGIGuard) -> ASGIApp:
    """Bridge a WSGI app to ASGI; a2wsgi runs it on a thread pool of its own."""
    return cast(ASGIApp, WSGIMiddleware(cast(Any, app)))


def _wsgi_str(text: str) -> str:
    """A path as PEP 3333 carries it: UTF-8 bytes tunnelled through latin-1."""
    return text.encode("utf-8").decode("latin-1")


class LifespanSession:
    """One mounted ASGI application's lifespan, driven as a server would drive it.

    Args:
        app: The mounted ASGI application (not its guard).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        #: The lifespan state the app filled in; its requests get a copy.
        self.state: dict[str, Any] = {}
        self._task: asyncio.Task[None] | None = None
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()

    async def _receive(self) -> Message:
        return await self._inbox.get()

    async def _send(self, message: Message) -> None:
        await self._outbox.put(message)

    async def _ask(self, kind: str) -> Message | None:
        """Send one lifespan event; return the reply, or None if the app ended instead."""
        task = self._task
        assert task is not None
        await self._inbox.put({"type": kind})
        reply = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({reply, task}, return_when=asyncio.FIRST_COMPLETED)
        if reply.done():
            return reply.result()
        reply.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reply
        error = None if task.cancelled() else task.exception()
        log.info("Mounted application %r does not use lifespan (%r)", self.app, error)
        return None

    async def start(self) -> bool:
        """Run the app's startup; False when it does not take part in lifespan.

        Raises:
            RuntimeError: when the app reports `lifespan.startup.failed`.
        """
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self._task = asyncio.ensure_future(self.app(scope, self._receive, self._send))
        reply = await self._ask("lifespan.startup")
        if reply is None:
            return False
        if reply["type"] != "lifespan.startup.complete":
            await self._settle()
            raise RuntimeError(reply.get("message") or f"Mounted {self.app!r} failed to start")
        return True

    async def stop(self) -> None:
        """Run the app's shutdown and wait for it to return; log, never raise."""
        reply = await self._ask("lifespan.shutdown")
        if reply is not None and reply["type"] != "lifespan.shutdown.complete":
            log.error("Mounted application %r failed to shut down: %s", self.app, reply)
        await self._settle()

    async def _settle(self) -> None:
        task = self._task
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_GRACE)
        if not done:
            task.cancel()
        with contextlib.suppress(BaseException):
            await task


class _LoopThread:
    """An event loop on a daemon thread: where ASGI apps mounted under WSGI run."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="responder-mount", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def run(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run a coroutine on the loop and wait for its result."""

        async def call() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()


class WSGIMounts:
    """The mounted applications of one API, as its WSGI adapter calls them."""

    def __init__(self, table: MountTable) -> None:
        self._table = table
        self._apps: dict[Mount, WSGIApp] = {}
        self._lock = threading.Lock()
        self._loop: _LoopThread | None = None
        self._stack = contextlib.ExitStack()

    def __call__(
        self,
        mount: Mount,
        environ: dict[str, Any],
        start_response: StartResponse,
        root_path: str,
        path: str,
    ) -> Iterable[bytes]:
        """Serve one request with `mount`'s application, its prefix moved to SCRIPT_NAME."""
        child = dict(environ)
        child["SCRIPT_NAME"] = _wsgi_str(root_path + mount.prefix)
        child["PATH_INFO"] = _wsgi_str(mount.sub_path(path))
        return self._app(mount)(child, start_response)

    def _app(self, mount: Mount) -> WSGIApp:
        app = self._apps.get(mount)
        if app is None:
            with self._lock:
                app = self._apps.get(mount)
                if app is None:
                    app = self._apps[mount] = self._build(mount)
        return app

    def _build(self, mount: Mount) -> WSGIApp:
        if interface_of(mount) != "asgi":
            return WSGIGuard(mount.app)
        return WSGIGuard(_as_wsgi(ASGIGuard(mount.app), self._loop_thread().loop))

    def _loop_thread(self) -> _LoopThread:
        if self._loop is None:
            self._loop = _LoopThread()
        return self._loop

    def start(self) -> None:
        """Start the mounted apps' lifespans: APIs their WSGI way, ASGI apps on the loop thread.

        Raises:
            Exception: whatever a mounted app's startup raised, once the
                ones already started are stopped again.
        """
        with self._lock:
            try:
                for mount in self._table:
                    kind = interface_of(mount)
                    if kind == "dual":
                        self._stack.enter_context(mount.app.wsgi_lifespan())
                    elif kind == "asgi":
                        self._start_asgi(mount)
            except BaseException:
                self._stop()
                raise

    def _start_asgi(self, mount: Mount) -> None:
        loop = self._loop_thread()
        session = LifespanSession(mount.app)
        if loop.run(session.start):
            self._stack.callback(loop.run, session.stop)
            guard = ASGIGuard(mount.app)
            guard.state = session.state
            self._apps[mount] = WSGIGuard(_as_wsgi(guard, loop.loop))

    def stop(self) -> None:
        """Stop what `start` started, newest first, then the loop thread."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        stack, self._stack = self._stack, contextlib.ExitStack()
        try:
            stack.close()
        finally:
            loop, self._loop = self._loop, None
            if loop is not None:
                self._apps.clear()  # they hold the loop that is about to stop
                loop.close()


class ASGIMounts:
    """The mounted applications of one API, as its ASGI adapter calls them."""

    def __init__(self, table: MountTable) -> None:
        self._table = table
        self._apps: dict[Mount, ASGIGuard] = {}
        self._sessions: list[LifespanSession] = []

    async def __call__(
        self,
        mount: Mount,
        scope: MutableMapping[str, Any],
        receive: Receive,
        send: Send,
        root_path: str,
        path: str,
    ) -> None:
        """Serve one request (or WebSocket) with `mount`'s application, prefix in root_path."""
        child = dict(scope)
        child["root_path"] = root_path + mount.prefix
        child["path"] = root_path + path
        await self._app(mount)(child, receive, send)

    def _app(self, mount: Mount) -> ASGIGuard:
        app = self._apps.get(mount)
        if app is None:
            if interface_of(mount) == "wsgi":
                app = ASGIGuard(_as_asgi(WSGIGuard(mount.app)))
            else:  # an ASGI app, or a responder API called as one
                app = ASGIGuard(mount.app)
            self._apps[mount] = app
        return app

    async def startup(self) -> None:
        """Start each mounted ASGI app (and API) that speaks lifespan.

        Raises:
            RuntimeError: when one reports a failed startup; those already
                started are stopped first.
        """
        for mount in self._table:
            if interface_of(mount) == "wsgi":
                continue
            session = LifespanSession(mount.app)
            try:
                supported = await session.start()
            except BaseException:
                await self.shutdown()
                raise
            if supported:
                self._sessions.append(session)
                self._app(mount).state = session.state

    async def shutdown(self) -> None:
        """Stop the mounted apps started by `startup`, newest first."""
        while self._sessions:
            await self._sessions.pop().stop()
        for app in self._apps.values():
            app.state = None
