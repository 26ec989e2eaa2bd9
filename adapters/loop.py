"""An event loop per WSGI worker thread, for async code reached through WSGI.

Under WSGI there is no loop. An async handler, hook or body stream needs one;
creating a loop per request would cost more than many handlers, so each
worker thread keeps one for as long as it lives. Sync routes never call this
module, so they never touch a loop.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Awaitable
from typing import TypeVar

from responder.background import register_intermittent_loop

__all__ = ["run_on_thread_loop", "thread_loop"]

T = TypeVar("T")

_local = threading.local()
_loops: list[asyncio.AbstractEventLoop] = []
_loops_lock = threading.Lock()


def thread_loop() -> asyncio.AbstractEventLoop:
    """Return this thread's loop, creating it on first use."""
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        # It runs only while a request needs it: api.background must not leave tasks here.
        register_intermittent_loop(loop)
        _local.loop = loop
        with _loops_lock:
            _loops.append(loop)
    return loop


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def run_on_thread_loop(awaitable: Awaitable[T]) -> T:
    """Run `awaitable` to completion on this thread's loop.

    Raises:
        RuntimeError: when called from inside a running event loop, where
            blocking on another loop would deadlock; the message says so.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "A WSGI request reached async code from a thread that is already running an "
            "event loop; serve the API as ASGI there, or call it from a plain thread."
        )
    return thread_loop().run_until_complete(_await(awaitable))


@atexit.register
def _close_loops() -> None:
    with _loops_lock:
        loops, _loops[:] = list(_loops), []
    for loop in loops:
        if not loop.is_running() and not loop.is_closed():
            loop.close()
