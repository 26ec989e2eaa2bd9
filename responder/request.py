"""The request: werkzeug's sans-IO request plus a body and per-request state.

Async handlers use the awaitable forms (`await req.content`, `await req.text`,
`await req.media()`, `async for chunk in req.stream()`); sync handlers use the
`*_sync` twins, which never need an event loop. Both work in both modes: the
adapter behind the body decides how bytes are fetched.
"""

from __future__ import annotations

import codecs
import urllib.parse
from collections.abc import AsyncIterator, Coroutine, Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers, ImmutableMultiDict, MultiDict
from werkzeug.http import parse_options_header
from werkzeug.sansio.request import Request as SansIORequest
from werkzeug.utils import cached_property

from .body import EMPTY, Body
from .errors import HTTPError
from .formats import SHALLOW, Codec, check_depth, format_for_content_type, negotiate
from .multipart import (
    DEFAULT_LIMITS,
    FormData,
    MultipartLimits,
    MultipartParser,
    boundary_of,
    read_multipart,
    read_multipart_sync,
)
from .response import first_header

if TYPE_CHECKING:
    from .api import API

__all__ = ["Address", "Request", "State"]

_DEFAULT_CODEC = Codec()
_FORM_PARTS_LIMIT = 1000


class Address(NamedTuple):
    """A peer's address: host and port (port 0 when the server did not say)."""

    host: str
    port: int


class State(SimpleNamespace):
    """A free-form namespace for values that live as long as their owner."""


