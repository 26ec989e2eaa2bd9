"""WebSockets, independent of the protocol that carries them.

The core's `WebSocket` talks to a `WebSocketChannel` that an adapter
provides (only ASGI can, as WSGI cannot upgrade a connection). It adds what
handlers need on top: text/bytes/JSON helpers, iteration, the idle timeout
(`ws_idle_timeout`, reset by every message), a message size bound, and
errors a handler can catch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

from .formats import Codec, MalformedBody

if TYPE_CHECKING:
    from .request import Request

__all__ = [
    "WebSocket",
    "WebSocketChannel",
    "WebSocketDisconnect",
    "WebSocketMessageError",
    "WebSocketMessageTooBig",
]

#: Close codes used by the framework (RFC 6455 section 7.4.1).
GOING_AWAY = 1001
POLICY_VIOLATION = 1008
TOO_BIG = 1009
INTERNAL_ERROR = 1011


class WebSocketDisconnect(Exception):
    """The connection is closed: by the client, or by an idle timeout.

    Attributes:
        code: The close code.
        reason: The close reason, possibly empty.
    """

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(f"WebSocket closed with code {code}" + (f": {reason}" if reason else ""))
        self.code = code
        self.reason = reason


class WebSocketMessageError(ValueError):
    """A message that is not what the handler asked for (not JSON, too big, wrong kind)."""


class WebSocketMessageTooBig(WebSocketMessageError):
    """A message larger than `ws_max_message_size`; uncaught, it closes with 1009."""


class WebSocketChannel(Protocol):
    """What an adapter provides: one connection's messages in and out."""

    async def accept(self, subprotocol: str | None, headers: list[tuple[str, str]]) -> None:
        """Complete the handshake."""
        ...

    async def next_message(self) -> str | bytes:
        """Wait for the next message; raise `WebSocketDisconnect` when closed."""
        ...

    async def write(self, data: str | bytes) -> None:
        """Send one message; raise `WebSocketDisconnect` when the peer is gone."""
        ...

    async def close(self, code: int, reason: str) -> None:
        """Close the connection (before accepting: refuse the handshake)."""
        ...


class WebSocket:
    """One WebSocket connection as a handler sees it.

    Args:
        request: The handshake request (headers, path, query, client).
        channel: The adapter's side of the connection.
        codec: Encodes JSON the way the application does.
        idle_timeout: Seconds a receive may wait before the connection is
            closed with 1001; None waits forever.
        max_message_size: Largest message accepted by the receive helpers.
    """

    def __init__(
        self,
        request: Request,
        channel: WebSocketChannel,
        *,
        codec: Codec,
        idle_timeout: float | None = None,
        max_message_size: int | None = None,
    ) -> None:
        self.request = request
        self._channel = channel
        self._codec = codec
        self.idle_timeout = idle_timeout
        self.max_message_size = max_message_size
        self.accepted = False
        self.closed = False

    # -- the handshake, as a request ------------------------------------------

    @property
    def headers(self) -> Any:
        return self.request.headers

    @property
    def path_params(self) -> dict[str, Any]:
        return self.request.path_params

    @property
    def params(self) -> Any:
        return self.request.params

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def client(self) -> Any:
        return self.request.client

    @property
    def state(self) -> Any:
        return self.request.state

    @property
    def api(self) -> Any:
        return self.request.api

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        offered = self.request.headers.getlist("Sec-WebSocket-Protocol")
        return [p.strip() for value in offered for p in value.split(",") if p.strip()]

    # -- lifecycle ----------------------------------------------------------

    async def accept(
        self, subprotocol: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Complete the handshake, optionally choosing a subprotocol.

        Raises:
            ValueError: for a subprotocol the client did not offer.
        """
        if self.accepted:
            return
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"The client did not offer the subprotocol {subprotocol!r}")
        await self._channel.accept(subprotocol, list((headers or {}).items()))
        self.accepted = True

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection; closing twice is harmless."""
        if self.closed:
            return
        self.closed = True
        await self._channel.close(code, reason)

    # -- receiving ------------------------------------------------------------

    async def receive(self) -> str | bytes:
        """Wait for the next message, within the idle timeout.

        Raises:
            WebSocketDisconnect: when the client closed, or it stayed idle for
                longer than `ws_idle_timeout` (the connection is closed with 1001).
        """
        if self.closed:
            raise WebSocketDisconnect(1000, "already closed")
        if self.idle_timeout is None:
            return await self._next()
        try:
            return await asyncio.wait_for(self._next(), self.idle_timeout)
        except TimeoutError:
            await self.close(GOING_AWAY, "idle timeout")
            raise WebSocketDisconnect(GOING_AWAY, "idle timeout") from None

    async def _next(self) -> str | bytes:
        try:
            message = await self._channel.next_message()
        except WebSocketDisconnect:
            self.closed = True
            raise
        limit = self.max_message_size
        if limit is not None and len(message) * 4 > limit:  # UTF-8: at most 4 bytes a char
            size = len(message.encode("utf-8")) if isinstance(message, str) else len(message)
            if size > limit:
                raise WebSocketMessageTooBig(f"Message of {size} bytes exceeds {limit}")
        return message

    async def receive_text(self) -> str:
        """Receive a text message.

        Raises:
            WebSocketMessageError: for a binary message.
        """
        message = await self.receive()
        if not isinstance(message, str):
            raise WebSocketMessageError("Expected a text message, got a binary one")
        return message

    async def receive_bytes(self) -> bytes:
        """Receive a binary message (a text message is encoded as UTF-8)."""
        message = await self.receive()
        return message.encode("utf-8") if isinstance(message, str) else message

    async def receive_json(self) -> Any:
        """Receive a message holding JSON, text or binary.

        Raises:
            WebSocketMessageError: when the message is not valid JSON.
        """
        message = await self.receive()
        data = message.encode("utf-8") if isinstance(message, str) else message
        try:
            return Codec.load_json(data)
        except MalformedBody as exc:
            raise WebSocketMessageError(exc.detail or "Malformed JSON") from None

    # -- sending ------------------------------------------------------------

    async def send_text(self, data: str) -> None:
        """Send a text message."""
        await self._channel.write(str(data))

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        await self._channel.write(bytes(data))

    async def send_json(self, data: Any) -> None:
        """Send `data` as a JSON text message, encoded like `resp.media`."""
        await self._channel.write(self._codec.dump_json(data).decode("utf-8"))

    # -- iteration ------------------------------------------------------------

    async def iter_text(self) -> AsyncIterator[str]:
        """Yield text messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            return

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Yield binary messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            return

    async def iter_json(self) -> AsyncIterator[Any]:
        """Yield decoded JSON messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            return

    def __aiter__(self) -> AsyncIterator[str]:
        return self.iter_text()
