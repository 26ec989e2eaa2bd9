"""WebSockets: ASGI carries them; WSGI answers a clear error instead."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest

import responder
from responder import Request, abort
from responder.adapters.testing import TestClient
from responder.adapters.websocket_client import WebSocketDenied
from responder.websocket import WebSocket, WebSocketDisconnect, WebSocketMessageError


@pytest.fixture
def asgi(api: responder.API) -> Iterator[TestClient]:
    with api.test_client(mode="asgi") as client:
        yield client


def test_text_json_and_bytes_round_trip(api: responder.API, asgi: TestClient) -> None:
    @api.route("/ws", websocket=True)
    async def echo(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        name = await ws.receive_text()
        await ws.send_text(f"Hello {name}!")
        data = await ws.receive_json()
        await ws.send_json({"got": data})
        raw = await ws.receive_bytes()
        await ws.send_bytes(raw[::-1])
        await ws.close()

    with asgi.websocket_connect("/ws") as ws:
        ws.send_text("ann")
        assert ws.receive_text() == "Hello ann!"
        ws.send_json({"n": 1})
        assert ws.receive_json() == {"got": {"n": 1}}
        ws.send_bytes(b"abc")
        assert ws.receive_bytes() == b"cba"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
        assert closed.value.code == 1000


def test_subprotocols_headers_and_iteration(api: responder.API, asgi: TestClient) -> None:
    @api.route("/chat", websocket=True)
    async def chat(ws: WebSocket) -> None:
        await ws.accept(subprotocol="chat.v2", headers={"X-Server": "responder"})
        async for message in ws.iter_json():
            await ws.send_json({"echo": message, "offered": ws.subprotocols})

    with asgi.websocket_connect("/chat", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.accepted_subprotocol == "chat.v2"
        assert (b"x-server", b"responder") in ws.extra_headers
        ws.send_json([1])
        assert ws.receive_json() == {"echo": [1], "offered": ["chat.v1", "chat.v2"]}


def test_path_params_and_dependencies_are_injected(api: responder.API, asgi: TestClient) -> None:
    events: list[str] = []

    @api.dependency()
    async def hub(ws) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
        events.append(f"join {ws.path_params['room']}")
        yield "hub"
        events.append("leave")

    @api.dependency()
    def user(request: Request) -> str:
        return request.params.get("user", "anon")

    @api.route("/ws/{room}", websocket=True)
    async def room(ws, *, room, hub, user):  # type: ignore[no-untyped-def]
        await ws.accept()
        await ws.send_json({"room": room, "hub": hub, "user": user})
        await ws.receive_text()

    with asgi.websocket_connect("/ws/lobby?user=ann") as ws:
        assert ws.receive_json() == {"room": "lobby", "hub": "hub", "user": "ann"}
        assert events == ["join lobby"]
    deadline = time.monotonic() + 5
    while events != ["join lobby", "leave"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert events == ["join lobby", "leave"]


def test_disconnect_and_bad_messages_are_catchable(api: responder.API, asgi: TestClient) -> None:
    seen: list[str] = []

    @api.route("/ws", websocket=True)
    async def careful(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        try:
            await ws.receive_json()
        except WebSocketMessageError as exc:
            seen.append("bad json")
            await ws.send_text(str(exc)[:20])
        try:
            await ws.receive_text()
        except WebSocketMessageError:
            seen.append("binary")
            await ws.send_text("text please")
        try:
            await ws.receive_text()
        except WebSocketDisconnect as exc:
            seen.append(f"gone {exc.code}")

    with asgi.websocket_connect("/ws") as ws:
        ws.send_text("{nope")
        assert ws.receive_text()
        ws.send_bytes(b"\x00")
        assert ws.receive_text() == "text please"
    assert seen == ["bad json", "binary", "gone 1000"]


def test_oversized_messages_are_refused() -> None:
    api = responder.API(ws_max_message_size=10)

    @api.route("/ws", websocket=True)
    async def small(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        try:
            await ws.receive_text()
        except WebSocketMessageError:
            await ws.send_text("too big")

    with api.test_client(mode="asgi") as client, client.websocket_connect("/ws") as ws:
        ws.send_text("x" * 11)
        assert ws.receive_text() == "too big"


def test_idle_timeout_closes_with_1001_and_resets() -> None:
    api = responder.API(ws_idle_timeout=0.3)

    @api.route("/ws", websocket=True)
    async def idle(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        async for message in ws:
            await ws.send_text(message)

    with api.test_client(mode="asgi") as client, client.websocket_connect("/ws") as ws:
        for _ in range(4):  # 4 x 0.2 s: longer than the timeout, never idle for it
            time.sleep(0.2)
            ws.send_text("ping")
            assert ws.receive_text() == "ping"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
        assert closed.value.code == 1001


def test_handshake_refusals(api: responder.API, asgi: TestClient) -> None:
    @api.before_request
    def gate(req, resp):  # type: ignore[no-untyped-def]
        if req.params.get("token") != "ok":
            resp.status_code = 403

    def needs_admin(request: Request) -> None:
        if request.params.get("admin") != "yes":
            abort(403)

    @api.route("/ws", websocket=True, dependencies=[responder.Depends(needs_admin)])
    async def guarded(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        await ws.send_text("welcome")

    with pytest.raises(WebSocketDenied) as refused:
        asgi.websocket_connect("/ws").__enter__()
    assert refused.value.code == 1008
    with pytest.raises(WebSocketDenied) as refused:
        asgi.websocket_connect("/ws?token=ok").__enter__()
    assert refused.value.code == 1008
    with asgi.websocket_connect("/ws?token=ok&admin=yes") as ws:
        assert ws.receive_text() == "welcome"
    with pytest.raises(WebSocketDenied):
        asgi.websocket_connect("/nowhere?token=ok").__enter__()


def test_handler_errors_close_with_1011(api: responder.API, asgi: TestClient) -> None:
    @api.route("/ws", websocket=True)
    async def broken(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        raise RuntimeError("boom")

    with asgi.websocket_connect("/ws") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
        assert closed.value.code == 1011


def test_sync_websocket_handlers_are_refused(api: responder.API) -> None:
    with pytest.raises(TypeError, match="coroutine"):
        api.add_route("/ws", lambda ws: None, websocket=True)


def test_http_requests_to_websocket_routes(api: responder.API, client: TestClient) -> None:
    @api.route("/ws", websocket=True)
    async def only_ws(ws):  # type: ignore[no-untyped-def]
        await ws.accept()

    response = client.get("/ws")
    assert response.status_code == 426
    assert response.headers["upgrade"] == "websocket"
    assert response.headers["content-type"] == "application/problem+json"


def test_wsgi_cannot_upgrade_and_says_so(api: responder.API) -> None:
    @api.route("/ws", websocket=True)
    async def only_ws(ws):  # type: ignore[no-untyped-def]
        await ws.accept()

    with api.test_client(mode="wsgi") as client, pytest.raises(WebSocketDenied) as refused:
        client.websocket_connect("/ws")
    response = refused.value.response
    assert response is not None and response.status_code == 501
    assert "ASGI server" in response.json()["detail"]


def test_size_limit_counts_bytes_and_closes_with_1009() -> None:
    api = responder.API(ws_max_message_size=4)

    @api.route("/ws", websocket=True)
    async def strict(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        await ws.send_text(await ws.receive_text())
        await ws.receive_text()  # uncaught: too big

    with api.test_client(mode="asgi") as client, client.websocket_connect("/ws") as ws:
        ws.send_text("éé")  # 4 bytes: fits
        assert ws.receive_text() == "éé"
        ws.send_text("ééé")  # 3 characters, 6 bytes
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
        assert closed.value.code == 1009


def test_a_handler_that_never_accepts_refuses(api: responder.API, asgi: TestClient) -> None:
    @api.route("/ws", websocket=True)
    async def shy(ws):  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(WebSocketDenied):
        asgi.websocket_connect("/ws").__enter__()
