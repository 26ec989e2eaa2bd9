"""Multipart form bodies, parsed incrementally as the body arrives.

werkzeug's sans-IO `MultipartDecoder` turns bytes into events without doing
any I/O, which suits a core that gets its bytes from either protocol. Its own
size check measures the bytes fed at once rather than the part they belong
to, so the limits live here instead. `MultipartParser` feeds the decoder chunk
by chunk, keeps fields as text, writes files into `UploadFile`s (spooled to
disk past a threshold) and enforces the limits: number of parts, size of a
field, of all fields, and of a part's headers. `read_multipart_sync` and
`read_multipart` drive the same parser from `Body.iter_sync` and `Body.aiter`.
"""

from __future__ import annotations

import asyncio
import codecs
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    NEED_DATA,
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    State,
)

from .errors import HTTPError
from .uploads import SPOOL_MAX_SIZE, UploadFile

if TYPE_CHECKING:
    from .body import Body

__all__ = [
    "FormData",
    "MultipartLimits",
    "MultipartParser",
    "boundary_of",
    "read_multipart",
    "read_multipart_sync",
]

_FEED = 64 * 1024  # bytes handed to the decoder at a time
#: Decoder states in which it is reading a preamble or part headers.
_HEADERS = (State.PREAMBLE, State.PART)
_MAX_BOUNDARY = 200
#: How far back from the end of the buffer a boundary line is looked for.
_TAIL = _MAX_BOUNDARY + 256


@dataclass(frozen=True, slots=True)
class MultipartLimits:
    """What one multipart body may hold before it is refused.

    Attributes:
        max_parts: Fields and files together (413 beyond).
        max_field_size: Bytes in one non-file field (413 beyond).
        max_fields_size: Bytes in all non-file fields, which live in memory (413).
        max_header_size: Bytes of one part's headers, or of the preamble (413).
        spool_max_size: Bytes of a file kept in memory before it goes to disk.
    """

    max_parts: int = 1000
    max_field_size: int = 1024 * 1024
    max_fields_size: int = 16 * 1024 * 1024
    max_header_size: int = 16 * 1024
    spool_max_size: int = SPOOL_MAX_SIZE


DEFAULT_LIMITS = MultipartLimits()


@dataclass(slots=True)
class FormData:
    """A parsed multipart body: its fields (str) and files, in arrival order."""

    items: list[tuple[str, str | UploadFile]] = field(default_factory=list)

    @property
    def uploads(self) -> list[UploadFile]:
        return [value for _, value in self.items if isinstance(value, UploadFile)]

    def as_dict(self, *, files_only: bool = False) -> dict[str, Any]:
        """One value per name, or a list where the name repeats."""
        multi: MultiDict[str, Any] = MultiDict(
            (name, value)
            for name, value in self.items
            if not files_only or isinstance(value, UploadFile)
        )
        return {name: values[0] if len(values) == 1 else values for name, values in multi.lists()}

    def close(self) -> None:
        """Close every upload, removing any temporary file behind it."""
        for upload in self.uploads:
            upload.close()


def boundary_of(params: dict[str, str]) -> bytes:
    """Return the boundary of a `multipart/form-data` content type.

    Raises:
        HTTPError: 400 when it is missing, too long, or not plain ASCII.
    """
    boundary = params.get("boundary", "")
    if not boundary:
        raise HTTPError(400, "The multipart body has no boundary in its Content-Type.")
    if len(boundary) > _MAX_BOUNDARY or not boundary.isascii() or not boundary.isprintable():
        raise HTTPError(400, "The multipart boundary is not a valid boundary.")
    return boundary.encode("ascii")


def _too_large(what: str) -> HTTPError:
    return HTTPError(413, f"The multipart body has {what}.")


