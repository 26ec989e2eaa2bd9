"""WebSockets over real sockets: uvicorn upgrades; gunicorn's WSGI answer is a clear 501."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

if TYPE_CHECKING:  # conftest is pytest's to import; tests/ is not a package
    from .conftest import RunningServer

pytestmark = pytest.mark.servers

LOOPBACK = "127.0.0.1"
APP = "examples.chat:api"


@pytest.fixture(scope="module")
def uvicorn_server(start_server: Callable[..., RunningServer]) -> RunningServer:
    return start_server("uvicorn", APP)


@pytest.fixture(scope="module")
def gunicorn_server(start_server: Callable[..., RunningServer]) -> RunningServer:
    return start_server("gunicorn", APP)


def test_room_echo_with_dependency_and_subprotocol(uvicorn_server: RunningServer) -> None:
    url = f"ws://{LOOPBACK}:{uvicorn_server.port}/ws/lobby"
    with connect(url, subprotocols=["chat"], open_timeout=10) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat"
        assert ws.recv(timeout=10) == "welcome to lobby"
        ws.send("hi")
        assert ws.recv(timeout=10) == "[lobby] hi"


def test_json_counter(uvicorn_server: RunningServer) -> None:
    with connect(f"ws://{LOOPBACK}:{uvicorn_server.port}/count", open_timeout=10) as ws:
        for expected in (2, 5):
            ws.send(json.dumps({"add": 2 if expected == 2 else 3}))
            assert json.loads(ws.recv(timeout=10)) == {"total": expected}


def test_unknown_websocket_path_is_refused(uvicorn_server: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{LOOPBACK}:{uvicorn_server.port}/nowhere", open_timeout=10)
    assert refused.value.response.status_code == 403


def test_wsgi_server_explains_it_cannot_upgrade(gunicorn_server: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{LOOPBACK}:{gunicorn_server.port}/ws/lobby", open_timeout=10)
    assert refused.value.response.status_code == 501
    plain = httpx.get(f"{gunicorn_server.base_url}/ws/lobby", timeout=10)
    assert plain.status_code == 426
    assert plain.headers["upgrade"] == "websocket"
