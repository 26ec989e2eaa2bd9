"""The response: werkzeug's sans-IO response plus exactly one body.

A body is bytes, a sync iterable of bytes, an async iterable of bytes, or
(later) a file. `resp.media` stays a Python object until the response is
finalized, so negotiation happens once, with the request's `Accept` at hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.sansio.response import Response as SansIOResponse

from .formats import JSON, RENDERABLE, negotiate

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


class Response(SansIOResponse):
    """An HTTP response under construction.

    Handlers set `status_code`, `headers`, cookies and one of `text`,
    `content`, `media`, `html` or a stream. `status_set` records whether
    anything set the status explicitly: a before hook that does so
    short-circuits the handler.
    """

    default_mimetype = None

    def __init__(self, status_code: int = 200) -> None:
        # Skips SansIOResponse.__init__: it formats a status line and a
        # Content-Type that most responses overwrite anyway.
        self.headers = Headers()
        self._status_code = status_code
        self._status = ""
        self.status_set = False
        self._media: Any = UNSET
        self._content: bytes | None = None
        self.stream_body: StreamBody | None = None
        self.cookies: dict[str, str] = {}
        self.tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        #: The exception that became a 500, for test clients that re-raise it.
        self.unhandled: BaseException | None = None
        #: False for HEAD: headers describe a body that is not sent.
        self.send_body = True

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

    def background(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run `func(*args, **kwargs)` after the response has been sent."""
        self.tasks.append((func, args, kwargs))

    # -- finalizing -----------------------------------------------------------

    def finalize(self, req: Any, codec: Any) -> None:
        """Render media, cookies and framing once the handler is done.

        Called by the pipeline, not by handlers: it picks the media format from
        the request's `Accept`, encodes, sets `Content-Length` for byte bodies
        and drops the body of HEAD requests and bodiless statuses.
        """
        headers = self.headers
        if self._media is not UNSET:
            accept = first_header(req.headers, "Accept")
            mimetype = negotiate(accept, RENDERABLE) if accept and accept != "*/*" else JSON
            mimetype = mimetype or JSON
            self._content = codec.encode(self._media, mimetype)
            if not headers.getlist("Content-Type"):
                headers.add("Content-Type", mimetype)
            typed = True
        else:
            typed = False
        for name, value in self.cookies.items():
            self.set_cookie(name, value)
        code = self._status_code
        if code < 200 or code in (204, 304):
            self._content = None
            self.stream_body = None
            self.headers.pop("Content-Length", None)
            return
        if self.stream_body is None:
            content = self._content if self._content is not None else b""
            self._content = content
            headers["Content-Length"] = str(len(content))
            if content and not typed and not headers.getlist("Content-Type"):
                headers["Content-Type"] = "application/octet-stream"
        if req.method == "HEAD":
            self.send_body = False

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
