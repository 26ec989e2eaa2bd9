"""WebSockets reach mounted ASGI applications (ASGI only: WSGI cannot carry them)."""

from __future__ import annotations

from typing import Any

import responder


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI WebSocket app that echoes one message with where it is mounted."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    message = await receive()
    text = f"{scope['root_path']} {scope['path']} {message['text']}"
    await send({"type": "websocket.send", "text": text})
    await send({"type": "websocket.close", "code": 1000})


def test_websockets_reach_a_mounted_asgi_app() -> None:
    api = responder.API()
    api.mount("/live", echo_app)
    with api.test_client(mode="asgi") as client, client.websocket_connect("/live/feed") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "/live /live/feed hi"


def test_websocket_routes_win_over_mounts() -> None:
    api = responder.API()
    api.mount("", echo_app)

    @api.route("/ours", websocket=True)
    async def ours(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        await ws.send_text("from responder")
        await ws.close()

    with api.test_client(mode="asgi") as client:
        with client.websocket_connect("/ours") as ws:
            assert ws.receive_text() == "from responder"
        with client.websocket_connect("/theirs") as ws:
            ws.send_text("hi")
            assert ws.receive_text() == " /theirs hi"


def test_websockets_reach_a_mounted_responder_api() -> None:
    sub = responder.API()

    @sub.route("/chat", websocket=True)
    async def chat(ws):  # type: ignore[no-untyped-def]
        await ws.accept()
        await ws.send_json({"root_path": ws.request.root_path, "path": ws.request.path})
        await ws.close()

    api = responder.API()
    api.mount("/sub", sub)
    with api.test_client(mode="asgi") as client, client.websocket_connect("/sub/chat") as ws:
        assert ws.receive_json() == {"root_path": "/sub", "path": "/chat"}
