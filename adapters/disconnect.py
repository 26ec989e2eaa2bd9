"""ASGI: ending a streamed response as soon as its client has gone.

A streamed body, an event stream above all, can sit idle for minutes, so
waiting for a `send` to fail is too slow a signal, and some servers never
fail it: uvicorn drops messages for a closed connection without a word. The
protocol's own signal is `http.disconnect` from `receive`. So while a stream
is sent, a second task waits on `receive`; when the client leaves, the
sending task is cancelled where it waits, which closes the stream and runs
the generator's `finally`. A `send` that raises `OSError` (the ASGI 2.4 way
of saying the peer is gone) counts as the same disconnect, not an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar

__all__ = ["next_in_thread", "send_streamed"]

log = logging.getLogger("responder.asgi")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
T = TypeVar("T")


class _ClientGone(Exception):
    """`send` failed: the connection is closed."""


async def _until_disconnect(receive: Receive) -> None:
    # Body messages still arriving are nobody's now: the handler is done.
    while (await receive())["type"] != "http.disconnect":
        pass


async def send_streamed(
    send_body: Callable[[Send], Awaitable[None]], send: Send, receive: Receive | None
) -> None:
    """Run `send_body(send)`, stopping it early if the client disconnects.

    Args:
        send_body: Sends the response body with the `send` it is given.
        send: The server's `send`.
        receive: The server's `receive`, watched for `http.disconnect`; None
            when something may still read the request body from it, and only
            a failing `send` can end the stream early.

    Raises:
        Exception: whatever the body's source raised; a departed client is
            not an error and raises nothing.
    """

    async def guarded(message: Message) -> None:
        try:
            await send(message)
        except OSError as exc:
            raise _ClientGone() from exc

    sender = asyncio.ensure_future(send_body(guarded))
    watcher = asyncio.ensure_future(_until_disconnect(receive)) if receive else None
    tasks = {sender} if watcher is None else {sender, watcher}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:  # also when this task is cancelled: neither may outlive it
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
    if watcher is not None and not watcher.cancelled() and watcher.exception() is not None:
        log.debug("Watching for a disconnect failed", exc_info=watcher.exception())
    if sender.cancelled():
        log.debug("The client disconnected during a streamed response")
        return
    error = sender.exception()
    if isinstance(error, _ClientGone):
        log.debug("The client disconnected during a streamed response")
    elif error is not None:
        raise error


async def next_in_thread(step: Callable[[], T]) -> T:
    """Run one blocking `step` on a worker thread; if cancelled, let it finish first.

    A thread cannot be interrupted, and an iterator whose step is still
    running cannot be closed ("generator already executing"), so a
    cancellation is passed on only once the step has returned.
    """
    future = asyncio.ensure_future(asyncio.to_thread(step))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait({future})
        if not future.cancelled():
            future.exception()  # retrieved: its outcome no longer matters
        raise
