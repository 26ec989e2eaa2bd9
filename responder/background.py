"""Fire-and-forget work: `api.background(fn, *args, **kwargs)` from anywhere.

`resp.background` belongs to one response and runs after it is sent, inside
the request's lifecycle. `api.background` is for work that belongs to no
response (a hook, a startup handler, a helper deep in a call stack), so it is
scheduled at once, wherever the caller happens to be:

- on a thread whose event loop runs for good (the ASGI server's loop), a
  coroutine function becomes a task on that loop and a sync function runs in
  the loop's default executor;
- anywhere else (a WSGI worker, a sync handler's worker thread, a script),
  both run on a small thread pool owned by the API, coroutine functions
  through `asyncio.run` there.

An event loop that only runs while it serves one call (the per-thread loop
of async routes under WSGI) would freeze a task between requests; whoever
owns such a loop calls `register_intermittent_loop`, and work started on it
goes to the pool instead. The core knows this only as a property of a loop,
never as a protocol.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import threading
import weakref
from collections.abc import Callable, Generator
from functools import partial
from typing import Any, TypeVar

__all__ = ["BackgroundFuture", "BackgroundRunner", "register_intermittent_loop"]

log = logging.getLogger("responder.background")
T = TypeVar("T")

_INTERMITTENT: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def register_intermittent_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Say that `loop` stops between the calls it serves, so tasks must not live on it."""
    _INTERMITTENT.add(loop)


class BackgroundFuture(concurrent.futures.Future[T]):
    """The outcome of one background call: wait with `result()`, or `await` it.

    A `concurrent.futures.Future`, so a thread can block on it, that can also
    be awaited from any event loop. A failure is logged when it happens and
    also kept here, for whoever waits.
    """

    def __await__(self) -> Generator[Any, None, T]:
        return asyncio.wrap_future(self).__await__()


def _durable_loop() -> asyncio.AbstractEventLoop | None:
    """The running loop of this thread, if tasks left on it will be run."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return None if loop in _INTERMITTENT else loop


class BackgroundRunner:
    """Runs one API's fire-and-forget calls and keeps them alive until done.

    Args:
        max_workers: Threads in the pool used away from a running loop.
    """

    def __init__(self, max_workers: int = 4) -> None:
        self.max_workers = max_workers
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        # The loop keeps only weak references to tasks; these keep them running.
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> BackgroundFuture[Any]:
        """Start `func(*args, **kwargs)` now and return its future."""
        if not callable(func):
            raise TypeError(f"background() needs a callable, got {func!r}")
        future: BackgroundFuture[Any] = BackgroundFuture()
        loop = _durable_loop()
        if loop is not None:
            task = loop.create_task(self._on_loop(loop, future, func, args, kwargs))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            self._executor().submit(self._in_pool, future, func, args, kwargs)
        return future

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    self.max_workers, thread_name_prefix="responder-background"
                )
            return self._pool

    @staticmethod
    def _in_pool(
        future: BackgroundFuture[Any],
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        if not future.set_running_or_notify_cancel():
            return  # cancelled while it waited for a thread
        try:
            value = func(*args, **kwargs)
            if inspect.isawaitable(value):  # a coroutine function, or a sync one returning one
                value = asyncio.run(_awaited(value))
        except Exception as exc:
            log.exception("Background task %r failed", func)
            future.set_exception(exc)
        else:
            future.set_result(value)

    @staticmethod
    async def _on_loop(
        loop: asyncio.AbstractEventLoop,
        future: BackgroundFuture[Any],
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            if inspect.iscoroutinefunction(func):
                value = await func(*args, **kwargs)
            else:
                value = await loop.run_in_executor(None, partial(func, *args, **kwargs))
                if inspect.isawaitable(value):
                    value = await value
        except asyncio.CancelledError:  # the loop is shutting down
            future.set_exception(concurrent.futures.CancelledError())
            raise
        except Exception as exc:
            log.exception("Background task %r failed", func)
            future.set_exception(exc)
        else:
            future.set_result(value)

    def shutdown(self) -> None:
        """Let the pool finish what it has and take no more; a later call starts a new pool."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
