"""A WebSocket client for tests, driving an ASGI application in-process.

`TestClient.websocket_connect` opens one of these on the test client's
event-loop thread. The test thread talks to it through two queues, so a test
reads like client code: send, receive, close. WSGI cannot carry WebSockets;
there, `websocket_connect` sends the upgrade request and raises
`WebSocketDenied` with the application's HTTP answer.
"""

from __future__ import annotations

import asyncio
import json
import queue
from concurrent.futures import Future
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from responder.websocket import WebSocketDisconnect

if TYPE_CHECKING:
    from .testing import ASGITransport, Message

__all__ = ["WebSocketDenied", "WebSocketSession"]

_TIMEOUT = 10.0


class WebSocketDenied(Exception):
    """The application refused the handshake.

    Attributes:
        code: The close code sent instead of accepting (ASGI), or None.
        response: The HTTP response it answered with (WSGI), or None.
    """

    def __init__(self, code: int | None = None, response: httpx.Response | None = None) -> None:
        what = (
            f"close code {code}"
            if code is not None
            else f"HTTP {response and response.status_code}"
        )
        super().__init__(f"The WebSocket handshake was refused ({what})")
        self.code = code
        self.response = response


class WebSocketSession:
    """One in-process WebSocket connection, used from the test's thread.

    Args:
        transport: The ASGI test transport whose loop runs the application.
        scope: The `websocket` scope to run the application with.
    """

    def __init__(self, transport: ASGITransport, scope: dict[str, Any]) -> None:
        self._transport = transport
        self._loop = transport._ensure_loop()
        self._incoming: asyncio.Queue[dict[str, Any]] | None = None
        self._outgoing: queue.Queue[Message | BaseException | None] = queue.Queue()
        self._scope = scope
        self._task: Future[None] | None = None
        self.accepted_subprotocol: str | None = None
        self.extra_headers: list[tuple[bytes, bytes]] = []
        self.close_code: int | None = None

    # -- the application side, on the loop -----------------------------------

    async def _run(self, ready: asyncio.Event) -> None:
        self._incoming = asyncio.Queue()
        ready.set()
        try:
            await self._transport.app(self._scope, self._incoming.get, self._from_app)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self._outgoing.put(exc)
        finally:
            self._outgoing.put(None)

    async def _from_app(self, message: Message) -> None:
        self._outgoing.put(message)

    def _to_app(self, message: Message) -> None:
        assert self._incoming is not None
        self._loop.call_soon_threadsafe(self._incoming.put_nowait, dict(message))

    # -- the test side ----------------------------------------------------------

    def __enter__(self) -> Self:
        ready_future: Future[asyncio.Event] = asyncio.run_coroutine_threadsafe(
            _make_event(), self._loop
        )
        ready = ready_future.result(_TIMEOUT)
        self._task = asyncio.run_coroutine_threadsafe(self._run(ready), self._loop)
        asyncio.run_coroutine_threadsafe(ready.wait(), self._loop).result(_TIMEOUT)
        self._to_app({"type": "websocket.connect"})
        message = self._next()
        if message["type"] == "websocket.close":
            self._wait_done()
            raise WebSocketDenied(code=message.get("code", 1000))
        if message["type"] != "websocket.accept":
            raise RuntimeError(f"Expected websocket.accept, got {message['type']!r}")
        self.accepted_subprotocol = message.get("subprotocol")
        self.extra_headers = list(message.get("headers") or [])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _next(self) -> Message:
        try:
            item = self._outgoing.get(timeout=_TIMEOUT)
        except queue.Empty:
            raise TimeoutError(f"The application sent nothing for {_TIMEOUT:g} seconds") from None
        if item is None:
            self._outgoing.put(None)  # keep reporting the end to later calls
            raise WebSocketDisconnect(self.close_code or 1006, "the application returned")
        if isinstance(item, BaseException):
            raise item
        return item

    def receive(self) -> str | bytes:
        """Wait for the application's next message.

        Raises:
            WebSocketDisconnect: when the application closed the connection.
        """
        message = self._next()
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            raise WebSocketDisconnect(self.close_code, message.get("reason") or "")
        if message["type"] != "websocket.send":
            raise RuntimeError(f"Unexpected message {message['type']!r}")
        text = message.get("text")
        return text if text is not None else bytes(message.get("bytes") or b"")

    def receive_text(self) -> str:
        """Receive a text message."""
        message = self.receive()
        assert isinstance(message, str), f"expected text, got {message!r}"
        return message

    def receive_bytes(self) -> bytes:
        """Receive a binary message."""
        message = self.receive()
        assert isinstance(message, bytes), f"expected bytes, got {message!r}"
        return message

    def receive_json(self) -> Any:
        """Receive a message and decode it as JSON."""
        return json.loads(self.receive())

    def send_text(self, data: str) -> None:
        """Send a text message to the application."""
        self._to_app({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        """Send a binary message to the application."""
        self._to_app({"type": "websocket.receive", "bytes": data})

    def send_json(self, data: Any) -> None:
        """Send `data` as a JSON text message."""
        self.send_text(json.dumps(data))

    def close(self, code: int = 1000) -> None:
        """Close from the client side and wait for the application to finish."""
        if self._task is None or self._task.done():
            return
        self._to_app({"type": "websocket.disconnect", "code": code})
        self._wait_done()

    def _wait_done(self) -> None:
        if self._task is not None:
            self._task.result(_TIMEOUT)


async def _make_event() -> asyncio.Event:
    return asyncio.Event()
