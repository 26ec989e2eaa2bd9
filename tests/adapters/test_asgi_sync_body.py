"""ASGI: a sync route's small body is received on the loop before its thread hop.

A sync handler reads its body on a worker thread, where every chunk would be
a round trip to the event loop. A declared body of up to 64 KiB is received
first, on the loop; these tests pin down that reading it then behaves as it
always did: same bytes, same 413, the same disconnect error at the same
place, nothing read for a client that waits for `100 Continue`, and bigger
bodies still streamed chunk by chunk.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

import responder
from responder.body import ClientDisconnected

Message = dict[str, Any]


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


def _call(
    api: responder.API,
    path: str,
    messages: list[Message],
    headers: list[tuple[bytes, bytes]],
    events: list[str],
) -> tuple[int, bytes]:
    """Serve one request whose body arrives as `messages`; log each `receive` in `events`."""
    pending = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        if pending:
            message = pending.pop(0)
            events.append(f"receive {len(message.get('body', b''))}")
            return message
        await asyncio.Event().wait()  # a connected client with nothing more to say
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    async def main() -> None:
        await asyncio.wait_for(api(_scope(path, headers), receive, send), 10)

    asyncio.run(main())
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


def _length(n: int) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", str(n).encode())]


def _chunks(data: bytes, size: int) -> list[Message]:
    parts = [data[i : i + size] for i in range(0, len(data), size)]
    return [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]


def _api(events: list[str], **options: Any) -> responder.API:
    api = responder.API(**options)

    @api.route("/read", methods=["POST"])
    def read(req: Any, resp: Any) -> None:
        events.append("handler")
        try:
            data = req.content_sync()
        except ClientDisconnected:
            events.append("disconnected")
            raise
        events.append(f"read {len(data)}")
        resp.media = {"n": len(data), "thread": threading.current_thread().name}

    @api.route("/stream", methods=["POST"])
    def stream(req: Any, resp: Any) -> None:
        events.append("handler")
        total = 0
        for chunk in req.stream_sync():
            events.append(f"chunk {len(chunk)}")
            total += len(chunk)
        resp.media = {"n": total}

    @api.route("/ignore", methods=["POST"])
    def ignore(req: Any, resp: Any) -> None:
        events.append("handler")
        resp.text = "ignored"

    return api


def test_a_small_body_arrives_before_the_handler_and_reads_whole() -> None:
    events: list[str] = []
    data = b"x" * 3000
    status, body = _call(_api(events), "/read", _chunks(data, 1000), _length(3000), events)
    assert status == 200
    answer = json.loads(body)
    assert answer["n"] == 3000
    assert answer["thread"] != threading.main_thread().name  # still one hop to a worker
    assert events == ["receive 1000"] * 3 + ["handler", "read 3000"]


def test_a_body_bigger_than_declared_still_gets_413_as_read() -> None:
    events: list[str] = []
    data = b"x" * 300
    status, body = _call(
        _api(events, max_request_size=100), "/read", _chunks(data, 50), _length(10), events
    )
    assert status == 413
    assert json.loads(body)["status"] == 413


def test_a_disconnect_mid_body_is_raised_where_the_handler_reads() -> None:
    events: list[str] = []
    messages: list[Message] = [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.disconnect"},
    ]
    _call(_api(events), "/read", messages, _length(10), events)
    assert events == ["receive 3", "receive 0", "handler", "disconnected"]


def test_a_client_expecting_100_continue_is_not_read_for() -> None:
    events: list[str] = []
    headers = [*_length(5), (b"expect", b"100-continue")]
    messages: list[Message] = [{"type": "http.request", "body": b"hello", "more_body": False}]
    status, body = _call(_api(events), "/ignore", messages, headers, events)
    assert (status, body) == (200, b"ignored")
    assert events == ["handler"]  # the body was never asked for


def test_a_handler_that_ignores_a_small_body_answers_the_same() -> None:
    events: list[str] = []
    messages: list[Message] = [{"type": "http.request", "body": b"hello", "more_body": False}]
    status, body = _call(_api(events), "/ignore", messages, _length(5), events)
    assert (status, body) == (200, b"ignored")


@pytest.mark.parametrize("size", [64 * 1024 + 1, 200_000])
def test_a_big_body_is_still_streamed_chunk_by_chunk(size: int) -> None:
    events: list[str] = []
    data = b"y" * size
    status, body = _call(_api(events), "/stream", _chunks(data, 16384), _length(size), events)
    assert (status, json.loads(body)) == (200, {"n": size})
    assert events[0] == "handler"  # nothing received ahead of the handler
    assert events.count("receive 16384") == size // 16384
    # Chunks reach the handler as they arrive, one receive per chunk.
    assert events[1:5] == ["receive 16384", "chunk 16384", "receive 16384", "chunk 16384"]


def test_async_routes_read_as_before() -> None:
    events: list[str] = []
    api = responder.API()

    @api.route("/read", methods=["POST"])
    async def read(req: Any, resp: Any) -> None:
        events.append("handler")
        resp.media = {"n": len(await req.content)}

    status, body = _call(api, "/read", _chunks(b"z" * 30, 10), _length(30), events)
    assert (status, json.loads(body)) == (200, {"n": 30})
    assert events == ["handler"] + ["receive 10"] * 3
