"""An event loop per WSGI worker thread, for async code reached through WSGI.

Under WSGI there is no loop. An async handler, hook or body stream needs one;
creating a loop per request would cost more than many handlers, so each
worker thread keeps one for as long as it lives. Sync routes never call this
module, so they never touch a loop.

A loop holds file descriptors (its selector and its self-pipe), and some
servers start a thread per request, so a loop must end with its thread: it
hangs on a per-thread holder, and closing it is that holder's finalizer,
which runs when the thread's locals are dropped, or at exit for threads still
alive then.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable
from typing import TypeVar

from responder.background import register_intermittent_loop

__all__ = ["run_on_thread_loop", "thread_loop"]

T = TypeVar("T")

_local = threading.local()


class _Holder:
    """Keeps one thread's loop; when the thread ends and drops it, the loop is closed."""

    __slots__ = ("__weakref__", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        weakref.finalize(self, _close, loop)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_running() and not loop.is_closed():
        loop.close()


def thread_loop() -> asyncio.AbstractEventLoop:
    """Return this thread's loop, creating it on first use."""
    holder: _Holder | None = getattr(_local, "holder", None)
    if holder is None or holder.loop.is_closed():
        loop = asyncio.new_event_loop()
        # It runs only while a request needs it: api.background must not leave tasks here.
        register_intermittent_loop(loop)
        holder = _local.holder = _Holder(loop)
    return holder.loop


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
