"""Server-Sent Events under any server: ticking streams, a resumable feed, a listener count.

Serve it with `uvicorn examples.sse:api`, or under WSGI with
`gunicorn -k gthread --threads 8 examples.sse:api` (each open stream holds
one thread there), then `curl -N localhost:8000/ticks?every=0.5`.

- `/ticks` streams from an async generator, `/ticks-sync` from a plain one;
  both take `count`, `every` (seconds between events) and `heartbeat`.
- `/feed` is resumable: reconnect with `Last-Event-ID` to get only what is new.
- `/listeners` tells how many streams are open, and how many have ended;
  the count drops when a client disconnects, since the generators' `finally`
  runs then.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import responder

api = responder.API()

FEED = [f"headline {n}" for n in range(1, 11)]
_listeners = {"open": 0, "ended": 0}
_lock = threading.Lock()


@contextmanager
def _listening() -> Iterator[None]:
    with _lock:
        _listeners["open"] += 1
    try:
        yield
    finally:
        with _lock:
            _listeners["open"] -= 1
            _listeners["ended"] += 1


def _options(req: responder.Request) -> tuple[int, float, float | None]:
    heartbeat = req.params.get("heartbeat")
    return (
        int(req.params.get("count", "10")),
        float(req.params.get("every", "1")),
        float(heartbeat) if heartbeat else None,
    )


def _tick(n: int) -> dict[str, Any]:
    return {"event": "tick", "id": str(n), "data": {"n": n, "at": time.time()}}


@api.route("/")
def index(req: responder.Request, resp: responder.Response) -> None:
    resp.text = "SSE example: /ticks, /ticks-sync, /feed, /listeners"


@api.route("/ticks")
async def ticks(req: responder.Request, resp: responder.Response) -> None:
    count, every, heartbeat = _options(req)

    @resp.sse(heartbeat=heartbeat)
    async def stream() -> AsyncIterator[dict[str, Any]]:
        with _listening():
            for n in range(count):
                if n:
                    await asyncio.sleep(every)
                yield _tick(n)


@api.route("/ticks-sync")
def ticks_sync(req: responder.Request, resp: responder.Response) -> None:
    count, every, heartbeat = _options(req)

    @resp.sse(heartbeat=heartbeat)
    def stream() -> Iterator[dict[str, Any]]:
        with _listening():
            for n in range(count):
                if n:
                    time.sleep(every)
                yield _tick(n)


@api.route("/feed")
async def feed(req: responder.Request, resp: responder.Response) -> None:
    last = req.last_event_id
    resume_from = int(last) if last and last.isdigit() else 0

    @resp.sse(heartbeat=15)
    async def stream() -> AsyncIterator[dict[str, Any]]:
        yield {"retry": 2000}  # also sends the headers at once, even under WSGI
        for number in range(resume_from + 1, len(FEED) + 1):
            yield {"data": FEED[number - 1], "id": str(number)}


@api.route("/listeners")
def listeners(req: responder.Request, resp: responder.Response) -> None:
    with _lock:
        resp.media = dict(_listeners)
