"""Server-Sent Events: turning what a generator yields into `text/event-stream`.

`resp.sse` hands a generator here; the result is an ordinary streamed body
(a sync or an async iterable of bytes), so each adapter sends it the way it
sends any stream, and nothing here knows which protocol carries it.

Framing follows the HTML standard's event-stream format. What a stream may
yield, and the choices made where a value cannot be sent as it is:

- a `str` is the event's data;
- a mapping holds the fields `event`, `data`, `id`, `retry` and `comment`;
  any other key is a `ValueError` (a misspelt field would otherwise vanish);
- `data` that is not a `str` (a dict, a list, a number) is JSON-encoded with
  the API's codec, so `json_ensure_ascii` and `encoder` apply;
- data spanning lines becomes one `data:` line per line, which the client
  joins back with `\\n`; a comment spanning lines becomes several comments;
- `event` and `id` name a single line: CR and LF are removed from them
  rather than allowed to start a field or an event of their own;
- an `id` containing NUL is left out, as the client would ignore it anyway;
- `retry` must be a non-negative `int` (reconnection delay in milliseconds);
- the heartbeat, while the generator is idle, is the comment `: keepalive`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Final

from .formats import Codec
from .heartbeat import BEAT, AsyncHeartbeat, ThreadedHeartbeat, check_interval

__all__ = [
    "EVENT_STREAM_HEADERS",
    "KEEPALIVE",
    "AsyncEventStream",
    "EventStream",
    "SyncEventStream",
    "encode_event",
    "event_stream",
]

#: Headers of every event stream. `X-Accel-Buffering: no` asks nginx (and
#: proxies that copied it) to pass each event on instead of collecting them.
EVENT_STREAM_HEADERS: Final = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
KEEPALIVE: Final = b": keepalive\n\n"
FIELDS: Final = frozenset({"event", "data", "id", "retry", "comment"})

#: The only line ends an event-stream parser knows; `str.splitlines` would
#: also split on U+2028 and friends, changing data the client would keep whole.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DEFAULT_CODEC = Codec()


def _one_line(value: Any) -> str:
    return str(value).replace("\r", "").replace("\n", "")


def _data_lines(data: Any, codec: Codec) -> list[str]:
    text = data if isinstance(data, str) else codec.dump_json(data).decode("utf-8")
    return ["data: " + line for line in _LINE_BREAK.split(text)]


def _retry(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"SSE retry is an int of milliseconds, not {value!r}")
    if value < 0:
        raise ValueError(f"SSE retry cannot be negative: {value!r}")
    return f"retry: {value}"


def encode_event(item: Any, codec: Codec) -> bytes:
    """Frame one yielded value as an event (or a comment), ending in a blank line.

    Raises:
        TypeError: for a value that is neither a str nor a mapping, or a bad `retry`.
        ValueError: for an unknown field or a negative `retry`.
    """
    if item is BEAT:
        return KEEPALIVE
    if isinstance(item, str):
        return ("\n".join(_data_lines(item, codec)) + "\n\n").encode("utf-8")
    if not isinstance(item, Mapping):
        raise TypeError(
            f"An SSE stream yields str or dict values, not {type(item).__name__}; "
            "wrap other data as {'data': value}"
        )
    unknown = item.keys() - FIELDS
    if unknown:
        raise ValueError(f"Unknown SSE field(s) {sorted(unknown)}; use {sorted(FIELDS)}")
    lines: list[str] = []
    if (comment := item.get("comment")) is not None:
        lines += [": " + line for line in _LINE_BREAK.split(str(comment))]
    if (event := item.get("event")) is not None:
        lines.append("event: " + _one_line(event))
    if (event_id := item.get("id")) is not None and "\0" not in (text := _one_line(event_id)):
        lines.append("id: " + text)
    if (retry := item.get("retry")) is not None:
        lines.append(_retry(retry))
    if (data := item.get("data")) is not None:
        lines += _data_lines(data, codec)
    if not lines:
        return b""
    return ("\n".join(lines) + "\n\n").encode("utf-8")


class EventStream:
    """What both kinds of event stream share: the codec their data is encoded with.

    The codec is the API's; the response learns it only when it is
    finalized, so until then events would be encoded with default settings.
    """

    codec: Codec = _DEFAULT_CODEC

    def encode(self, item: Any) -> bytes:
        return encode_event(item, self.codec)


class SyncEventStream(EventStream):
    """Events from a sync iterable, as a sync iterable of bytes.

    Without a heartbeat the source runs on whichever thread iterates the
    stream; with one it runs on a helper thread (see `ThreadedHeartbeat`).
    """

    def __init__(self, source: Iterable[Any], heartbeat: float | None) -> None:
        items = iter(source)
        self._items: Iterator[Any] = (
            items if heartbeat is None else ThreadedHeartbeat(items, heartbeat)
        )

    def __iter__(self) -> SyncEventStream:
        return self

    def __next__(self) -> bytes:
        return self.encode(next(self._items))

    def close(self) -> None:
        """Close the source, so a generator's `finally` runs when the client leaves."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()


class AsyncEventStream(EventStream):
    """Events from an async iterable, as an async iterable of bytes."""

    def __init__(self, source: AsyncIterable[Any], heartbeat: float | None) -> None:
        items = aiter(source)
        self._items: AsyncIterator[Any] = (
            items if heartbeat is None else AsyncHeartbeat(items, heartbeat)
        )

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> bytes:
        return self.encode(await anext(self._items))

    async def aclose(self) -> None:
        """Close the source, so a generator's `finally` runs when the client leaves."""
        aclose = getattr(self._items, "aclose", None)
        if aclose is not None:
            await aclose()


def event_stream(source: Any, heartbeat: float | None = None) -> EventStream:
    """Wrap a generator (or any iterable, sync or async) as an event stream.

    Args:
        source: What produces the events.
        heartbeat: Seconds of idleness after which a keepalive comment is
            sent; None sends none.

    Raises:
        TypeError: when `source` is not iterable.
        ValueError: when `heartbeat` is not a positive number.
    """
    interval = check_interval(heartbeat)
    if isinstance(source, AsyncIterable):
        return AsyncEventStream(source, interval)
    if isinstance(source, Iterable) and not isinstance(source, str | bytes | Mapping):
        return SyncEventStream(source, interval)
    raise TypeError(f"resp.sse needs a generator function or an iterable of events, not {source!r}")
