"""Files as response bodies: finding them safely, describing them, reading them.

A file body is a path plus what `stat` said about it (size, modification
time) and the slices to send. Nothing is opened until the adapter sends it,
so a response that ends up as a 304, a 412 or a HEAD answer never touches
the file's contents, and no descriptor can leak from a response that is
replaced on the way out.
"""

from __future__ import annotations

import mimetypes
import os
import stat
import unicodedata
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from email.utils import formatdate
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from .errors import HTTPError

if TYPE_CHECKING:
    from .response import Response

__all__ = [
    "CHUNK_SIZE",
    "FileBody",
    "FileSpan",
    "PathArg",
    "content_disposition",
    "describe",
    "guess_type",
    "locate",
]

#: Bytes read per step: large enough that a 1 MiB file takes 16 reads, small
#: enough that memory per response stays flat whatever the file's size.
CHUNK_SIZE = 64 * 1024
#: What a compressed file is, when mimetypes only names the compression.
_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}
#: RFC 5987 attr-char minus ALPHA/DIGIT, which `quote` keeps anyway.
_ATTR_CHARS = "!#$&+-.^_`|~"

PathArg = str | os.PathLike[str]


def _not_found() -> HTTPError:
    return HTTPError(404, "No file is served at this address.")


def locate(path: PathArg, root: PathArg | None = None) -> tuple[str, os.stat_result]:
    """Resolve `path` to a regular file, inside `root` when one is given.

    With a root, `path` is taken as untrusted: an absolute path, a `..`
    segment, a NUL byte, or a symlink whose target lies outside the root all
    end as a 404, exactly like a file that does not exist, so a probe learns
    nothing about the disk.

    Returns:
        The resolved path and its `stat` result.

    Raises:
        HTTPError: 404 for anything that is not a readable regular file there.
    """
    try:
        text = os.fspath(path)
        if "\x00" in text:
            raise _not_found()
        if root is None:
            target = os.path.abspath(text)
        else:
            parts = text.replace(os.sep, "/").split("/")
            if os.path.isabs(text) or text.startswith("\\") or ".." in parts:
                raise _not_found()
            base = os.path.realpath(os.fspath(root))
            target = os.path.realpath(os.path.join(base, text))
            if os.path.commonpath([base, target]) != base:
                raise _not_found()
        info = os.stat(target)
    except (OSError, ValueError, UnicodeError):
        raise _not_found() from None
    if not stat.S_ISREG(info.st_mode):
        raise _not_found()
    return target, info


def guess_type(name: str) -> str:
    """The media type for a file name; text types are declared UTF-8."""
    mimetype, encoding = mimetypes.guess_type(name)
    if encoding is not None:
        return _COMPRESSED.get(encoding, "application/octet-stream")
    if mimetype is None:
        return "application/octet-stream"
    if mimetype.startswith("text/"):
        return f"{mimetype}; charset=utf-8"
    return mimetype


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """Build `Content-Disposition` for a file name in any script.

    Old clients read only `filename=`, which is ASCII, so it carries a
    transliterated fallback; clients that know RFC 6266 prefer `filename*`,
    the exact name in UTF-8, added whenever the fallback had to differ.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(
        "_" if c in '"\\' else c for c in ascii_name if 0x20 <= ord(c) < 0x7F
    ).strip()
    value = f'{disposition}; filename="{fallback or "download"}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe=_ATTR_CHARS)
    return value


def describe(resp: Response, body: FileBody) -> None:
    """Give a file response its validators, unless the handler chose its own.

    The tag combines size and modification time in nanoseconds: cheap (no
    hashing of contents) and different after any ordinary rewrite.
    """
    headers = resp.headers
    if not headers.getlist("ETag"):
        headers["ETag"] = f'"{body.mtime_ns:x}-{body.size:x}"'
    if not headers.getlist("Last-Modified"):
        headers["Last-Modified"] = _http_date(body.mtime_ns // 1_000_000_000)


@lru_cache(maxsize=1024)
def _http_date(seconds: int) -> str:
    """Format a modification time once: a static file's repeats on every request."""
    return formatdate(seconds, usegmt=True)


