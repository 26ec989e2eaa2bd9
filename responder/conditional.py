"""Conditional requests (RFC 9110 §13): validators, 304 Not Modified and 412.

A response carries up to two validators, an entity tag (`ETag`) and a
modification date (`Last-Modified`). When the response is finalized, the
request's `If-*` headers are compared with them: a cache that already holds
the representation gets a bodiless 304, and a write based on a stale copy
gets a 412 instead of the success it would otherwise have had.

The entity-tag lists are parsed here rather than with werkzeug's
`parse_etags`, which reads a bare token such as `abc` as a strong tag; the
RFC says a field that is not a valid list must be ignored, and only a strict
parser can tell the two apart.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.http import generate_etag, http_date, parse_date

from .error_pages import render_error
from .errors import HTTPError

if TYPE_CHECKING:
    from werkzeug.datastructures import Headers

    from .formats import Codec
    from .request import Request
    from .response import Response

__all__ = [
    "apply_preconditions",
    "content_etag",
    "evaluate",
    "format_etag",
    "format_http_date",
    "parse_etag_list",
]

#: An entity-tag: an optional weakness prefix and a quoted run of etagc.
_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_TAG_RE = re.compile(_TAG)
#: A list of tags (RFC 9110 §5.6.1.2): empty elements are allowed anywhere,
#: before the first tag as well, but at least one tag is required.
_TAG_LIST = re.compile(rf"[ \t]*(?:,[ \t]*)*{_TAG}[ \t]*(?:,[ \t]*(?:{_TAG}[ \t]*)?)*")
_SAFE = frozenset({"GET", "HEAD"})
_CONDITIONS = ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since")
#: Representation metadata a 304 must not repeat (RFC 9110 §15.4.5).
_NOT_ON_304 = (
    "Content-Type",
    "Content-Length",
    "Content-Range",
    "Content-Encoding",
    "Content-Language",
    "Content-Disposition",
)


def format_etag(value: str) -> str:
    """Quote an entity tag unless it is quoted already (`"x"` or weak `W/"x"`).

    Raises:
        ValueError: for a tag containing a double quote or a control character,
            which no quoting can carry in a header.
    """
    if _TAG_RE.fullmatch(value):
        return value
    if '"' in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        raise ValueError(f"An entity tag cannot contain quotes, spaces or controls: {value!r}")
    return f'"{value}"'


def format_http_date(value: datetime | str) -> str:
    """Render a datetime (naive ones are taken as UTC) or check an HTTP-date.

    Raises:
        ValueError: for a string that is not an HTTP-date.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return http_date(value)
    if parse_date(value) is None:
        raise ValueError(f"Not an HTTP-date: {value!r}")
    return value


def content_etag(data: bytes) -> str:
    """A strong tag derived from the bytes themselves, for `auto_etag`."""
    return f'"{generate_etag(data)}"'


def parse_etag_list(value: str | None) -> list[str] | None:
    """Parse an `If-Match`/`If-None-Match` value into its tags.

    Returns:
        `["*"]` for the wildcard, the tags for a valid list, and None when the
        header is absent or malformed (the RFC says to ignore it then).
    """
    if value is None:
        return None
    if value.strip() == "*":
        return ["*"]
    if not _TAG_LIST.fullmatch(value):
        return None
    return _TAG_RE.findall(value)


def _strong_match(tags: list[str], etag: str) -> bool:
    if tags == ["*"]:
        return True
    return not etag.startswith("W/") and etag in tags


def _weak_match(tags: list[str], etag: str) -> bool:
    if tags == ["*"]:
        return True
    core = etag.removeprefix("W/")
    return any(tag.removeprefix("W/") == core for tag in tags)


def _joined(headers: Headers, name: str) -> str | None:
    values = headers.getlist(name)
    return ", ".join(values) if values else None


def _date(headers: Headers, name: str) -> datetime | None:
    values = headers.getlist(name)
    return parse_date(values[0]) if len(values) == 1 else None


def evaluate(
    method: str, headers: Headers, etag: str | None, modified: datetime | None
) -> int | None:
    """Decide the outcome of a request's preconditions against current validators.

    Follows RFC 9110 §13.2.2's order. Each precondition is evaluated only when
    its validator is known (`etag` for `If-Match`/`If-None-Match`, `modified`
    for the date fields); a malformed field is ignored as though absent.

    Returns:
        304 or 412 when the request's conditions say so, else None.
    """
    none_match = parse_etag_list(_joined(headers, "If-None-Match"))
    if method in _SAFE:
        if none_match is not None:
            if etag is not None and _weak_match(none_match, etag):
                return 304
            return None
        since = _date(headers, "If-Modified-Since") if modified is not None else None
        if since is not None and modified is not None and modified <= since:
            return 304
        return None
    if_match = parse_etag_list(_joined(headers, "If-Match"))
    if if_match is not None:
        if etag is not None and not _strong_match(if_match, etag):
            return 412
    elif modified is not None:
        unmodified = _date(headers, "If-Unmodified-Since")
        if unmodified is not None and modified > unmodified:
            return 412
    if none_match is not None and etag is not None and _weak_match(none_match, etag):
        return 412
    return None


def apply_preconditions(
    req: Request, resp: Response, codec: Codec, *, auto_etag: bool, settings: Any
) -> None:
    """Answer 304 or 412 instead of a successful response when the request asks.

    Runs while the response is finalized, after media is rendered (so an
    automatic tag hashes the bytes actually sent) and before framing. Only a
    response that would succeed (2xx) is considered: a 404 stays a 404.
    """
    if not 200 <= resp.status_code < 300:
        return
    headers = resp.headers
    etags = headers.getlist("ETag")
    if (
        auto_etag
        and not etags
        and req.method in _SAFE
        and resp.stream_body is None
        and resp.content is not None
    ):
        headers["ETag"] = tag = content_etag(resp.content)
        etags = [tag]
    asked = req.headers
    if not any(asked.getlist(name) for name in _CONDITIONS):
        return  # the common case: nothing to compare, so no date to parse
    stamps = headers.getlist("Last-Modified")
    etag = etags[0] if etags else None
    modified = parse_date(stamps[0]) if stamps else None
    if etag is None and modified is None:
        return
    outcome = evaluate(req.method, asked, etag, modified)
    if outcome == 304:
        resp.clear_body()
        for name in _NOT_ON_304:
            headers.pop(name, None)
        resp.status_code = 304
    elif outcome == 412:
        resp.clear_body()
        headers.pop("Content-Disposition", None)
        detail = "The resource has changed since the precondition was computed."
        render_error(settings, codec, req, resp, HTTPError(412, detail))
