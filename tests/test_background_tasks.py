"""Work after the response (`resp.background`) and fire-and-forget work (`api.background`).

`resp.background` tasks run once the body is sent, in order, sync ones off
the event loop and async ones on it; a failing task is logged and changes
nothing for the client or for the tasks after it. `api.background` starts
work at once from anywhere and hands back a future to wait on or await.
(The basic ordering case lives in test_responses.py.)
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest

import responder
from responder.adapters.testing import TestClient

WAIT = 5.0


def _no_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


# -- resp.background -----------------------------------------------------------


def test_tasks_run_after_the_whole_body_is_sent(api: responder.API, client: TestClient) -> None:
    events: list[str] = []

    def body() -> Any:
        yield b"one,"
        yield b"two"
        events.append("body sent")

    @api.route("/report")
    def report(req, resp):  # type: ignore[no-untyped-def]
        resp.stream(body)
        resp.background(events.append, "task")

    assert client.get("/report").content == b"one,two"
    assert events == ["body sent", "task"]


def test_the_client_has_the_response_before_a_slow_task_ends(
    api: responder.API, client: TestClient
) -> None:
    release, finished = threading.Event(), threading.Event()

    def slow_task() -> None:
        release.wait(WAIT)
        finished.set()

    @api.route("/slow", methods=["POST"])
    async def slow(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"ok": True}
        resp.background(slow_task)

    with client.stream("POST", "/slow") as response:
        assert response.status_code == 200
        expected = int(response.headers["content-length"])
        received = b""
        for chunk in response.iter_raw():
            received += chunk
            if len(received) >= expected:
                break
        assert received == b'{"ok":true}'
        # The whole answer is here, and the task is still waiting (ASGI) or has
        # not started (WSGI, where it runs when the server closes the body).
        assert not finished.is_set()
        release.set()
    assert finished.wait(WAIT)


def test_sync_tasks_run_off_the_loop_and_async_tasks_on_it(
    api: responder.API, client: TestClient
) -> None:
    seen: dict[str, Any] = {}

    def sync_task() -> None:
        seen["sync_without_loop"] = _no_running_loop()

    async def async_task() -> None:
        seen["async_thread"] = threading.get_ident()

    @api.route("/mixed", methods=["POST"])
    async def mixed(req, resp):  # type: ignore[no-untyped-def]
        seen["handler_thread"] = threading.get_ident()
        resp.background(sync_task)
        resp.background(async_task)

    assert client.post("/mixed").status_code == 200
    assert seen["sync_without_loop"] is True
    assert seen["async_thread"] == seen["handler_thread"]


def test_a_failing_task_is_logged_and_changes_nothing(
    api: responder.API, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    done: list[str] = []

    async def async_failure() -> None:
        raise ValueError("async task broke")

    def sync_failure() -> None:
        raise RuntimeError("sync task broke")

    @api.route("/order", methods=["POST"])
    def order(req, resp):  # type: ignore[no-untyped-def]
        resp.status_code = 201
        resp.media = {"id": 7}
        resp.background(done.append, 1)
        resp.background(async_failure)
        resp.background(done.append, 2)
        resp.background(sync_failure)
        resp.background(done.append, 3)

    with caplog.at_level(logging.ERROR, logger="responder.pipeline"):
        response = client.post("/order")
    assert (response.status_code, response.json()) == (201, {"id": 7})
    assert done == [1, 2, 3]
    failures = [r for r in caplog.records if r.name == "responder.pipeline"]
    assert [r.exc_info[1].args[0] for r in failures if r.exc_info and r.exc_info[1]] == [
        "async task broke",
        "sync task broke",
    ]


# -- api.background ------------------------------------------------------------


def test_api_background_from_a_sync_handler(api: responder.API, client: TestClient) -> None:
    futures: list[Any] = []

    async def tally(n: int) -> int:
        await asyncio.sleep(0.01)
        return n * 2

    @api.route("/sync", methods=["POST"])
    def sync_handler(req, resp):  # type: ignore[no-untyped-def]
        futures.append(api.background(sum, [1, 2, 3]))
        futures.append(api.background(tally, n=21))

    assert client.post("/sync").status_code == 200
    assert [future.result(WAIT) for future in futures] == [6, 42]


def test_api_background_from_an_async_handler_outlives_the_request(
    api: responder.API, client: TestClient
) -> None:
    futures: list[Any] = []
    where: dict[str, int] = {}

    async def later(label: str) -> str:
        # Still pending when the request ends: it must go on running after it,
        # even where the handler's loop stops between requests (WSGI).
        await asyncio.sleep(0.05)
        return label

    def blocking() -> str:
        time.sleep(0.01)
        where["blocking"] = threading.get_ident()
        return "done"

    @api.route("/async", methods=["POST"])
    async def async_handler(req, resp):  # type: ignore[no-untyped-def]
        where["handler"] = threading.get_ident()
        futures.append(api.background(later, "first"))
        futures.append(api.background(blocking))
        resp.media = {"awaited": await api.background(str.upper, "value")}

    assert client.post("/async").json() == {"awaited": "VALUE"}
    assert [future.result(WAIT) for future in futures] == ["first", "done"]
    assert where["blocking"] != where["handler"]  # never blocks the handler's thread


def test_api_background_from_startup_and_from_plain_code(mode: str) -> None:
    api = responder.API()
    futures: list[Any] = []

    async def warm_cache() -> str:
        await asyncio.sleep(0.01)
        return "warm"

    @api.on_event("startup")
    async def startup() -> None:
        futures.append(api.background(warm_cache))

    with api.test_client(mode=mode) as client:
        assert client.get("/missing").status_code == 404
        assert futures[0].result(WAIT) == "warm"
    # Outside any request or loop: a script, a CLI command, a test.
    assert api.background(warm_cache).result(WAIT) == "warm"
    assert api.background(len, "abc").result(WAIT) == 3


def test_api_background_failures_are_logged_and_kept(
    api: responder.API, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    futures: list[Any] = []

    async def broken() -> None:
        raise LookupError("nothing here")

    def also_broken() -> None:
        raise KeyError("gone")

    @api.route("/fire", methods=["POST"])
    async def fire(req, resp):  # type: ignore[no-untyped-def]
        futures.append(api.background(broken))
        futures.append(api.background(also_broken))
        resp.text = "fired"

    with caplog.at_level(logging.ERROR, logger="responder.background"):
        assert client.post("/fire").text == "fired"
        with pytest.raises(LookupError):
            futures[0].result(WAIT)
        with pytest.raises(KeyError):
            futures[1].result(WAIT)
    logged = {r.exc_info[0] for r in caplog.records if r.exc_info and r.name.endswith("background")}
    assert logged == {LookupError, KeyError}
    with pytest.raises(TypeError):
        api.background("not callable")  # type: ignore[arg-type]