class FileSpan:
    """One slice of a file, opened at its start, that reads no further than its end.

    This is what a server's `wsgi.file_wrapper` receives: gunicorn calls
    `fileno()`, finds the offset already at the slice's start and sends
    `Content-Length` bytes with `sendfile`; servers without sendfile call
    `read()`, which stops at the slice's end on its own.

    Args:
        path: The file.
        start: The first byte sent.
        stop: One past the last byte sent.
        after: Called once when the server closes the span (after sending).
    """

    mode = "rb"

    def __init__(
        self, path: str, start: int, stop: int, after: Callable[[], None] | None = None
    ) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        self._file.seek(start)
        self._remaining = stop - start
        self._after = after

    def fileno(self) -> int:
        return self._file.fileno()

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        if size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size) or b""
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        after, self._after = self._after, None
        try:
            self._file.close()
        finally:
            if after is not None:
                after()


class FileBody:
    """A file, or slices of it, to be sent as a response body.

    It is a sync iterable of bytes, so anything that can send a stream can
    send it; adapters that can do better (sendfile, reads in a worker thread)
    recognise it first.

    Args:
        path: The resolved file path.
        info: Its `stat` result, taken when the handler chose the file; the
            response promises exactly that many bytes.
        chunk_size: Bytes per read.
    """

    def __init__(self, path: str, info: os.stat_result, chunk_size: int = CHUNK_SIZE) -> None:
        self.path = path
        self.size = info.st_size
        self.mtime_ns = info.st_mtime_ns
        self.chunk_size = chunk_size
        #: (bytes sent before the slice, slice start, slice stop) in order.
        self.parts: list[tuple[bytes, int, int]] = [(b"", 0, self.size)]
        #: Bytes sent after the last slice (a multipart closing delimiter).
        self.trailer = b""
        self._chunks: Generator[bytes, None, None] | None = None

    @property
    def modified(self) -> datetime:
        """The modification time, to the second (what an HTTP-date can carry)."""
        return datetime.fromtimestamp(self.mtime_ns // 1_000_000_000, UTC)

    @property
    def length(self) -> int:
        """The number of bytes this body sends."""
        sliced = sum(len(intro) + stop - start for intro, start, stop in self.parts)
        return sliced + len(self.trailer)

    @property
    def span(self) -> tuple[int, int] | None:
        """The one plain slice sent, or None when there is framing around slices."""
        if len(self.parts) != 1 or self.trailer or self.parts[0][0]:
            return None
        return self.parts[0][1], self.parts[0][2]

    def select(self, parts: list[tuple[bytes, int, int]], trailer: bytes = b"") -> None:
        """Send these slices (with their framing) instead of the whole file."""
        self.parts = parts
        self.trailer = trailer

    def open_span(self, after: Callable[[], None] | None = None) -> FileSpan:
        """Open the single plain slice for a server's file wrapper.

        Raises:
            ValueError: when the body is multipart and has no single span.
        """
        span = self.span
        if span is None:
            raise ValueError("A multipart body has no single span to hand to a file wrapper")
        return FileSpan(self.path, span[0], span[1], after)

    def __iter__(self) -> Generator[bytes, None, None]:
        if self._chunks is None:
            self._chunks = self._read()
        return self._chunks

    def _read(self) -> Generator[bytes, None, None]:
        with open(self.path, "rb", buffering=0) as file:
            for intro, start, stop in self.parts:
                if intro:
                    yield intro
                file.seek(start)
                remaining = stop - start
                while remaining > 0:
                    data = file.read(min(self.chunk_size, remaining))
                    if not data:
                        # Fewer bytes than Content-Length promised: abort rather
                        # than let the client take a truncated file for whole.
                        raise OSError(f"{self.path} shrank while it was being sent")
                    remaining -= len(data)
                    yield data
            if self.trailer:
                yield self.trailer

    def close(self) -> None:
        """Stop reading and close the file, if sending had begun."""
        if self._chunks is not None:
            self._chunks.close()