def _malformed(exc: Exception, *, ended: bool) -> HTTPError:
    """A 400 for what the decoder refused, worded for the client rather than werkzeug."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if ended and reason.startswith("Invalid form-data cannot parse beyond"):
        return HTTPError(400, "The multipart body ended before its closing boundary.")
    return HTTPError(400, f"Malformed multipart body: {reason[:200]}")


class MultipartParser:
    """Turns multipart chunks into a `FormData`, within `limits`.

    On any error the uploads made so far are closed before the error leaves,
    so a refused body leaves no temporary files behind.
    """

    def __init__(self, boundary: bytes, limits: MultipartLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.form = FormData()
        self._decoder = MultipartDecoder(boundary)
        self._dash_boundary = b"--" + boundary
        self._started = False
        self._done = False
        self._parts = 0
        self._fields_size = 0
        self._name = ""
        self._field: bytearray | None = None
        self._charset = "utf-8"
        self._upload: UploadFile | None = None

    @property
    def writes_to_disk(self) -> bool:
        """Tell whether the file being received already lives on disk."""
        return self._upload is not None and not self._upload.in_memory

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk of the body."""
        if self._done or not chunk:
            return  # bytes after the closing boundary (the epilogue) are ignored
        self._started = True
        try:
            for start in range(0, len(chunk), _FEED):
                self._decoder.receive_data(chunk[start : start + _FEED])
                if self._ends_in_boundary_line():
                    continue  # wait for the rest of the line: see `_ends_in_boundary_line`
                self._drain()
                if self._done:
                    return
        except BaseException:
            self.abort()
            raise

    def finish(self) -> FormData:
        """Signal the end of the body and return what it held.

        Raises:
            HTTPError: 400 when the body ended before its closing boundary.
        """
        try:
            if not self._started:
                return self.form  # no body at all: an empty form
            if not self._done:
                self._decoder.receive_data(None)
                self._drain()
            if not self._done:
                raise HTTPError(400, "The multipart body ended before its closing boundary.")
        except BaseException:
            self.abort()
            raise
        return self.form

    def abort(self) -> None:
        """Drop everything received, closing the uploads."""
        self._done = True
        if self._upload is not None:
            self._upload.close()
            self._upload = None
        self.form.close()

    def _ends_in_boundary_line(self) -> bool:
        """Tell whether the buffer ends inside a boundary line that is longer than the boundary.

        The decoder keeps back a possible partial boundary at the end of its
        buffer only up to the boundary's own length. A chunk that stops after
        `--boundary-` (the closing dashes, half sent) or in the whitespace a
        sender may pad a boundary line with would be misread: the line break
        before it released as data. Decoding resumes once the line is whole.
        """
        buffer = self._decoder.buffer
        start = max(0, len(buffer) - _TAIL)
        line = max(buffer.rfind(b"\n", start), buffer.rfind(b"\r", start)) + 1
        if line == 0:
            return False
        rest = bytes(buffer[line:])
        dash_boundary = self._dash_boundary
        return (
            len(rest) > len(dash_boundary)
            and rest.startswith(dash_boundary)
            and not rest[len(dash_boundary) :].strip(b"- \t")
        )

    def _drain(self) -> None:
        decoder = self._decoder
        limit = self.limits.max_header_size
        while True:
            state, pending = decoder.state, len(decoder.buffer)
            try:
                event = decoder.next_event()
            except (ValueError, TypeError, AttributeError) as exc:
                raise _malformed(exc, ended=decoder.complete) from None
            if event is NEED_DATA:
                break
            if state in _HEADERS and pending - len(decoder.buffer) > limit:
                raise _too_large("part headers larger than the limit")
            if isinstance(event, Data):
                self._data(event.data, event.more_data)
            elif isinstance(event, Field | File):
                self._begin(event)
            elif isinstance(event, Epilogue):
                self._done = True
                return
        if decoder.state in _HEADERS and len(decoder.buffer) > limit:  # still waiting for the end
            raise _too_large("part headers larger than the limit")

    def _begin(self, event: Field | File) -> None:
        if not event.name:
            raise HTTPError(400, "A multipart part has no name in its Content-Disposition.")
        self._parts += 1
        if self._parts > self.limits.max_parts:
            raise _too_large(f"more than {self.limits.max_parts} parts")
        self._name = event.name
        if isinstance(event, File):
            self._upload = UploadFile(
                event.filename,
                headers=event.headers,
                name=event.name,
                spool_max_size=self.limits.spool_max_size,
            )
            self.form.items.append((event.name, self._upload))
        else:
            self._field = bytearray()
            self._charset = _charset(event.headers.get("Content-Type"))

    def _data(self, data: bytes, more: bool) -> None:
        if self._upload is not None:
            self._upload.write(data)
            if not more:
                self._upload.seek(0)
                self._upload = None
            return
        if self._field is None:  # data with no part open: the decoder would not do this
            raise HTTPError(400, "Malformed multipart body: data outside a part.")
        self._field += data
        self._fields_size += len(data)
        if len(self._field) > self.limits.max_field_size:
            raise _too_large(f"a field larger than {self.limits.max_field_size} bytes")
        if self._fields_size > self.limits.max_fields_size:
            raise _too_large(f"fields larger than {self.limits.max_fields_size} bytes in all")
        if not more:
            value = self._field.decode(self._charset, "replace")
            self.form.items.append((self._name, value))
            self._field = None


def _charset(content_type: str | None) -> str:
    """The charset a field declares, if Python knows it; UTF-8 otherwise."""
    if not content_type:
        return "utf-8"
    charset = parse_options_header(content_type)[1].get("charset", "utf-8")
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset


def read_multipart_sync(
    body: Body, boundary: bytes, limits: MultipartLimits = DEFAULT_LIMITS
) -> FormData:
    """Parse a multipart body, reading it on this thread."""
    parser = MultipartParser(boundary, limits)
    try:
        for chunk in body.iter_sync():
            parser.feed(chunk)
    except BaseException:
        parser.abort()
        raise
    return parser.finish()


async def read_multipart(
    body: Body, boundary: bytes, limits: MultipartLimits = DEFAULT_LIMITS
) -> FormData:
    """Parse a multipart body without blocking the event loop.

    Feeding is CPU work plus, once a file has spilled to disk, file writes;
    those chunks are fed on a worker thread so the loop never waits on disk.
    """
    parser = MultipartParser(boundary, limits)
    try:
        async with aclosing(body.aiter()) as chunks:
            async for chunk in chunks:
                if parser.writes_to_disk:
                    await asyncio.to_thread(parser.feed, chunk)
                else:
                    parser.feed(chunk)
    except BaseException:
        parser.abort()
        raise
    return parser.finish()
