"""Server-Sent Events: framing, heartbeats, disconnects and pacing, in both modes.

Streams are read back with `parse_stream`, which follows the HTML standard's
event-stream parsing, so "no value can inject a field or an event" is
checked the way a browser would see it, not by comparing bytes.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import responder
from responder.adapters.testing import TestClient

#: Seconds within which a closed stream's generator must have ended: well under
#: the 1 s the ASGI test client grants an app before cancelling it, so only the
#: adapter's own disconnect handling can pass.
PROMPTLY = 0.5


@dataclass
class Stream:
    """What an EventSource would make of a response body."""

    events: list[dict[str, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    retry: int | None = None


def parse_stream(text: str) -> Stream:
    """Parse an event stream as the HTML standard's EventSource does."""
    parsed = Stream()
    data = event_type = last_id = ""
    lines = re.split(r"\r\n|\r|\n", text)[:-1]  # the last piece is an unfinished line
    for line in lines:
        if not line:
            if data:
                parsed.events.append(
                    {"event": event_type or "message", "data": data[:-1], "id": last_id}
                )
            data = event_type = ""
            continue
        if line.startswith(":"):
            parsed.comments.append(line[1:].removeprefix(" "))
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            parsed.retry = int(value)
    return parsed


def first_event(chunks: Iterator[bytes]) -> str:
    """Read a streamed body up to the end of its first event (or comment)."""
    received = b""
    for chunk in chunks:
        received += chunk
        if b"\n\n" in received:
            break
    return received.decode("utf-8")


