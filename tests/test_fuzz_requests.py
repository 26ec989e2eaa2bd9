"""Property-based fuzzing: hostile requests through both adapters must never earn a 5xx.

Hand-written bad-input tests cover the mistakes someone thought of; hypothesis
covers the combinations nobody did. Every generated request is sent through the
WSGI face and the ASGI face of one application, and each answer must be a
well-formed 1xx-4xx response: a 5xx, a traceback, a hang or a body that
contradicts its own headers is a framework bug, whatever the input was. The
same input must also get the same status from both faces, since one object
serving both protocols is the framework's promise.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import urllib.parse
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import msgpack
import pytest
import yaml
from fuzz_support import build, examples, send
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raw_http import asgi_scope, call_asgi, call_wsgi, wsgi_environ

import responder
from responder.adapters.testing import TestClient

# Hypothesis imports its patch writer (libcst, then mypy_extensions) only once a
# property has failed, and mypy_extensions warns on import; under `-W error` that
# turns every real failure into a pytest INTERNALERROR that hides it. Importing it
# now, with that one warning silenced, keeps failures readable.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "mypy_extensions", DeprecationWarning)
    with contextlib.suppress(ImportError):
        import hypothesis.extra._patching  # noqa: F401

MODES = ("wsgi", "asgi")
PROBLEM_JSON = "application/problem+json"
FUZZ = settings(
    max_examples=examples(250),  # deeper: set FUZZ_EXAMPLES
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# -- the application under fuzz -----------------------------------------------------


class Widget:
    """A class-based view: sync GET and POST, async PUT, like real resources mix them."""

    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = {"params": dict(req.params)}

    def on_post(self, req: Any, resp: Any) -> None:
        resp.media = {"got": req.media_sync()}

    async def on_put(self, req: Any, resp: Any) -> None:
        resp.media = {"got": await req.media()}


def build_api() -> responder.API:
    """An application whose routes read every part of a request a client controls."""
    api = responder.API()

    @api.route("/")
    def home(req: Any, resp: Any) -> None:
        resp.text = "home"

    @api.route("/echo")
    def echo(req: Any, resp: Any) -> None:
        resp.media = {"got": req.media_sync(), "params": dict(req.params)}

    @api.route("/aecho")
    async def aecho(req: Any, resp: Any) -> None:
        resp.media = {"got": await req.media(), "params": dict(req.params)}

    @api.route("/text")
    def text(req: Any, resp: Any) -> None:
        resp.text = req.text_sync()

    @api.route("/atext")
    async def atext(req: Any, resp: Any) -> None:
        resp.text = await req.text

    @api.route("/aform")
    async def aform(req: Any, resp: Any) -> None:
        form = await req.form()
        resp.media = {key: repr(value) for key, value in form.items()}

    @api.route("/items/{id:int}")
    def item(req: Any, resp: Any, *, id: int) -> None:
        resp.media = {"id": id}

    @api.route("/floats/{x:float}")
    async def floats(req: Any, resp: Any, *, x: float) -> None:
        resp.media = {"x": x}

    @api.route("/files/{p:path}")
    def files(req: Any, resp: Any, *, p: str) -> None:
        resp.media = {"p": p}

    @api.route("/uuids/{u:uuid}")
    def uuids(req: Any, resp: Any, *, u: uuid.UUID) -> None:
        resp.media = {"u": u}

    @api.route("/names/{name}")
    def names(req: Any, resp: Any, *, name: str) -> None:
        resp.media = {"name": name, "headers": dict(req.headers)}

    api.add_route("/widgets", Widget)
    return api


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, TestClient]]:
    """One app, one lenient client per protocol, shared by every example of the module.

    Module scope keeps hypothesis fast and free of function-scoped-fixture
    warnings; `raise_server_exceptions=False` makes a server error a 500 the
    properties can see instead of an exception that aborts the example.
    """
    api = build_api()
    with (
        api.test_client(mode="wsgi", raise_server_exceptions=False) as wsgi,
        api.test_client(mode="asgi", raise_server_exceptions=False) as asgi,
    ):
        yield {"wsgi": wsgi, "asgi": asgi}


@pytest.fixture(scope="module")
def raw_api() -> Iterator[responder.API]:
    """The same application, for tests that drive the adapters without an HTTP client.

    The WSGI lifespan is run around it here, so the adapter does not start the
    application itself and leave an `atexit` shutdown behind.
    """
    api = build_api()
    with api.wsgi_lifespan():
        yield api


# -- strategies ------------------------------------------------------------------------

ROUTE_PREFIXES = (
    "/",
    "/echo",
    "/aecho",
    "/text",
    "/atext",
    "/aform",
    "/items/",
    "/floats/",
    "/files/",
    "/uuids/",
    "/names/",
    "/widgets",
    "/nowhere/",
)
ESCAPES = ("%", "%%", "%zz", "%4", "%ff", "%C3%28", "%ed%a0%80", "%00", "%2F", "%2e%2e", "%25")
TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Visible ASCII, space and tab: what every HTTP stack lets through in a header value.
VALUE_CHARS = "".join(chr(c) for c in range(0x20, 0x7F)) + "\t"
METHODS = (
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "OPTIONS",
    "TRACE",
    "CONNECT",
    "PROPFIND",
    "MKCOL",
    "BREW",
    "M-SEARCH",
    "QUERY",
    "LINK",
)
KNOWN_HEADERS = (
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Authorization",
    "Cache-Control",
    "Content-Length",
    "Content-Type",
    "Cookie",
    "Forwarded",
    "If-Modified-Since",
    "If-None-Match",
    "Last-Event-ID",
    "Origin",
    "Range",
    "Referer",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Requested-With",
)
ACCEPTS = (
    "*/*",
    "application/json",
    "application/yaml",
    "application/x-yaml",
    "application/x-msgpack",
    "text/html",
    "application/json;q=0, */*;q=0",
    "garbage",
    "",
)
BODY_TYPES = (
    "application/json",
    "application/problem+json",
    "application/vnd.api+json",
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "application/x-msgpack",
    "application/msgpack",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
    "text/csv",
    "application/octet-stream",
    "image/png",
    "x/y",
    "",
)
CHARSETS = ("", "; charset=utf-8", "; charset=latin-1", "; charset=utf-16", "; charset=bogus")

segments = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="%./\\-_~?#;=&+ ", max_size=8),
    st.sampled_from(ESCAPES),
    st.sampled_from((".", "..", "", "-1", "0", "1.5", "-0.0", "1e3", "nan", "inf")),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
    st.uuids().map(str),
    st.builds(lambda n: "a" * n, st.integers(min_value=256, max_value=8_000)),
)
paths = st.builds(
    lambda prefix, parts: prefix + "/".join(parts),
    st.sampled_from(ROUTE_PREFIXES),
    st.lists(segments, max_size=4),
)
queries = st.one_of(
    st.text(max_size=40),
    st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=6).map(
        urllib.parse.urlencode
    ),
    st.lists(st.sampled_from((*ESCAPES, "&", "=", "a", "[]", ";", "+")), max_size=10).map("".join),
)
header_names = st.one_of(
    st.sampled_from(KNOWN_HEADERS), st.text(alphabet=TCHARS, min_size=1, max_size=20)
)
header_values = st.one_of(
    st.text(alphabet=VALUE_CHARS, max_size=60),
    st.sampled_from(ACCEPTS + BODY_TYPES),
    st.sampled_from(("-1", "abc", "0", "99999999999999999999", "1, 1", "a=b; c")),
)
#: One field per name: a WSGI environ can hold only one value per header, and
#: servers fold repeats in ways of their own, so repeats would compare the test
#: transports rather than the adapters.
headers = st.lists(
    st.tuples(header_names, header_values), max_size=6, unique_by=lambda field: field[0].lower()
)
methods = st.one_of(st.sampled_from(METHODS), st.text(alphabet=TCHARS, min_size=1, max_size=10))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _multipart(fields: list[tuple[str, bytes]], boundary: str) -> bytes:
    """A multipart body, well formed or not depending on what the strategy drew."""
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode("utf-8", "replace"))
        out.write(
            f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode("utf-8", "replace")
        )
        out.write(value + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode("utf-8", "replace"))
    return out.getvalue()


def _safe_dump(value: Any, dump: Any) -> bytes:
    """Serialise with `dump`, or fall back to repr when the format cannot hold `value`."""
    try:
        data = dump(value)
    except (TypeError, ValueError, OverflowError, yaml.YAMLError):
        data = repr(value)
    return data if isinstance(data, bytes) else str(data).encode("utf-8", "replace")


bodies = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: _safe_dump(v, json.dumps)),
    json_values.map(lambda v: _safe_dump(v, yaml.safe_dump)),
    json_values.map(lambda v: _safe_dump(v, msgpack.packb)),
    st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=8).map(
        lambda pairs: urllib.parse.urlencode(pairs).encode()
    ),
    st.builds(
        _multipart,
        st.lists(st.tuples(st.text(max_size=8), st.binary(max_size=32)), max_size=4),
        st.text(alphabet=TCHARS, min_size=1, max_size=12),
    ),
    st.integers(min_value=1, max_value=3_000).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from(
        (b"", b"{", b"\xc1", b"!!python/object/apply:os.system ['true']", b"a: *b", b"\x00")
    ),
)
content_types = st.builds(
    lambda kind, charset, boundary: kind + charset + boundary,
    st.sampled_from(BODY_TYPES),
    st.sampled_from(CHARSETS),
    st.sampled_from(("", "; boundary=", "; boundary=b", '; boundary="x y"')),
)


# -- sending and checking ---------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check(mode: str, method: str, response: httpx.Response) -> None:
    """Assert `response` is a client-side answer whose headers tell the truth about it."""
    status, body = response.status_code, response.content
    where = f"{mode} {method} {response.request.url!r} -> {status}: {body[:300]!r}"
    assert 100 <= status < 500, where
    assert b"Traceback" not in body and b'File "' not in body, where
    if method == "HEAD" or status in (204, 304):
        assert body == b"", where
    elif "content-length" in response.headers:
        assert int(response.headers["content-length"]) == len(body), where
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if media_type in (PROBLEM_JSON, "application/json") and method != "HEAD":
        document = json.loads(body, parse_constant=_refuse_constant)
        if media_type == PROBLEM_JSON:
            assert document["status"] == status, where
            assert {"type", "title"} <= document.keys(), where
    if status == 405:
        assert "allow" in response.headers, where
    if status in (301, 302, 303, 307, 308):
        assert "location" in response.headers, where


def exchange(clients: dict[str, TestClient], method: str, url: str, **kwargs: Any) -> None:
    """Send one request through both adapters; check each answer and that they agree."""
    statuses: dict[str, int] = {}
    for mode in MODES:
        client = clients[mode]
        request = build(client, method, url, **kwargs)
        response = send(client, request)
        check(mode, request.method, response)
        statuses[mode] = response.status_code
    assert statuses["wsgi"] == statuses["asgi"], f"{method} {url!r} {kwargs!r}: {statuses}"


# -- properties ----------------------------------------------------------------------


@FUZZ
@given(method=methods, path=paths)
def test_hostile_paths(clients: dict[str, TestClient], method: str, path: str) -> None:
    """Unicode, stray escapes, dot segments and huge segments, with any method."""
    exchange(clients, method, path)


@FUZZ
@given(method=methods, path=paths, query=queries, extra=headers)
def test_hostile_queries_and_headers(
    clients: dict[str, TestClient],
    method: str,
    path: str,
    query: str,
    extra: list[tuple[str, str]],
) -> None:
    """Random query strings and header fields, including ones the framework interprets."""
    exchange(clients, method, f"{path}?{query}", headers=extra)


@FUZZ
@given(
    method=st.sampled_from(("POST", "PUT", "PATCH", "DELETE", "GET")),
    path=st.sampled_from(("/echo", "/aecho", "/text", "/atext", "/aform", "/widgets")),
    content_type=content_types,
    body=bodies,
    accept=st.sampled_from(ACCEPTS),
)
def test_hostile_bodies(
    clients: dict[str, TestClient],
    method: str,
    path: str,
    content_type: str,
    body: bytes,
    accept: str,
) -> None:
    """Any bytes under any declared media type, read by sync and async handlers."""
    headers = {"Content-Type": content_type, "Accept": accept}
    exchange(clients, method, path, content=body, headers=headers)


@FUZZ
@given(
    method=st.sampled_from(("POST", "PUT")),
    path=st.sampled_from(("/echo", "/aecho", "/widgets")),
    value=json_values,
    fmt=st.sampled_from(("json", "yaml", "msgpack")),
    accept=st.sampled_from(ACCEPTS),
)
def test_well_formed_media_round_trips(
    clients: dict[str, TestClient], method: str, path: str, value: Any, fmt: str, accept: str
) -> None:
    """Valid documents in every format, echoed back in every format the client may ask for."""
    dumpers = {"json": json.dumps, "yaml": yaml.safe_dump, "msgpack": msgpack.packb}
    types = {
        "json": "application/json",
        "yaml": "application/yaml",
        "msgpack": "application/x-msgpack",
    }
    body = _safe_dump(value, dumpers[fmt])
    headers = {"Content-Type": types[fmt], "Accept": accept}
    exchange(clients, method, path, content=body, headers=headers)


# -- below the HTTP client: raw environs and scopes ---------------------------------------

raw_bytes = st.binary(max_size=40)
latin1_text = st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=40)


@FUZZ
@given(
    method=st.sampled_from(METHODS),
    path=latin1_text,
    prefix=st.sampled_from(ROUTE_PREFIXES),
    query=raw_bytes,
    content_length=st.one_of(
        latin1_text,
        st.integers(min_value=0, max_value=10**30).map(str),
        st.sampled_from(("", "-0", "+1", " 1", "1 ", "0x1", "\u00b2", "1\u00b3", "\u00bd")),
    ),
    content_type=st.one_of(latin1_text, content_types),
    extra=st.lists(
        st.tuples(st.text(alphabet=TCHARS, min_size=1, max_size=12), latin1_text), max_size=4
    ),
    body=bodies,
)
def test_raw_requests_through_both_adapters(
    raw_api: responder.API,
    loop: asyncio.AbstractEventLoop,
    method: str,
    path: str,
    prefix: str,
    query: bytes,
    content_length: str,
    content_type: str,
    extra: list[tuple[str, str]],
    body: bytes,
) -> None:
    """Header and path bytes no HTTP client would send, straight into each adapter.

    Servers pass header bytes through as latin-1, so every latin-1 string here
    is something a real client can make a real server hand to the application.
    """
    full_path = prefix + path
    environ = wsgi_environ(
        method,
        full_path,
        query=query.decode("latin-1"),
        body=body,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=content_length,
    )
    for name, value in extra:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    scope = asgi_scope(
        method,
        full_path,
        raw_path=full_path.encode("latin-1"),
        query=query,
        headers=[
            (b"content-type", content_type.encode("latin-1")),
            (b"content-length", content_length.encode("latin-1")),
            *((n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in extra),
        ],
    )
    results = {
        "wsgi": call_wsgi(raw_api, environ),
        "asgi": call_asgi(raw_api, loop, scope, body),
    }
    for mode, (status, payload) in results.items():
        where = f"{mode} {method} {full_path!r} CL={content_length!r} CT={content_type!r}"
        assert 100 <= status < 500, f"{where} -> {status}: {payload[:300]!r}"
        assert b"Traceback" not in payload, where
