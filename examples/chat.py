"""A small WebSocket example: an echo room and a JSON counter.

Serve it with `uvicorn examples.chat:api`. Under a WSGI server the
WebSocket routes answer 501 (WSGI cannot upgrade), while `/` still works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import responder
from responder.websocket import WebSocket

api = responder.API(ws_idle_timeout=30)


@api.route("/")
def home(req: responder.Request, resp: responder.Response) -> None:
    resp.text = "chat: connect to /ws/{room}"


@api.dependency()
async def greeting(ws: WebSocket) -> AsyncIterator[str]:
    yield f"welcome to {ws.path_params['room']}"


@api.route("/ws/{room}", websocket=True)
async def room(ws: WebSocket, *, room: str, greeting: str) -> None:
    await ws.accept(subprotocol="chat" if "chat" in ws.subprotocols else None)
    await ws.send_text(greeting)
    async for message in ws:
        await ws.send_text(f"[{room}] {message}")


@api.route("/count", websocket=True)
async def count(ws: WebSocket) -> None:
    await ws.accept()
    total = 0
    async for message in ws.iter_json():
        total += int(message.get("add", 0))
        await ws.send_json({"total": total})


if __name__ == "__main__":
    api.run()
