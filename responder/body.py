"""The request body: one source, readable synchronously or asynchronously.

An adapter knows how bytes arrive (a WSGI input stream, ASGI `http.request`
messages) and wraps that in a `BodySource`. `Body` adds what every protocol
shares: caching once read, the size limit, and refusing a second stream.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import Protocol

from .errors import HTTPError

__all__ = ["Body", "BodySource", "ClientDisconnected", "EmptySource", "PayloadTooLarge"]


class PayloadTooLarge(HTTPError):
    """The body is, or grew, larger than `max_request_size` (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body exceeds the limit of {limit} bytes.")


class ClientDisconnected(HTTPError):
    """The client went away before the body was complete; nobody will see the answer."""

    def __init__(self) -> None:
        super().__init__(400, "The client disconnected before the body was complete.")


class BodySource(Protocol):
    """Where the body's bytes come from; given to the core by an adapter.

    Both methods return the next chunk and `b""` once the body has ended.
    """

    def next_chunk_sync(self) -> bytes:
        """Return the next chunk, blocking the calling thread."""
        ...

    async def next_chunk(self) -> bytes:
        """Return the next chunk without blocking the event loop."""
        ...


class EmptySource:
    """The source of a request that carries no body."""

    def next_chunk_sync(self) -> bytes:
        return b""

    async def next_chunk(self) -> bytes:
        return b""


EMPTY = EmptySource()


class Body:
    """A request body read at most once from its source.

    Args:
        source: Where the bytes come from.
        declared_length: The `Content-Length`, when the client sent one.
        limit: The largest body accepted, or None for no limit.
    """

    __slots__ = ("_cached", "_received", "_source", "_streamed", "declared_length", "limit")

    def __init__(
        self, source: BodySource, declared_length: int | None = None, limit: int | None = None
    ) -> None:
        self._source = source
        self._cached: bytes | None = None
        self._streamed = False
        self._received = 0
        self.declared_length = declared_length
        self.limit = limit

    def check_declared_length(self) -> None:
        """Fail fast on a `Content-Length` past the limit, before reading anything.

        Raises:
            PayloadTooLarge: when the declared length exceeds the limit.
        """
        if self.limit is not None and (self.declared_length or 0) > self.limit:
            raise PayloadTooLarge(self.limit)

    def _count(self, chunk: bytes) -> bytes:
        self._received += len(chunk)
        if self.limit is not None and self._received > self.limit:
            raise PayloadTooLarge(self.limit)
        return chunk

    def _begin_stream(self) -> None:
        if self._streamed:
            raise RuntimeError("The request body was already streamed and cannot be read again.")
        self.check_declared_length()
        self._streamed = True

    def read_sync(self) -> bytes:
        """Return the whole body, reading it on first use."""
        if self._cached is None:
            self._cached = b"".join(self.iter_sync())
        return self._cached

    async def read(self) -> bytes:
        """Return the whole body, reading it on first use."""
        if self._cached is None:
            # `aiter`'s loop, written out: most bodies are read this way, and
            # an async generator and a call per chunk cost more than the read.
            if self._streamed:
                raise RuntimeError(
                    "The request body was already streamed and cannot be read again."
                )
            limit = self.limit
            if limit is not None:
                self.check_declared_length()
            self._streamed = True
            chunks = []
            next_chunk = self._source.next_chunk
            while chunk := await next_chunk():
                self._received += len(chunk)
                if limit is not None and self._received > limit:
                    raise PayloadTooLarge(limit)
                chunks.append(chunk)
            self._cached = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self._cached

    def iter_sync(self) -> Iterator[bytes]:
        """Yield the body in chunks as they arrive, without buffering it."""
        if self._cached is not None:
            if self._cached:
                yield self._cached
            return
        self._begin_stream()
        next_chunk = self._source.next_chunk_sync
        while chunk := next_chunk():
            yield self._count(chunk)

    async def aiter(self) -> AsyncGenerator[bytes, None]:
        """Yield the body in chunks as they arrive, without buffering it."""
        if self._cached is not None:
            if self._cached:
                yield self._cached
            return
        self._begin_stream()
        next_chunk = self._source.next_chunk
        while chunk := await next_chunk():
            yield self._count(chunk)
