"""Server-Sent Events over real sockets: gunicorn's gthread worker (WSGI) and uvicorn (ASGI).

The in-process tests prove framing, heartbeats and closing through the
adapters; these prove what only a real server can: each event reaches the
client when it is yielded, not when the generator ends (nothing on the way
collects the stream), and a client that hangs up ends the generator, which
`examples.sse` reports through `/listeners`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # conftest is pytest's to import; tests/ is not a package
    from .conftest import RunningServer

pytestmark = pytest.mark.servers

APP = "examples.sse:api"
SERVERS = {
    "uvicorn": ("uvicorn", ()),
    "gunicorn-gthread": ("gunicorn", ("-k", "gthread", "--threads", "4")),
}
GAP = 2.0  # seconds the generator sleeps between its first and second event


@pytest.fixture(scope="module", params=list(SERVERS))
def sse_server(
    request: pytest.FixtureRequest, start_server: Callable[..., RunningServer]
) -> RunningServer:
    server, extra = SERVERS[request.param]
    return start_server(server, APP, *extra)


@pytest.fixture
def http(sse_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sse_server.base_url, timeout=10.0) as client:
        yield client


def timed_blocks(response: httpx.Response) -> Iterator[tuple[float, str]]:
    """Yield each event-stream block (event or comment) with the time it arrived."""
    buffer = ""
    for chunk in response.iter_text():
        buffer += chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield time.monotonic(), block


def fields(block: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in block.split("\n"))


@pytest.mark.parametrize("path", ["/ticks", "/ticks-sync"])
def test_each_event_arrives_when_it_is_yielded(http: httpx.Client, path: str) -> None:
    started = time.monotonic()
    arrivals = []
    with http.stream("GET", path, params={"count": 2, "every": GAP}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        assert "content-length" not in response.headers
        for arrived, block in timed_blocks(response):
            arrivals.append((arrived - started, fields(block)))
    assert [event["id"] for _, event in arrivals] == ["0", "1"]
    assert json.loads(arrivals[0][1]["data"])["n"] == 0
    first, second = arrivals[0][0], arrivals[1][0]
    assert first < GAP / 2, f"the first event took {first:.2f}s: buffered until the end?"
    assert second >= GAP * 0.9


def test_heartbeats_while_the_generator_is_idle(http: httpx.Client) -> None:
    params = {"count": 2, "every": 1.0, "heartbeat": 0.2}
    with http.stream("GET", "/ticks", params=params) as response:
        blocks = [block for _, block in timed_blocks(response)]
    assert blocks[0].startswith("event: tick\nid: 0\n")
    assert blocks[-1].startswith("event: tick\nid: 1\n")
    assert set(blocks[1:-1]) == {": keepalive"}
    assert len(blocks[1:-1]) >= 3


def _listeners(http: httpx.Client) -> dict[str, int]:
    counts: dict[str, int] = http.get("/listeners").json()
    return counts


@pytest.mark.parametrize(
    ("path", "params"),
    [
        # Idle for long stretches: only the heartbeat's writes reveal a gone client
        # to a WSGI server, while uvicorn reports the disconnect itself.
        ("/ticks", {"count": 1000, "every": 30, "heartbeat": 0.2}),
        # A sync generator with no heartbeat: its own events are the writes.
        ("/ticks-sync", {"count": 1000, "every": 0.1}),
    ],
)
def test_hanging_up_ends_the_generator(
    http: httpx.Client, path: str, params: dict[str, float]
) -> None:
    before = _listeners(http)["ended"]
    with (
        httpx.Client(base_url=str(http.base_url), timeout=10.0) as listener,
        listener.stream("GET", path, params=params) as response,
    ):
        blocks = timed_blocks(response)  # kept: dropping it would close the connection
        _, block = next(blocks)
        assert fields(block)["id"] == "0"
        assert _listeners(http)["open"] == 1
    hung_up = time.monotonic()
    while (counts := _listeners(http))["ended"] == before and time.monotonic() - hung_up < 5:
        time.sleep(0.05)
    assert counts == {"open": 0, "ended": before + 1}
    assert time.monotonic() - hung_up < 5


def test_resuming_from_the_last_event_id(http: httpx.Client) -> None:
    with http.stream("GET", "/feed", headers={"Last-Event-ID": "8"}) as response:
        blocks = [block for _, block in timed_blocks(response)]
    assert blocks == ["retry: 2000", "id: 9\ndata: headline 9", "id: 10\ndata: headline 10"]
