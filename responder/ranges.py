"""Range requests (RFC 9110 §14): 206 Partial Content, multipart/byteranges, 416.

Only file bodies answer ranges: their length is known before the first byte
is read, so a slice costs a seek. The byte-range set is parsed here because
werkzeug's `parse_range_header` refuses ranges that are not in ascending
order (valid per the RFC, and sent by real clients) and reads the
unsatisfiable suffix `-0` as "the whole file".
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import ContentRange
from werkzeug.http import parse_date

from .error_pages import render_error
from .errors import HTTPError

if TYPE_CHECKING:
    from .files import FileBody
    from .formats import Codec
    from .request import Request
    from .response import Response

__all__ = ["MAX_RANGES", "apply_ranges", "if_range_holds", "parse_byte_ranges"]

#: More ranges than this in one request are ignored (RFC 9110 §14.2 allows
#: it): many tiny ranges cost far more to frame than the bytes they ask for.
MAX_RANGES = 64
#: Positions with more significant digits than this are past any file size;
#: skipping `int()` on them also avoids Python's limit on converting very long
#: digit strings.
_MAX_DIGITS = 18
_HUGE = 10**_MAX_DIGITS
_SPEC = re.compile(r"([0-9]*)-([0-9]*)")  # not \d: it takes any script's digits

Span = tuple[int, int]


def _number(digits: str) -> int:
    """A position; leading zeros are not significant (`007` is 7, however many)."""
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= _MAX_DIGITS else _HUGE


def _less(a: str, b: str) -> bool:
    """Whether the position `a` is below `b`, exactly, even past `_MAX_DIGITS` digits."""
    a, b = a.lstrip("0"), b.lstrip("0")
    return (len(a), a) < (len(b), b)


def parse_byte_ranges(value: str, size: int) -> list[Span] | None:
    """Resolve a `Range` value against a representation of `size` bytes.

    Returns:
        The satisfiable spans as `(start, stop)` with `stop` exclusive,
        overlapping ones merged; an empty list when none is satisfiable (416);
        None when the header must be ignored: another unit, bad syntax, or
        too many ranges.
    """
    unit, sep, specs = value.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    items = [item.strip() for item in specs.split(",")]
    items = [item for item in items if item]
    if not items or len(items) > MAX_RANGES:
        return None
    spans: list[Span] = []
    for item in items:
        match = _SPEC.fullmatch(item)
        if match is None:
            return None
        first, last = match.groups()
        if first:
            if last and _less(last, first):
                return None  # a last-pos before its first-pos makes the set invalid
            start = _number(first)
            stop = min(_number(last) + 1, size) if last else size
        elif last:
            length = _number(last)
            if length == 0:
                continue  # a zero-length suffix selects nothing
            start, stop = max(size - length, 0), size
        else:
            return None
        if start < stop:
            spans.append((start, stop))
    return _coalesce(spans)


def _coalesce(spans: list[Span]) -> list[Span]:
    """Merge overlapping or touching spans; keep the client's order otherwise."""
    ordered = sorted(spans)
    if all(a[1] < b[0] for a, b in pairwise(ordered)):
        return spans
    merged: list[Span] = []
    for start, stop in ordered:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def if_range_holds(value: str | None, etag: str | None, modified: datetime | None) -> bool:
    """Tell whether `If-Range` lets the `Range` apply (RFC 9110 §13.1.5).

    A tag must match strongly (a weak tag never does); a date must equal
    `Last-Modified` exactly. Anything unreadable fails, and the client then
    gets the whole representation, which is always a safe answer.
    """
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        return etag is not None and not etag.startswith("W/") and value == etag
    date = parse_date(value)
    return date is not None and modified is not None and date == modified


def apply_ranges(req: Request, resp: Response, body: FileBody, codec: Codec, settings: Any) -> None:
    """Narrow a file response to the requested ranges, or refuse with 416.

    Sets `Accept-Ranges` on every file response and `Content-Length` on
    every outcome. Ranges apply only to a 200 answer to GET or HEAD; HEAD
    reports the same headers a GET would get.
    """
    headers = resp.headers
    headers["Accept-Ranges"] = "bytes"
    values = req.headers.getlist("Range")
    if resp.status_code == 200 and req.method in ("GET", "HEAD") and len(values) == 1:
        etags = headers.getlist("ETag")
        stamps = headers.getlist("Last-Modified")
        if_range = req.headers.getlist("If-Range")
        if if_range_holds(
            ", ".join(if_range) if if_range else None,
            etags[0] if etags else None,
            parse_date(stamps[0]) if stamps else None,
        ):
            spans = parse_byte_ranges(values[0], body.size)
            if spans == []:
                _unsatisfiable(req, resp, body, codec, settings)
                return
            if spans:
                _partial(resp, body, spans)
    headers["Content-Length"] = str(body.length)


def _partial(resp: Response, body: FileBody, spans: list[Span]) -> None:
    headers = resp.headers
    resp.status_code = 206
    if len(spans) == 1:
        start, stop = spans[0]
        headers["Content-Range"] = ContentRange("bytes", start, stop, body.size).to_header()
        body.select([(b"", start, stop)])
        return
    boundary = secrets.token_hex(16)
    part_type = headers.get("Content-Type", "application/octet-stream")
    parts: list[tuple[bytes, int, int]] = []
    for start, stop in spans:
        content_range = ContentRange("bytes", start, stop, body.size).to_header()
        intro = (
            f"--{boundary}\r\nContent-Type: {part_type}\r\nContent-Range: {content_range}\r\n\r\n"
        )
        # Each part after the first starts on a new line: the CRLF that ends
        # the previous part's data belongs to the delimiter.
        parts.append(((b"\r\n" if parts else b"") + intro.encode("latin-1"), start, stop))
    body.select(parts, trailer=f"\r\n--{boundary}--\r\n".encode("latin-1"))
    headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"


def _unsatisfiable(
    req: Request, resp: Response, body: FileBody, codec: Codec, settings: Any
) -> None:
    resp.clear_body()
    resp.headers.pop("Content-Disposition", None)  # the problem is not the download
    detail = f"None of the requested ranges overlaps the {body.size} bytes of the file."
    error = HTTPError(416, detail, headers={"Content-Range": f"bytes */{body.size}"})
    render_error(settings, codec, req, resp, error)