class Ended:
    """Set by a generator's `finally`, remembering when."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.at = 0.0

    def set(self) -> None:
        self.at = time.monotonic()
        self._event.set()

    def promptly_after(self, since: float) -> bool:
        """Tell whether it was set, and no later than `PROMPTLY` seconds after `since`."""
        return self._event.wait(5.0) and self.at - since < PROMPTLY


# -- headers and framing ----------------------------------------------------------


def test_headers_and_simple_events(api: responder.API, client: TestClient) -> None:
    @api.route("/events")
    async def events(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse
        async def stream() -> AsyncIterator[Any]:
            for i in range(3):
                yield {"data": f"message {i}"}

    response = client.get("/events")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert "content-length" not in response.headers
    assert response.text == "data: message 0\n\ndata: message 1\n\ndata: message 2\n\n"


def test_sync_generator_in_a_sync_handler(api: responder.API, client: TestClient) -> None:
    @api.route("/events")
    def events(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse
        def stream() -> Iterator[Any]:
            yield "simple string message"
            yield {"event": "update", "data": {"progress": 42}, "id": "1"}
            yield {"comment": "keepalive"}

    parsed = parse_stream(client.get("/events").text)
    assert parsed.events == [
        {"event": "message", "data": "simple string message", "id": ""},
        {"event": "update", "data": '{"progress":42}', "id": "1"},
    ]
    assert parsed.comments == ["keepalive"]


def test_mixed_kinds_of_handler_and_generator(api: responder.API, client: TestClient) -> None:
    """An async generator from a sync handler, and the reverse, plus a plain iterable."""

    @api.route("/sync-handler")
    def sync_handler(req, resp):  # type: ignore[no-untyped-def]
        async def stream() -> AsyncIterator[str]:
            yield "from async"

        resp.sse(stream)

    @api.route("/async-handler")
    async def async_handler(req, resp):  # type: ignore[no-untyped-def]
        resp.sse(iter(["from", "sync"]))

    assert client.get("/sync-handler").text == "data: from async\n\n"
    assert client.get("/async-handler").text == "data: from\n\ndata: sync\n\n"


def test_data_is_json_encoded_with_the_apis_codec(mode: str) -> None:
    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

    def encode(value: Any) -> Any:
        if isinstance(value, Money):
            return f"{value.cents / 100:.2f}"
        raise TypeError(type(value).__name__)

    api = responder.API(json_ensure_ascii=True, encoder=encode)

    @api.route("/prices")
    async def prices(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse
        async def stream() -> AsyncIterator[Any]:
            yield {"data": {"item": "café", "price": Money(250)}}
            yield {"data": [1, 2, 3]}
            yield {"data": 7, "event": "count"}

    with api.test_client(mode=mode) as client:
        text = client.get("/prices").text
    assert text == (
        'data: {"item":"caf\\u00e9","price":"2.50"}\n\ndata: [1,2,3]\n\nevent: count\ndata: 7\n\n'
    )


def test_multi_line_data_becomes_several_data_lines(api: responder.API, client: TestClient) -> None:
    texts = ["one\ntwo", "crlf\r\nline", "cr\rline", "trailing\n", " leading space", ""]

    @api.route("/lines")
    def lines(req, resp):  # type: ignore[no-untyped-def]
        resp.sse(iter(texts))

    text = client.get("/lines").text
    assert text.startswith("data: one\ndata: two\n\ndata: crlf\ndata: line\n\n")
    # Line ends are normalised to LF; everything else arrives exactly.
    expected = [t.replace("\r\n", "\n").replace("\r", "\n") for t in texts]
    assert [event["data"] for event in parse_stream(text).events] == expected


HOSTILE = "x\r\n\r\ndata: injected\r\nevent: evil\nid: 666\rretry: 1\n\n"


def test_line_breaks_never_inject_fields_or_events(api: responder.API, client: TestClient) -> None:
    @api.route("/hostile")
    async def hostile(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse
        async def stream() -> AsyncIterator[Any]:
            yield {"event": HOSTILE, "id": HOSTILE, "comment": HOSTILE, "data": HOSTILE}
            yield {"data": "after"}

    parsed = parse_stream(client.get("/hostile").text)
    one_line = HOSTILE.replace("\r", "").replace("\n", "")
    assert parsed.events == [
        {
            "event": one_line,
            "data": HOSTILE.replace("\r\n", "\n").replace("\r", "\n"),
            "id": one_line,
        },
        {"event": "message", "data": "after", "id": one_line},
    ]
    assert parsed.retry is None
    # The comment's lines stay comments, each one on its own.
    assert parsed.comments == re.split(r"\r\n|\r|\n", HOSTILE)


def test_id_with_nul_is_left_out_and_retry_is_sent(api: responder.API, client: TestClient) -> None:
    @api.route("/ids")
    def ids(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse
        def stream() -> Iterator[Any]:
            yield {"data": "a", "id": 7, "retry": 2500}
            yield {"data": "b", "id": "bad\0id"}
            yield {"id": "silent"}  # no data: moves the id, dispatches nothing
            yield {"data": "c"}
            yield {}  # nothing at all

    text = client.get("/ids").text
    assert "\0" not in text
    parsed = parse_stream(text)
    assert parsed.retry == 2500
    assert [(e["data"], e["id"]) for e in parsed.events] == [
        ("a", "7"),
        ("b", "7"),
        ("c", "silent"),
    ]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"retry": "3000"}, TypeError),
        ({"retry": 1.5}, TypeError),
        ({"retry": True}, TypeError),
        ({"retry": -1}, ValueError),
        ({"data": "x", "evnet": "typo"}, ValueError),
        (42, TypeError),
    ],
)
def test_invalid_values_fail_the_stream(mode: str, value: Any, error: type[Exception]) -> None:
    api = responder.API()

    @api.route("/bad")
    def bad(req, resp):  # type: ignore[no-untyped-def]
        resp.sse(iter([value]))

    with api.test_client(mode=mode) as client, pytest.raises(error):
        client.get("/bad")


def test_heartbeat_must_be_positive(api: responder.API, client: TestClient) -> None:
    @api.route("/zero")
    def zero(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse(heartbeat=0)
        def stream() -> Iterator[str]:
            yield "never"

    with pytest.raises(ValueError, match="heartbeat"):
        client.get("/zero")


def test_head_sends_headers_and_never_runs_the_generator(
    api: responder.API, client: TestClient
) -> None:
    ran: list[str] = []

    @api.route("/events")
    async def events(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse
        async def stream() -> AsyncIterator[str]:
            ran.append("started")
            yield "x"

    response = client.head("/events")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert ran == []


# -- heartbeats -------------------------------------------------------------------


def test_async_heartbeat_fills_idle_time_without_cancelling(
    api: responder.API, client: TestClient
) -> None:
    cancelled: list[bool] = []

    @api.route("/slow")
    async def slow(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse(heartbeat=0.05)
        async def stream() -> AsyncIterator[str]:
            yield "first"
            try:
                await asyncio.sleep(0.4)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise
            yield "second"

    parsed = parse_stream(client.get("/slow").text)
    assert [e["data"] for e in parsed.events] == ["first", "second"]
    assert len(parsed.comments) >= 3
    assert set(parsed.comments) == {"keepalive"}
    assert cancelled == []


def test_sync_heartbeat_fills_idle_time(api: responder.API, client: TestClient) -> None:
    @api.route("/slow")
    def slow(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse(heartbeat=0.05)
        def stream() -> Iterator[str]:
            yield "first"
            time.sleep(0.4)
            yield "second"

    text = client.get("/slow").text
    assert text.startswith("data: first\n\n: keepalive\n\n")
    parsed = parse_stream(text)
    assert [e["data"] for e in parsed.events] == ["first", "second"]
    assert len(parsed.comments) >= 3


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_no_heartbeat_while_events_flow(api: responder.API, client: TestClient, kind: str) -> None:
    @api.route("/busy")
    def busy(req, resp):  # type: ignore[no-untyped-def]
        if kind == "sync":
            resp.sse((str(i) for i in range(50)), heartbeat=5)
        else:

            async def numbers() -> AsyncIterator[str]:
                for i in range(50):
                    yield str(i)

            resp.sse(numbers, heartbeat=5)

    parsed = parse_stream(client.get("/busy").text)
    assert len(parsed.events) == 50
    assert parsed.comments == []


# -- disconnects ------------------------------------------------------------------


@pytest.mark.parametrize("heartbeat", [None, 0.05])
def test_async_generator_is_closed_when_the_client_leaves(
    api: responder.API, client: TestClient, heartbeat: float | None
) -> None:
    closed = Ended()

    @api.route("/endless")
    async def endless(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse(heartbeat=heartbeat)
        async def stream() -> AsyncIterator[str]:
            try:
                i = 0
                while True:
                    yield f"tick {i}"
                    i += 1
                    await asyncio.sleep(0.01)
            finally:
                closed.set()

    with client.stream("GET", "/endless") as response:
        assert first_event(response.iter_bytes()).startswith("data: tick 0\n\n")
        leaving = time.monotonic()
    assert closed.promptly_after(leaving)


@pytest.mark.parametrize("heartbeat", [None, 0.05])
def test_idle_async_generator_is_closed_when_the_client_leaves(
    api: responder.API, client: TestClient, heartbeat: float | None
) -> None:
    """A generator waiting for news that never comes still ends at once."""
    closed = Ended()

    @api.route("/idle")
    async def idle(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse(heartbeat=heartbeat)
        async def stream() -> AsyncIterator[str]:
            try:
                yield "hello"
                await asyncio.sleep(3600)
                yield "never"
            finally:
                closed.set()

    with client.stream("GET", "/idle") as response:
        chunks = response.iter_bytes()
        assert first_event(chunks) == "data: hello\n\n"
        if heartbeat:  # the generator is now parked in its long sleep
            assert first_event(chunks) == ": keepalive\n\n"
        leaving = time.monotonic()
    assert closed.promptly_after(leaving)


@pytest.mark.parametrize("heartbeat", [None, 0.05])
def test_sync_generator_is_closed_when_the_client_leaves(
    api: responder.API, client: TestClient, heartbeat: float | None
) -> None:
    closed = Ended()

    @api.route("/endless")
    def endless(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse(heartbeat=heartbeat)
        def stream() -> Iterator[str]:
            try:
                i = 0
                while True:
                    yield f"tick {i}"
                    i += 1
                    time.sleep(0.01)
            finally:
                closed.set()

    with client.stream("GET", "/endless") as response:
        assert first_event(response.iter_bytes()).startswith("data: tick 0\n\n")
        leaving = time.monotonic()
    assert closed.promptly_after(leaving)


# -- pacing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "heartbeat"), [("sync", None), ("sync", 5), ("async", None), ("async", 5)]
)
def test_a_client_that_stops_reading_stops_the_producer(
    api: responder.API, client: TestClient, mode: str, kind: str, heartbeat: float | None
) -> None:
    """Nothing between the generator and the client collects events without bound.

    The bound is what the transport itself holds (the ASGI test client keeps
    up to 16 messages, as a server's socket buffers would) plus the one item
    a heartbeat wrapper may have ready; the generator is then asked for no more.
    """
    produced: list[int] = []
    closed = Ended()

    def count() -> Iterator[str]:
        try:
            while True:
                produced.append(1)
                yield f"event {len(produced)}"
        finally:
            closed.set()

    async def acount() -> AsyncIterator[str]:
        try:
            while True:
                produced.append(1)
                yield f"event {len(produced)}"
                await asyncio.sleep(0)
        finally:
            closed.set()

    @api.route("/firehose")
    def firehose(req, resp):  # type: ignore[no-untyped-def]
        resp.sse(count if kind == "sync" else acount, heartbeat=heartbeat)

    with client.stream("GET", "/firehose") as response:
        assert first_event(response.iter_bytes()).startswith("data: event 1\n\n")
        time.sleep(0.3)
        settled = len(produced)
        time.sleep(0.3)
        assert len(produced) == settled  # paced: it waits for the reader
        leaving = time.monotonic()
    bound = 3 if mode == "wsgi" else 16 + 4
    assert settled <= bound, settled
    assert closed.promptly_after(leaving)


# -- resuming and the event loop ----------------------------------------------------


def test_resume_from_last_event_id(api: responder.API, client: TestClient) -> None:
    feed = [f"item {n}" for n in range(1, 6)]

    @api.route("/feed")
    async def events(req, resp):  # type: ignore[no-untyped-def]
        resume_from = int(req.last_event_id or 0)

        @resp.sse(heartbeat=15)
        async def stream() -> AsyncIterator[Any]:
            for number, payload in enumerate(feed[resume_from:], start=resume_from + 1):
                yield {"data": payload, "id": str(number)}

    everything = parse_stream(client.get("/feed").text).events
    assert [e["id"] for e in everything] == ["1", "2", "3", "4", "5"]
    resumed = parse_stream(client.get("/feed", headers={"Last-Event-ID": "3"}).text).events
    assert [(e["id"], e["data"]) for e in resumed] == [("4", "item 4"), ("5", "item 5")]


def test_async_generator_steps_share_one_event_loop(api: responder.API, client: TestClient) -> None:
    """Under WSGI the worker thread's loop is reused for every event, and every request."""
    loops: list[int] = []

    @api.route("/loops")
    def loops_route(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse
        async def stream() -> AsyncIterator[str]:
            for _ in range(5):
                loops.append(id(asyncio.get_running_loop()))
                yield "x"
                await asyncio.sleep(0)

    client.get("/loops")
    client.get("/loops")
    assert len(loops) == 10
    assert len(set(loops)) == 1


def test_stream_after_reading_a_post_body_still_notices_the_client_leaving(
    api: responder.API, client: TestClient
) -> None:
    """The common "POST a prompt, stream the answer": the body is read, then watched for."""
    closed = Ended()

    @api.route("/generate", methods=["POST"])
    async def generate(req, resp):  # type: ignore[no-untyped-def]
        prompt = (await req.media())["prompt"]

        @resp.sse
        async def stream() -> AsyncIterator[Any]:
            try:
                yield {"data": {"echo": prompt}}
                await asyncio.sleep(3600)
            finally:
                closed.set()

    with client.stream("POST", "/generate", json={"prompt": "hi"}) as response:
        assert first_event(response.iter_bytes()) == 'data: {"echo":"hi"}\n\n'
        leaving = time.monotonic()
    assert closed.promptly_after(leaving)


def test_a_generator_may_read_the_request_body_itself(
    api: responder.API, client: TestClient
) -> None:
    @api.route("/upload-progress", methods=["POST"])
    async def progress(req, resp):  # type: ignore[no-untyped-def]
        @resp.sse
        async def stream() -> AsyncIterator[Any]:
            received = 0
            async for chunk in req.stream():
                received += len(chunk)
            yield {"event": "done", "data": {"bytes": received}}

    response = client.post("/upload-progress", content=b"x" * 200_000)
    assert response.text == 'event: done\ndata: {"bytes":200000}\n\n'
