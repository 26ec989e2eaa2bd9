"""The response: werkzeug's sans-IO response plus exactly one body.

A body is bytes, a sync iterable of bytes, an async iterable of bytes, or
a file (`responder.files`). `resp.media` stays a Python object until the response is
finalized, so negotiation happens once, with the request's `Accept` at hand.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Callable, Iterable
from datetime import datetime
from functools import partial
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.http import dump_header, parse_date, quote_etag
from werkzeug.sansio.response import Response as SansIOResponse

from .conditional import apply_preconditions, format_etag, format_http_date
from .error_pages import PROBLEM_JSON
from .errors import status_phrase
from .files import CHUNK_SIZE, FileBody, PathArg, content_disposition, describe, guess_type, locate
from .formats import JSON, RENDERABLE, negotiate
from .ranges import apply_ranges
from .settings import Settings
from .sse import EVENT_STREAM_HEADERS, EventStream, event_stream

__all__ = ["UNSET", "Response", "first_header"]


def first_header(headers: Headers, name: str) -> str | None:
    """Return a header's first value or None.

    `Headers.get` raises and catches a KeyError internally for an absent
    header, which costs more than the rest of a small request's routing;
    `getlist` scans without raising.
    """
    values = headers.getlist(name)
    return values[0] if values else None


class _Unset:
    """Marks `resp.media` as never assigned (None is a valid media value)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

StreamBody = Iterable[bytes] | AsyncIterable[bytes]
_DEFAULT_SETTINGS = Settings()