class Request(SansIORequest):
    """An HTTP request, independent of the protocol it arrived through.

    Args:
        method, scheme, server, root_path, path, query_string, headers,
        remote_addr: as for `werkzeug.sansio.request.Request`.
        body: The request body; empty when omitted.
        api: The application handling the request.
        client_port: The peer's port, when the server reports it.
    """

    #: The application handling the request, once it is known.
    api: API | None = None
    _client_port = 0
    #: The route that matched, once routing is done.
    route: Any = None
    #: The calls closing its generator dependencies once the response is
    #: sent: the resolver's list, not the resolver, which refers back to the
    #: request (a cycle only the garbage collector could free).
    teardowns: list[Any] | None = None
    #: The parsed multipart body, once something has read it.
    form_data: FormData | None = None

    def __init__(
        self,
        method: str,
        scheme: str,
        server: tuple[str, int | None] | None,
        root_path: str,
        path: str,
        query_string: bytes,
        headers: Headers,
        remote_addr: str | None,
        *,
        body: Body | None = None,
        api: API | None = None,
        client_port: int = 0,
    ) -> None:
        # SansIORequest.__init__'s assignments, made here rather than through
        # super(): a request is built for every call, and the attributes that
        # start as None are class defaults above, for the same reason.
        self.method = method.upper()
        self.scheme = scheme
        self.server = server
        self.root_path = root_path.rstrip("/")
        self.path = "/" + path.lstrip("/")
        self.query_string = query_string
        self.headers = headers
        self.remote_addr = remote_addr
        self._body = body if body is not None else Body(EMPTY)
        if client_port:
            self._client_port = client_port
        if api is not None:
            self.api = api
        self.path_params: dict[str, Any] = {}

    @cached_property
    def state(self) -> State:
        """Per-request values shared by hooks, dependencies and the handler."""
        return State()

    @cached_property
    def args(self) -> MultiDict[str, str]:
        """The query string's parameters, parsed on first use.

        werkzeug's version always runs `parse_qsl` and decodes strictly; most
        query strings have nothing to unquote, so they are split directly, and
        bytes that are not UTF-8 are read as latin-1 instead of failing.
        """
        raw = self.query_string
        if not raw:
            return ImmutableMultiDict()
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        if "%" in text or "+" in text:
            pairs = parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")
        else:
            pairs = [
                (key, value) for key, _, value in (p.partition("=") for p in text.split("&") if p)
            ]
        return ImmutableMultiDict(pairs)

    @cached_property
    def mimetype(self) -> str:
        """The body's media type, lowercased, without parameters."""
        values = self.headers.getlist("Content-Type")
        if not values or not values[0]:
            return ""
        value = values[0]
        if ";" not in value:
            return value.strip().lower()
        return value.split(";", 1)[0].strip().lower()

    @cached_property
    def mimetype_params(self) -> dict[str, str]:
        """The parameters of the body's media type, such as `charset`."""
        value = first_header(self.headers, "Content-Type")
        if not value or ";" not in value:
            return {}
        return parse_options_header(value)[1]

    @cached_property
    def params(self) -> MultiDict[str, str]:
        """The query string's parameters; `getlist` returns repeated keys."""
        return self.args

    @property
    def full_url(self) -> str:
        """The URL the client asked for, query string included."""
        return self.url

    @property
    def client(self) -> Address | None:
        """The peer's address, when the server reports it."""
        if self.remote_addr is None:
            return None
        return Address(self.remote_addr, self._client_port)

    @property
    def encoding(self) -> str:
        """The body's declared charset, UTF-8 when none is declared.

        Raises:
            HTTPError: 415 for a charset Python does not know.
        """
        charset = self.mimetype_params.get("charset", "utf-8")
        try:
            codecs.lookup(charset)
        except LookupError:
            raise HTTPError(415, f"Unsupported charset {charset[:40]!r}.") from None
        return charset

    @property
    def _limits(self) -> MultipartLimits:
        limits = self.api.settings.multipart_limits if self.api is not None else None
        return limits or DEFAULT_LIMITS

    @property
    def codec(self) -> Codec:
        return self.api.codec if self.api is not None else _DEFAULT_CODEC

    # -- content negotiation --------------------------------------------------

    def accepts(self, content_type: str) -> bool:
        """Tell whether the client's `Accept` header admits `content_type`."""
        if not first_header(self.headers, "Accept"):
            return True
        return self.accept_mimetypes.quality(content_type) > 0

    def preferred_media_type(self, candidates: list[str] | tuple[str, ...]) -> str | None:
        """Return the candidate the client prefers (ties keep your order), or None."""
        return negotiate(first_header(self.headers, "Accept"), tuple(candidates))

    @property
    def last_event_id(self) -> str | None:
        """The id of the last Server-Sent Event a reconnecting client saw."""
        return first_header(self.headers, "Last-Event-ID")

    # -- the body, asynchronously -------------------------------------------

    @property
    def content(self) -> Coroutine[Any, Any, bytes]:
        """The whole body as bytes: `await req.content`."""
        return self._body.read()

    @property
    def text(self) -> Coroutine[Any, Any, str]:
        """The whole body decoded with its charset: `await req.text`."""
        return self._text()

    async def _text(self) -> str:
        return (await self._body.read()).decode(self.encoding, "replace")

    def stream(self) -> AsyncIterator[bytes]:
        """Iterate the body in chunks as they arrive: `async for chunk in req.stream()`."""
        return self._body.aiter()

    async def media(self, format: str | None = None) -> Any:
        """Decode the body as JSON, YAML, MessagePack or a form.

        Args:
            format: "json", "yaml", "msgpack", "form" or "files" (only the
                uploads of a multipart body); taken from the `Content-Type`
                when omitted.

        Raises:
            HTTPError: 400 for a malformed body, 415 for an unknown media type.
        """
        if format == "files":
            return await self.files()
        fmt = self._media_format(format)
        if fmt == "form":
            return await self.form()
        return self._decode(fmt, await self._body.read())

    async def form(self) -> dict[str, Any]:
        """Decode a urlencoded or multipart body into a dict.

        Multipart fields come back as `str` and files as `UploadFile`; a name
        sent several times maps to a list.
        """
        if self.mimetype == "multipart/form-data":
            if self.form_data is None:
                boundary = boundary_of(self.mimetype_params)
                self.form_data = await read_multipart(self._body, boundary, self._limits)
            return self.form_data.as_dict()
        return self._decode_form(await self._body.read())

    async def files(self) -> dict[str, Any]:
        """The uploaded files of a multipart body, as `form()` maps them; {} otherwise."""
        if self.mimetype != "multipart/form-data":
            return {}
        await self.form()
        assert self.form_data is not None
        return self.form_data.as_dict(files_only=True)

    # -- the body, synchronously ----------------------------------------------

    def content_sync(self) -> bytes:
        """The whole body as bytes, for sync handlers."""
        return self._body.read_sync()

    def text_sync(self) -> str:
        """The whole body decoded with its charset, for sync handlers."""
        return self._body.read_sync().decode(self.encoding, "replace")

    def stream_sync(self) -> Iterator[bytes]:
        """Iterate the body in chunks as they arrive, for sync handlers."""
        return self._body.iter_sync()

    def media_sync(self, format: str | None = None) -> Any:
        """Decode the body like `media()`, for sync handlers."""
        if format == "files":
            return self.files_sync()
        fmt = self._media_format(format)
        if fmt == "form":
            return self.form_sync()
        return self._decode(fmt, self._body.read_sync())

    def form_sync(self) -> dict[str, Any]:
        """Decode a urlencoded or multipart body like `form()`, for sync handlers."""
        if self.mimetype == "multipart/form-data":
            if self.form_data is None:
                boundary = boundary_of(self.mimetype_params)
                self.form_data = read_multipart_sync(self._body, boundary, self._limits)
            return self.form_data.as_dict()
        return self._decode_form(self._body.read_sync())

    def files_sync(self) -> dict[str, Any]:
        """The uploaded files of a multipart body, like `files()`, for sync handlers."""
        if self.mimetype != "multipart/form-data":
            return {}
        self.form_sync()
        assert self.form_data is not None
        return self.form_data.as_dict(files_only=True)

    def close_uploads(self) -> None:
        """Close the uploaded files; the pipeline calls this once the response is sent."""
        form_data, self.form_data = self.form_data, None
        if form_data is not None:
            form_data.close()

    # -- decoding -------------------------------------------------------------

    def _media_format(self, requested: str | None) -> str:
        if requested is not None:
            if requested == "files":
                return "form"
            if requested not in {"json", "yaml", "msgpack", "form"}:
                raise ValueError(f"Unknown media format {requested!r}")
            return requested
        mimetype = self.mimetype
        if not mimetype:
            return "json"
        fmt = format_for_content_type(mimetype)
        if fmt is None:
            raise HTTPError(415, f"Cannot decode a body of type {mimetype!r}.")
        return fmt

    def _decode(self, fmt: str, data: bytes) -> Any:
        if fmt == "form":
            return self._decode_form(data)
        if not data:
            return None
        if fmt == "yaml":
            value = Codec.load_yaml(data)
        elif fmt == "msgpack":
            value = Codec.load_msgpack(data)
        else:
            value = Codec.load_json(data)
        # A body this small cannot nest too deep; most are, so skip the call.
        return value if len(data) < SHALLOW else check_depth(value, len(data))

    def _decode_form(self, data: bytes) -> dict[str, Any]:
        if self.mimetype == "multipart/form-data":
            # Bytes already in hand (a body read whole); the streaming path is form().
            if self.form_data is None:
                parser = MultipartParser(boundary_of(self.mimetype_params), self._limits)
                parser.feed(data)
                self.form_data = parser.finish()
            return self.form_data.as_dict()
        try:
            text = data.decode(self.encoding)
        except UnicodeDecodeError:
            raise HTTPError(400, "Form body is not valid text.") from None
        try:
            pairs = urllib.parse.parse_qsl(
                text, keep_blank_values=True, max_num_fields=_FORM_PARTS_LIMIT
            )
        except ValueError:
            raise HTTPError(413, "Form body has too many fields.") from None
        return _flatten(MultiDict(pairs))


def _flatten(multi: MultiDict[str, Any]) -> dict[str, Any]:
    """One value per key, or a list where the key repeats."""
    return {k: v[0] if len(v) == 1 else v for k, v in multi.lists()}
