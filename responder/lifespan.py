"""Application startup and shutdown, independent of who triggers them.

ASGI servers trigger them with lifespan messages; under WSGI the adapter runs
startup before the first request and shutdown at worker exit. Either way this
class runs the same steps: enter `lifespan=`, then `on_event("startup")`
handlers; on shutdown, `on_event("shutdown")` handlers, then exit the
context manager. Shutdown errors are logged and never stop the exit.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

__all__ = ["Lifespan"]

log = logging.getLogger("responder.lifespan")

LifespanFactory = Callable[[Any], AbstractAsyncContextManager[Any]]


async def _call(handler: Callable[[], Any]) -> None:
    result = handler()
    if inspect.isawaitable(result):
        await result


class Lifespan:
    """Startup and shutdown steps of one application.

    Args:
        app: What `lifespan` is called with (the `API`).
        factory: An async context manager factory, `lifespan(app)`.
    """

    def __init__(self, app: Any, factory: LifespanFactory | None = None) -> None:
        self.app = app
        self.factory = factory
        self.on_startup: list[Callable[[], Any]] = []
        self.on_shutdown: list[Callable[[], Any]] = []
        #: Framework clean-ups (app-scoped dependencies), after shutdown handlers.
        self.closers: list[Callable[[], Any]] = []
        self._context: AbstractAsyncContextManager[Any] | None = None
        self.started = False

    def add(self, event: str, handler: Callable[[], Any]) -> None:
        """Register a handler for "startup" or "shutdown".

        Raises:
            ValueError: for any other event name.
        """
        if event == "startup":
            self.on_startup.append(handler)
        elif event == "shutdown":
            self.on_shutdown.append(handler)
        else:
            raise ValueError(f"Unknown lifespan event {event!r}; use 'startup' or 'shutdown'")

    async def startup(self) -> None:
        """Run startup; an exception means the application must not serve."""
        if self.factory is not None:
            context = self.factory(self.app)
            await context.__aenter__()
            self._context = context
        for handler in self.on_startup:
            await _call(handler)
        self.started = True

    async def shutdown(self) -> None:
        """Run shutdown, logging (not raising) what fails so the process can exit."""
        for handler in self.on_shutdown:
            try:
                await _call(handler)
            except Exception:
                log.exception("Shutdown handler %r failed", handler)
        for closer in self.closers:
            try:
                await _call(closer)
            except Exception:
                log.exception("Closing %r failed", closer)
        context, self._context = self._context, None
        if context is not None:
            try:
                await context.__aexit__(None, None, None)
            except Exception:
                log.exception("Lifespan shutdown failed")
        self.started = False