class Response(SansIOResponse):
    """An HTTP response under construction.

    Handlers set `status_code`, `headers`, cookies and one of `text`,
    `content`, `media`, `html` or a stream. `status_set` records whether
    anything set the status explicitly: a before hook that does so
    short-circuits the handler.
    """

    default_mimetype = None

    # Immutable starting values live on the class: a response is built for
    # every request, and an assignment in `__init__` costs each time. Setting
    # one on an instance shadows the default, as usual.
    _status = ""
    status_set = False
    _media: Any = UNSET
    _content: bytes | None = None
    stream_body: StreamBody | None = None
    #: The exception that became a 500, for test clients that re-raise it.
    unhandled: BaseException | None = None
    #: False for HEAD: headers describe a body that is not sent.
    send_body = True
    #: Whether validators (or a file) make If-* headers worth reading.
    _conditional = False
    #: Whether `_media` is a problem document (`resp.problem`).
    _problem = False

    def __init__(self, status_code: int = 200) -> None:
        # Skips SansIOResponse.__init__: it formats a status line and a
        # Content-Type that most responses overwrite anyway.
        self.headers = Headers()
        self._status_code = status_code
        self.cookies: dict[str, str] = {}
        self.tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    # -- status -------------------------------------------------------------

    @property
    def status_code(self) -> int:
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self._status_code = int(code)
        self._status = ""
        self.status_set = True

    @property
    def status(self) -> str:
        if not self._status:
            self._status, _ = self._clean_status(self._status_code)
        return self._status

    @status.setter
    def status(self, value: Any) -> None:
        self._status, self._status_code = self._clean_status(value)
        self.status_set = True

    # -- bodies -------------------------------------------------------------

    @property
    def media(self) -> Any:
        """A Python object rendered in the format the client prefers."""
        return None if self._media is UNSET else self._media

    @media.setter
    def media(self, value: Any) -> None:
        self._media = value
        self._problem = False
        self._content = None
        self.stream_body = None

    @property
    def has_media(self) -> bool:
        return self._media is not UNSET

    @property
    def content(self) -> bytes | None:
        """The body as bytes; `Content-Type` defaults to `application/octet-stream`."""
        return self._content

    @content.setter
    def content(self, value: bytes) -> None:
        self._media = UNSET
        self.stream_body = None
        self._content = bytes(value)

    @property
    def text(self) -> str | None:
        """The body as text; setting it makes the body `text/plain` UTF-8."""
        return None if self._content is None else self._content.decode("utf-8", "replace")

    @text.setter
    def text(self, value: str) -> None:
        self._set_content(value.encode("utf-8"), "text/plain; charset=utf-8")

    @property
    def html(self) -> str | None:
        """The body as HTML; setting it makes the body `text/html` UTF-8."""
        return self.text

    @html.setter
    def html(self, value: str) -> None:
        self._set_content(value.encode("utf-8"), "text/html; charset=utf-8")

    def _set_content(self, data: bytes, content_type: str) -> None:
        self._media = UNSET
        self.stream_body = None
        self._content = data
        self.headers["Content-Type"] = content_type

    def stream(self, source: Any) -> Any:
        """Send a body produced piece by piece.

        Takes an iterable (sync or async) of bytes or str, or, used as a
        decorator, a function returning one (`@resp.stream`).

        Returns:
            `source` unchanged, so the decorator form keeps the function.
        """
        body = source() if callable(source) else source
        self._media = UNSET
        self._content = None
        self.stream_body = body
        return source

    def sse(self, source: Any = None, *, heartbeat: float | None = None) -> Any:
        """Send Server-Sent Events: `@resp.sse` or `@resp.sse(heartbeat=15)`.

        Decorates a generator function (sync or async), which is called to
        produce the stream; `responder.sse` frames what it yields.

        Returns:
            `source` unchanged; without it, the decorator taking it.
        """
        if source is None:
            return partial(self.sse, heartbeat=heartbeat)
        self.stream(event_stream(source() if callable(source) else source, heartbeat))
        self.headers.update(EVENT_STREAM_HEADERS)
        return source

    def background(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run `func(*args, **kwargs)` after the response has been sent."""
        self.tasks.append((func, args, kwargs))

    # -- files (responder.files, responder.ranges) ----------------------------

    def file(
        self, path: PathArg, content_type: str | None = None, root: PathArg | None = None
    ) -> None:
        """Send a file, streamed from disk, answering `Range` and `If-*` requests.

        Args:
            path: The file; taken as untrusted and jailed when `root` is given.
            content_type: Overrides the type guessed from the file name.
            root: A directory the file must lie inside (symlinks resolved).

        Raises:
            HTTPError: 404 when there is no regular file there (or it escapes `root`).
        """
        self.stream_file(path, content_type=content_type, root=root)

    def stream_file(
        self,
        path: PathArg,
        content_type: str | None = None,
        root: PathArg | None = None,
        *,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        """Send a file in chunks of `chunk_size`; otherwise the same as `file`."""
        target, info = locate(path, root)
        self._send_file(FileBody(target, info, chunk_size), content_type or guess_type(target))

    def download(
        self,
        path: PathArg,
        filename: str | None = None,
        root: PathArg | None = None,
        content_type: str | None = None,
    ) -> None:
        """Send a file as an attachment saved under `filename` (the file's own name by default)."""
        target, info = locate(path, root)
        # The name asked for, not the resolved one: a symlink keeps its own name.
        name = filename if filename is not None else os.path.basename(os.fspath(path))
        if content_type is None:
            content_type = guess_type(target)
            if content_type == "application/octet-stream":
                content_type = guess_type(name)
        self._send_file(FileBody(target, info), content_type)
        self.headers["Content-Disposition"] = content_disposition(name)

    def _send_file(self, body: FileBody, content_type: str) -> None:
        self._media = UNSET
        self._content = None
        self.stream_body = body
        self.headers["Content-Type"] = content_type
        self._conditional = True

    # -- validators and caching (responder.conditional) -----------------------

    @property
    def etag(self) -> str | None:
        """The entity tag as sent (quoted); set a bare value and it is quoted.

        `W/"..."` sets a weak tag. Setting it enables 304 and 412 answers.
        """
        values = self.headers.getlist("ETag")
        return values[0] if values else None

    @etag.setter
    def etag(self, value: str | None) -> None:
        if value is None:
            self.headers.pop("ETag", None)
            return
        self.headers["ETag"] = format_etag(str(value))
        self._conditional = True

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """werkzeug's spelling of `resp.etag = ...`, kept so either works."""
        self.etag = quote_etag(etag, weak)

    @property
    def last_modified(self) -> datetime | None:
        """When the resource last changed; a datetime or an HTTP-date string.

        Setting it enables 304 (`If-Modified-Since`) and 412
        (`If-Unmodified-Since`) answers.
        """
        values = self.headers.getlist("Last-Modified")
        return parse_date(values[0]) if values else None

    @last_modified.setter
    def last_modified(self, value: datetime | str | None) -> None:
        if value is None:
            self.headers.pop("Last-Modified", None)
            return
        self.headers["Last-Modified"] = format_http_date(value)
        self._conditional = True

    def cache_control(self, **directives: Any) -> None:  # type: ignore[override]
        """Set `Cache-Control`: `max_age=60` is `max-age=60`, True a bare directive.

        False or None leaves a directive out.
        """
        items = {
            name.replace("_", "-"): None if value is True else value
            for name, value in directives.items()
            if value is not False and value is not None
        }
        self.headers["Cache-Control"] = dump_header(items)

    # -- REST shorthands --------------------------------------------------------

    def created(self, body: Any = None, *, location: str | None = None) -> None:
        """Answer 201 Created, pointing at the new resource with `Location`."""
        self.status_code = 201
        if location is not None:
            self.headers["Location"] = location
        if isinstance(body, str):
            self.text = body
        elif isinstance(body, bytes):
            self.content = body
        elif body is not None:
            self.media = body

    def no_content(self) -> None:
        """Answer 204 No Content, dropping any body set so far."""
        self.clear_body()
        self.status_code = 204

    def problem(
        self, status: int, detail: str | None = None, *, type: str = "about:blank", **members: Any
    ) -> None:
        """Answer with an RFC 9457 problem+json body, the envelope of framework errors.

        Args:
            status: The HTTP status.
            detail: What went wrong this time, for humans.
            type: A URI naming the kind of problem.
            **members: `title`, `instance` or extension members.
        """
        document: dict[str, Any] = {"type": type, "title": status_phrase(status), "status": status}
        if detail is not None:
            document["detail"] = detail
        document.update(members)
        self.status_code = status
        self.media = document
        self._problem = True

    # -- finalizing -----------------------------------------------------------

    def finalize(self, req: Any, codec: Any) -> None:
        """Render media, cookies and framing once the handler is done.

        Called by the pipeline, not by handlers: it picks the media format from
        the request's `Accept`, encodes, sets `Content-Length` for byte bodies
        and drops the body of HEAD requests and bodiless statuses.
        """
        code = self._status_code
        api = getattr(req, "api", None)
        if (
            self.stream_body is None
            and not (self._problem or self._conditional or self.cookies)
            and code >= 200
            and code != 204
            and code != 304
            and (api is None or not api.settings.auto_etag)
        ):
            self._finalize_bytes(req, codec)
            return
        headers = self.headers
        if isinstance(self.stream_body, EventStream):
            self.stream_body.codec = codec  # data is JSON-encoded the API's way
        if self._problem and self._media is not UNSET:
            self._render_problem(req, codec)
        if self._media is not UNSET:
            mimetype = _media_type(req)
            self._content = codec.encode(self._media, mimetype)
            if not headers.getlist("Content-Type"):
                headers.add("Content-Type", mimetype)
            typed = True
        else:
            typed = False
        if self._conditional or _settings(req).auto_etag:
            self._check_preconditions(req, codec)
        for name, value in self.cookies.items():
            self.set_cookie(name, value)
        code = self._status_code
        if code < 200 or code in (204, 304):
            self._content = None
            self.stream_body = None
            self.headers.pop("Content-Length", None)
            return
        if self._conditional and isinstance(self.stream_body, FileBody):
            apply_ranges(req, self, self.stream_body, codec, _settings(req))
        if self.stream_body is None:
            content = self._content if self._content is not None else b""
            self._content = content
            headers["Content-Length"] = str(len(content))
            if content and not typed and not headers.getlist("Content-Type"):
                headers["Content-Type"] = "application/octet-stream"
        if req.method == "HEAD":
            self.send_body = False

    def _finalize_bytes(self, req: Any, codec: Any) -> None:
        """`finalize` for most responses: bytes or media, no validators, no cookies.

        The same steps as the general path, minus the checks that cannot
        apply (streams, problems, preconditions, ranges, bodiless statuses),
        since every request pays for them. When the handler set no header,
        ours go straight into werkzeug's store (`Headers._list`): the values
        are our own constants and a formatted length, so the setters'
        newline validation and key scans have nothing to find.
        """
        headers = self.headers
        store = headers._list
        media = self._media
        if media is not UNSET:
            accept = req.headers.getlist("Accept")  # `_media_type`, written out for this hot path
            if not accept or accept[0] == "*/*" or not accept[0]:
                mimetype = JSON
                content = codec.dump_json(media)
            else:
                mimetype = negotiate(accept[0], RENDERABLE) or JSON
                content = codec.encode(media, mimetype)
            if not store:
                store.append(("Content-Type", mimetype))
                store.append(("Content-Length", str(len(content))))
            else:
                if not headers.getlist("Content-Type"):
                    headers.add("Content-Type", mimetype)
                headers["Content-Length"] = str(len(content))
        else:
            content = self._content if self._content is not None else b""
            if not store:
                store.append(("Content-Length", str(len(content))))
                if content:
                    store.append(("Content-Type", "application/octet-stream"))
            else:
                headers["Content-Length"] = str(len(content))
                if content and not headers.getlist("Content-Type"):
                    headers["Content-Type"] = "application/octet-stream"
        self._content = content
        if req.method == "HEAD":
            self.send_body = False

    def _render_problem(self, req: Any, codec: Any) -> None:
        """Encode `resp.problem`'s document as JSON, as framework errors are."""
        document = self._media
        document.setdefault("instance", req.path)
        handler = _settings(req).problem_handler
        if handler is not None:
            handler(req, document)
        self._content = codec.dump_json(document)
        self._media = UNSET
        self.headers["Content-Type"] = PROBLEM_JSON

    def _check_preconditions(self, req: Any, codec: Any) -> None:
        settings = _settings(req)
        if isinstance(self.stream_body, FileBody):
            describe(self, self.stream_body)
        apply_preconditions(req, self, codec, auto_etag=settings.auto_etag, settings=settings)

    def clear_body(self) -> None:
        """Forget any body set so far, closing a sync stream that will not be sent."""
        close = getattr(self.stream_body, "close", None)
        if close is not None:
            close()
        self.stream_body = None
        self._media = UNSET
        self._content = None
        self.headers.pop("Content-Type", None)
        self.headers.pop("Content-Length", None)


def _media_type(req: Any) -> str:
    """The format `resp.media` is rendered in: the client's pick, else JSON."""
    values = req.headers.getlist("Accept")
    if not values or values[0] == "*/*" or not values[0]:
        return JSON
    return negotiate(values[0], RENDERABLE) or JSON


def _settings(req: Any) -> Settings:
    """The settings of the API serving `req` (defaults for a bare request)."""
    api = getattr(req, "api", None)
    return api.settings if api is not None else _DEFAULT_SETTINGS
