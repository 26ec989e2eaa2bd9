"""`UploadFile`: one file from a multipart body, kept in memory or on disk.

A part is written to a `tempfile.SpooledTemporaryFile` as it arrives, so a
small upload stays in memory and a large one moves to a temporary file once it
passes `SPOOL_MAX_SIZE`: no upload is ever held whole in memory. The object is
file-like for sync handlers (`read`, `seek`, `close`, iteration) and, because
those calls return values that can also be awaited, it reads the way
Starlette's `UploadFile` does in async handlers (`await f.read()`).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Generator, Iterator
from os import PathLike
from pathlib import Path
from typing import IO, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema
from werkzeug.datastructures import Headers

__all__ = ["SPOOL_MAX_SIZE", "UploadFile"]

#: Bytes an upload may take in memory before it is moved to a temporary file.
SPOOL_MAX_SIZE = 1024 * 1024
_CHUNK = 64 * 1024


class _Bytes(bytes):
    """Bytes that can also be awaited, so one `read()` serves sync and async code."""

    def __await__(self) -> Generator[None, None, bytes]:
        yield from ()
        return bytes(self)


class _Int(int):
    """An int that can also be awaited (`await f.seek(0)`, `await f.write(data)`)."""

    def __await__(self) -> Generator[None, None, int]:
        yield from ()
        return int(self)


class _Done:
    """What `close()` returns: nothing, but awaitable (`await f.close()`)."""

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        yield from ()


_DONE = _Done()


class UploadFile:
    """A file uploaded in a multipart body.

    Args:
        filename: The name the client gave the file. It is the client's
            choice: never use it as a path without sanitizing it first
            (for example with `werkzeug.utils.secure_filename`).
        file: The file holding the contents; a new spooled file when omitted.
        content_type: The part's media type; taken from `headers`, else
            `application/octet-stream`.
        headers: The part's own headers.
        name: The form field the file was sent as.
        spool_max_size: Bytes kept in memory before spilling to disk.
    """

    def __init__(
        self,
        filename: str = "",
        file: IO[bytes] | None = None,
        *,
        content_type: str | None = None,
        headers: Headers | None = None,
        name: str = "",
        spool_max_size: int = SPOOL_MAX_SIZE,
    ) -> None:
        self.filename = filename
        self.name = name
        self.headers = headers if headers is not None else Headers()
        self.content_type = (
            content_type or self.headers.get("Content-Type") or "application/octet-stream"
        )
        if file is None:
            # Owned by the upload and closed with it, so no `with` block.
            file = tempfile.SpooledTemporaryFile(max_size=spool_max_size)  # noqa: SIM115
        self.file: IO[bytes] = file
        #: Bytes written so far; the file's full size once parsing is done.
        self.size = 0

    def __repr__(self) -> str:
        return (
            f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={self.size})"
        )

    @property
    def in_memory(self) -> bool:
        """Tell whether the contents are still in memory rather than on disk."""
        return not getattr(self.file, "_rolled", True)

    @property
    def closed(self) -> bool:
        return bool(self.file.closed)

    # -- file-like, for sync and async code alike ------------------------------

    def write(self, data: bytes) -> _Int:
        """Append `data`; the parser fills uploads this way."""
        written = self.file.write(data)
        self.size += written
        return _Int(written)

    def read(self, size: int = -1) -> _Bytes:
        """Read up to `size` bytes (all that remain by default).

        The result is `bytes`, and can also be awaited, so both
        `data = f.read()` and `data = await f.read()` work.
        """
        return _Bytes(self.file.read(size))

    def seek(self, offset: int, whence: int = 0) -> _Int:
        """Move the read position; awaitable as well."""
        return _Int(self.file.seek(offset, whence))

    def tell(self) -> int:
        return self.file.tell()

    def close(self) -> _Done:
        """Close the file, deleting its temporary copy; awaitable as well."""
        self.file.close()
        return _DONE

    def __del__(self) -> None:
        # The pipeline closes uploads after the response; one that skipped it
        # (a test client re-raising a server error) still frees its file.
        file = getattr(self, "file", None)
        if file is not None and not file.closed:
            file.close()

    def __iter__(self) -> Iterator[bytes]:
        """Yield the contents from the current position in 64 KiB chunks."""
        while chunk := self.file.read(_CHUNK):
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield the contents in chunks, reading from disk off the event loop."""
        while True:
            if self.in_memory:
                chunk = self.file.read(_CHUNK)
            else:
                chunk = await asyncio.to_thread(self.file.read, _CHUNK)
            if not chunk:
                return
            yield chunk

    # -- saving ---------------------------------------------------------------

    def save_sync(self, path: str | PathLike[str], *, create_parents: bool = False) -> Path:
        """Write the whole upload to `path` and return it as a `Path`.

        The copy starts at the beginning whatever was read before, and the
        read position is left where it was. If the copy fails half-way the
        partial file is removed: the target is either whole or absent.

        Args:
            path: Where to write; an existing file is replaced.
            create_parents: Create missing parent directories first.
        """
        target = Path(path)
        if create_parents:
            target.parent.mkdir(parents=True, exist_ok=True)
        position = self.file.tell()
        with target.open("wb") as out:
            try:
                self.file.seek(0)
                shutil.copyfileobj(self.file, out, _CHUNK)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            finally:
                self.file.seek(position)
        return target

    async def save(self, path: str | PathLike[str], *, create_parents: bool = False) -> Path:
        """Write the whole upload to `path` off the event loop; see `save_sync`."""
        return await asyncio.to_thread(self.save_sync, path, create_parents=create_parents)

    # -- validation -------------------------------------------------------------

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        # An upload is taken as it is; there is nothing to coerce it from.
        return core_schema.is_instance_schema(cls)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "binary"}

    def describe(self) -> dict[str, Any]:
        """The upload's plain facts, used when it is sent back as media."""
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}
