"""Startup and shutdown: ASGI's lifespan protocol, and the WSGI equivalent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

import responder


def build(events: list[str]) -> responder.API:
    @asynccontextmanager
    async def lifespan(app: responder.API) -> AsyncIterator[None]:
        events.append("enter")
        app.state.db = "connected"
        yield
        events.append("exit")

    api = responder.API(lifespan=lifespan)

    @api.on_event("startup")
    async def startup() -> None:
        events.append("startup")

    @api.on_event("shutdown")
    def shutdown() -> None:
        events.append("shutdown")

    @api.route("/db")
    def db(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"db": req.api.state.db}

    return api


def test_lifespan_order_and_state(mode: str) -> None:
    events: list[str] = []
    api = build(events)
    with api.test_client(mode=mode) as client:
        assert events == ["enter", "startup"]
        assert client.get("/db").json() == {"db": "connected"}
    assert events == ["enter", "startup", "shutdown", "exit"]


def test_failed_startup_is_reported(mode: str) -> None:
    api = responder.API()

    @api.on_event("startup")
    def explode() -> None:
        raise RuntimeError("no database")

    with pytest.raises(RuntimeError), api.test_client(mode=mode):
        pass


def test_shutdown_errors_are_logged_not_raised(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    api = responder.API()

    @api.on_event("shutdown")
    def explode() -> None:
        raise RuntimeError("disk gone")

    with api.test_client(mode=mode):
        pass
    assert "disk gone" in caplog.text


def test_wsgi_starts_once_before_the_first_request() -> None:
    events: list[str] = []
    api = build(events)
    client = api.test_client(mode="wsgi")  # no `with`: like a real WSGI server
    try:
        assert events == []
        assert client.get("/db").json() == {"db": "connected"}
        assert client.get("/db").status_code == 200
        assert events == ["enter", "startup"]
    finally:
        client.close()
        api._adapter("wsgi")._shutdown()
    assert events[-2:] == ["shutdown", "exit"]


def test_wsgi_startup_failure_answers_500_problem(caplog: pytest.LogCaptureFixture) -> None:
    api = responder.API()

    @api.on_event("startup")
    def explode() -> None:
        raise RuntimeError("no database")

    @api.route("/")
    def home(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "never"

    client = api.test_client(mode="wsgi")
    try:
        response = client.get("/")
    finally:
        client.close()
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "failed to start" in response.json()["detail"]
    assert "no database" in caplog.text


def test_wsgi_requests_wait_for_a_running_startup() -> None:
    import threading
    import time

    api = responder.API()
    state = {"ready": False}

    @api.on_event("startup")
    def slow_start() -> None:
        time.sleep(0.3)
        state["ready"] = True

    @api.route("/ready")
    def ready(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"ready": state["ready"]}

    results: list[bool] = []

    def call() -> None:
        client = api.test_client(mode="wsgi")
        try:
            results.append(client.get("/ready").json()["ready"])
        finally:
            client.close()

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    api._adapter("wsgi")._shutdown()
    assert results == [True, True, True]


def test_api_requests_can_bracket_lifespan_repeatedly() -> None:
    events: list[str] = []
    api = build(events)
    with api.requests as client:
        assert client.get("/db").json() == {"db": "connected"}
    with api.requests as client:
        assert client.get("/db").json() == {"db": "connected"}
    assert api.requests.get("/db").json() == {"db": "connected"}
    assert events == ["enter", "startup", "shutdown", "exit"] * 2
