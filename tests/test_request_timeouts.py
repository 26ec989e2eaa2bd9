"""`request_timeout`: 504 on time in both modes, teardown either way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

import responder


def wait_for(condition, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(condition())


@pytest.fixture
def slow_api() -> tuple[responder.API, list[str]]:
    api = responder.API(request_timeout=0.3)
    events: list[str] = []

    @api.dependency()
    def resource() -> Iterator[str]:
        events.append("open")
        yield "r"
        events.append("close")

    @api.route("/async-slow")
    async def async_slow(req, resp, *, resource):  # type: ignore[no-untyped-def]
        try:
            await asyncio.sleep(5)
        finally:
            events.append("handler cancelled")
        resp.text = "too late"

    @api.route("/sync-slow")
    def sync_slow(req, resp, *, resource):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        events.append("sync handler done")
        resp.text = "too late"

    @api.route("/fast")
    async def fast(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "in time"

    @api.route("/sync-fast")
    def sync_fast(req, resp, *, resource):  # type: ignore[no-untyped-def]
        resp.text = "in time"

    return api, events


def test_async_overrun_is_a_504_and_tears_down(
    slow_api: tuple[responder.API, list[str]], mode: str
) -> None:
    api, events = slow_api
    with api.test_client(mode=mode) as client:
        started = time.monotonic()
        response = client.get("/async-slow")
        elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 504
    assert elapsed < 2.0
    assert wait_for(lambda: events == ["open", "handler cancelled", "close"]), events


def test_sync_overrun_is_answered_on_time(
    slow_api: tuple[responder.API, list[str]], mode: str
) -> None:
    api, events = slow_api
    with api.test_client(mode=mode) as client:
        started = time.monotonic()
        response = client.get("/sync-slow")
        elapsed = time.monotonic() - started
        assert response.status_code == 504
        assert elapsed < 0.9  # the handler sleeps a full second
        assert events == ["open"]
        # the thread finishes in the background, and only then tears down
        assert wait_for(lambda: events == ["open", "sync handler done", "close"]), events


def test_requests_within_the_budget_are_untouched(
    slow_api: tuple[responder.API, list[str]], mode: str
) -> None:
    api, events = slow_api
    with api.test_client(mode=mode) as client:
        assert client.get("/fast").text == "in time"
        assert client.get("/sync-fast").text == "in time"
    assert wait_for(lambda: events == ["open", "close"]), events


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="request_timeout"):
        responder.API(request_timeout=0)
