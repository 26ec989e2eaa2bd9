"""Heartbeats: noticing that a producer has gone quiet, without buffering it.

An event stream behind a proxy dies if nothing crosses the connection for a
while, so when the producer has had nothing to say for `interval` seconds the
consumer gets a `BEAT` to send instead. Two wrappers give the same promise to
the two kinds of producer:

- `AsyncHeartbeat` races the producer's next step (a task) against a timer.
  A timeout never cancels that step: it keeps running, and the next call
  waits on the same task, so the producer sees no interruption at all.
- `ThreadedHeartbeat` runs a sync producer on a helper thread, because a
  blocked `next()` cannot be timed out from the thread that called it. It
  hands items over through a one-item slot, so the thread is never more than
  one item ahead of whoever reads the stream. It works unchanged on a WSGI
  server thread and on the worker thread an ASGI adapter iterates it from.

Neither keeps a queue: each holds at most one finished item, so a client that
stops reading stops the producer (the adapter's `send` or socket write blocks,
so the next item is never asked for).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final, Generic, TypeVar

__all__ = ["BEAT", "AsyncHeartbeat", "Beat", "ThreadedHeartbeat", "check_interval"]

log = logging.getLogger("responder.heartbeat")

T = TypeVar("T")


class Beat:
    """The type of `BEAT`, what a heartbeat wrapper yields while its producer is idle."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BEAT"


BEAT: Final = Beat()


class _Marker:
    """A private sentinel: the slot is empty, or the producer has ended."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_EMPTY: Final = _Marker("EMPTY")
_END: Final = _Marker("END")


class _Failure:
    """An exception raised by the producer, carried to the consumer to re-raise."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def check_interval(interval: float | None) -> float | None:
    """Return a valid heartbeat interval in seconds, or None for no heartbeat.

    Raises:
        ValueError: for zero, negative or non-numeric intervals, which would
            either spin or never beat.
    """
    if interval is None:
        return None
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not interval > 0:
        raise ValueError(f"heartbeat must be a positive number of seconds, not {interval!r}")
    return float(interval)


async def _next_or_end(source: AsyncIterator[Any]) -> Any:
    # A task cannot carry StopAsyncIteration as a plain result; a marker can.
    try:
        return await anext(source)
    except StopAsyncIteration:
        return _END


class AsyncHeartbeat(Generic[T]):
    """Yield what `source` yields, or `BEAT` after `interval` idle seconds.

    Args:
        source: The producer, usually an async generator.
        interval: Seconds of silence before a `BEAT`.
    """

    def __init__(self, source: AsyncIterator[T], interval: float) -> None:
        self._source = source
        self._interval = interval
        self._step: asyncio.Task[Any] | None = None
        self._finished = False

    def __aiter__(self) -> AsyncHeartbeat[T]:
        return self

    async def __anext__(self) -> T | Beat:
        if self._finished:
            raise StopAsyncIteration
        step = self._step
        if step is None:
            step = self._step = asyncio.get_running_loop().create_task(_next_or_end(self._source))
        done, _ = await asyncio.wait({step}, timeout=self._interval)
        if not done:
            return BEAT  # the step runs on; the next call waits for the same one
        self._step = None
        try:
            item = step.result()
        except BaseException:
            self._finished = True
            raise
        if item is _END:
            self._finished = True
            raise StopAsyncIteration
        return item  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Stop the producer: cancel a step in flight, then close the source.

        The step has to end before the source can be closed (an async
        generator refuses `aclose()` while it runs); cancelling it delivers
        `CancelledError` at the producer's `await`, so its `finally` runs now
        rather than whenever that await would have finished.
        """
        self._finished = True
        step, self._step = self._step, None
        if step is not None:
            step.cancel()
            await asyncio.wait({step})
            if not step.cancelled():
                step.exception()  # retrieved, so asyncio does not report it as lost
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()


class ThreadedHeartbeat(Generic[T]):
    """Yield what a sync `source` yields, or `BEAT` after `interval` idle seconds.

    The source runs on a daemon helper thread started by the first `next()`,
    so a stream that is never sent never starts one. Closing is safe from
    any thread and never waits for the producer: a producer blocked inside
    its own step finds the stream closed when that step returns, and closes
    the source there, on its own thread.

    Args:
        source: The producer, usually a generator.
        interval: Seconds of silence before a `BEAT`.
    """

    def __init__(self, source: Iterator[T], interval: float) -> None:
        self._source = source
        self._interval = interval
        self._ready = threading.Condition()
        self._slot: Any = _EMPTY
        self._closed = False
        self._thread: threading.Thread | None = None

    def __iter__(self) -> ThreadedHeartbeat[T]:
        return self

    def __next__(self) -> T | Beat:
        with self._ready:
            if self._thread is None and not self._closed:
                # The producer sees the context variables its reader would have.
                context = contextvars.copy_context()
                self._thread = threading.Thread(
                    target=context.run, args=(self._produce,), name="responder-heartbeat"
                )
                self._thread.daemon = True
                self._thread.start()
            if not self._ready.wait_for(self._has_item, timeout=self._interval):
                return BEAT
            if self._closed or self._slot is _END:
                raise StopIteration
            item, self._slot = self._slot, _EMPTY
            self._closed = isinstance(item, _Failure)  # the producer has already stopped
            self._ready.notify_all()
        if isinstance(item, _Failure):
            raise item.error
        return item  # type: ignore[no-any-return]

    def _has_item(self) -> bool:
        return self._closed or self._slot is not _EMPTY

    def close(self) -> None:
        """Stop the producer after its current step; close the source now if none started."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
            started = self._thread is not None
        if not started:
            self._close_source()

    # -- the helper thread ----------------------------------------------------

    def _offer(self, item: Any) -> bool:
        """Put `item` in the slot once it is free; False when the stream was closed."""
        with self._ready:
            self._ready.wait_for(lambda: self._slot is _EMPTY or self._closed)
            if self._closed:
                return False
            self._slot = item
            self._ready.notify_all()
            return True

    def _produce(self) -> None:
        try:
            for item in self._source:
                if not self._offer(item):
                    return
            self._offer(_END)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the consumer
            self._offer(_Failure(exc))
        finally:
            self._close_source()

    def _close_source(self) -> None:
        close = getattr(self._source, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception:  # a thread has nobody to raise to
            log.exception("Closing the event source %r failed", self._source)
