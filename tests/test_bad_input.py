"""Hostile and malformed input must end in a 4xx answer, never a 5xx or a traceback.

A client controls every byte of a request, so anything a client can send wrongly
(a broken body, a lying header, a path that is not UTF-8) is the client's error.
Answering it with a 500 would page an operator for someone else's mistake and
could leak internals; these tests pin the 4xx each mistake should get, through
both protocol faces of the same application.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
import yaml
from raw_http import asgi_scope, wsgi_environ

import responder
from responder.adapters.testing import TestClient

PROBLEM_JSON = "application/problem+json"
TRACEBACK_MARKERS = ("Traceback", 'File "')

#: The two ways a handler reads a body; both must fail the same, cleanly.
READERS = ("sync", "async")


@pytest.fixture(autouse=True)
def routes(api: responder.API) -> responder.API:
    """Give every test the same small application: body readers and typed params."""

    @api.route("/sync/media", methods=["POST"])
    def sync_media(req: Any, resp: Any) -> None:
        resp.media = {"got": req.media_sync()}

    @api.route("/async/media", methods=["POST"])
    async def async_media(req: Any, resp: Any) -> None:
        resp.media = {"got": await req.media()}

    @api.route("/sync/text", methods=["POST"])
    def sync_text(req: Any, resp: Any) -> None:
        resp.text = req.text_sync()

    @api.route("/async/text", methods=["POST"])
    async def async_text(req: Any, resp: Any) -> None:
        resp.text = await req.text

    @api.route("/params")
    def params(req: Any, resp: Any) -> None:
        resp.media = {key: req.params.getlist(key) for key in req.params}

    @api.route("/items/{id:int}")
    def item(req: Any, resp: Any, *, id: int) -> None:
        resp.media = {"id": id}

    @api.route("/names/{name}")
    def name(req: Any, resp: Any, *, name: str) -> None:
        resp.media = {"name": name}

    return api


@pytest.fixture
def lenient(api: responder.API, mode: str) -> Iterator[TestClient]:
    """A client that turns server errors into 500 responses, so a 5xx is observable."""
    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        yield client


def assert_problem(response: Any, status: int, *, detail: bool = True) -> dict[str, Any]:
    """Check `response` is an RFC 9457 problem with `status` and no leaked internals.

    `detail` is optional in RFC 9457; a client error caused by the request's
    content must carry one, though, or the client cannot tell what to fix.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
    problem = response.json()
    required = {"type", "title", "status", "detail"} if detail else {"type", "title", "status"}
    assert required <= problem.keys(), problem
    assert problem["status"] == status
    assert_no_traceback(response)
    return dict(problem)


def assert_no_traceback(response: Any) -> None:
    """A client must never see a stack trace: it leaks paths and code."""
    for marker in TRACEBACK_MARKERS:
        assert marker not in response.text, response.text


def post(client: TestClient, reader: str, what: str, body: bytes, content_type: str) -> Any:
    """POST `body` to the `reader` flavour of the `what` route."""
    return client.post(f"/{reader}/{what}", content=body, headers={"Content-Type": content_type})


# -- malformed bodies ------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "body",
    [b"{", b"{bad json}", b'{"a": 1,}', b"[1, 2", b"NaN", b"\xff\xfe\x00", b'"\\ud800"x'],
    ids=["open-brace", "bare-word", "trailing-comma", "unclosed", "nan", "binary", "junk-after"],
)
def test_malformed_json_is_a_400_problem(client: TestClient, reader: str, body: bytes) -> None:
    """Broken JSON is the client's fault: a 400 problem that says so, without a traceback."""
    problem = assert_problem(post(client, reader, "media", body, "application/json"), 400)
    assert "JSON" in problem["detail"]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "body",
    [b"a: [1, 2", b"key: 'unterminated", b"a: b: c", b"\t- tab indented", b"a: \xc3\x28 not utf-8"],
    ids=["unclosed-flow", "unterminated-quote", "double-colon", "tab", "not-utf8"],
)
def test_malformed_yaml_is_a_400_problem(client: TestClient, reader: str, body: bytes) -> None:
    """A YAML parser error is reported as a 400, not passed on as an exception."""
    assert_problem(post(client, reader, "media", body, "application/yaml"), 400)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "body",
    [b"\xc1", b"\x92\x01", b"\x01\x02", b"\xdb\xff\xff\xff\xff", b"\x91" * 100_000],
    ids=["reserved-byte", "short-array", "extra-data", "huge-str-length", "too-deep"],
)
def test_malformed_msgpack_is_a_400_problem(client: TestClient, reader: str, body: bytes) -> None:
    """Truncated, trailing or over-deep MessagePack is a 400, whatever msgpack raised."""
    assert_problem(post(client, reader, "media", body, "application/x-msgpack"), 400)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("content_type", ["text/csv", "application/octet-stream", "image/png"])
def test_unsupported_media_type_is_a_415(
    client: TestClient, reader: str, content_type: str
) -> None:
    """A body in a format the server cannot decode is 415, so the client can switch format."""
    assert_problem(post(client, reader, "media", b"a,b\n1,2\n", content_type), 415)


@pytest.mark.parametrize("reader", READERS)
def test_deeply_nested_json_is_a_400(client: TestClient, reader: str) -> None:
    """100 000 levels of nesting must not exhaust the stack and become a 500."""
    body = b"[" * 100_000 + b"]" * 100_000
    assert_problem(post(client, reader, "media", body, "application/json"), 400)


@pytest.mark.parametrize("reader", READERS)
def test_deeply_nested_unterminated_json_is_a_400(client: TestClient, reader: str) -> None:
    """The unterminated form of the same attack is refused too."""
    assert_problem(post(client, reader, "media", b"[" * 100_000, "application/json"), 400)


@pytest.mark.parametrize("reader", READERS)
def test_deeply_nested_yaml_is_a_400(client: TestClient, reader: str) -> None:
    """The YAML loader recurses per level; a RecursionError must still be a 400."""
    body = b"[" * 100_000 + b"]" * 100_000
    assert_problem(post(client, reader, "media", body, "application/yaml"), 400)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "body",
    [
        b"!!python/object/apply:os.system ['echo pwned']",
        b"!!python/object/new:subprocess.Popen [['true']]",
        b"a: !!python/name:os.system",
        b"!!python/object:collections.OrderedDict {}",
    ],
    ids=["apply", "new", "name", "object"],
)
def test_yaml_python_tags_are_refused(client: TestClient, reader: str, body: bytes) -> None:
    """Only the safe loader may run on client YAML; python tags would execute code."""
    problem = assert_problem(post(client, reader, "media", body, "application/yaml"), 400)
    assert "pwned" not in json.dumps(problem)


@pytest.mark.parametrize("reader", READERS)
def test_too_many_urlencoded_fields_is_a_4xx(client: TestClient, reader: str) -> None:
    """A form with thousands of fields is refused before it costs memory and CPU."""
    body = urllib.parse.urlencode({f"f{i}": "v" for i in range(5_000)}).encode()
    response = post(client, reader, "media", body, "application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("reader", READERS)
def test_too_many_multipart_parts_is_a_4xx(lenient: TestClient, reader: str) -> None:
    """The multipart parser's part limit must map to a 4xx, like the urlencoded one."""
    body = b"".join(
        b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i for i in range(1_100)
    )
    response = post(
        lenient, reader, "media", body + b"--b--\r\n", "multipart/form-data; boundary=b"
    )
    assert 400 <= response.status_code < 500, response.text
    assert_no_traceback(response)


@pytest.mark.parametrize("reader", READERS)
def test_urlencoded_form_in_an_unknown_charset_is_a_415(client: TestClient, reader: str) -> None:
    """A charset Python does not know cannot decode the form: an unsupported media type."""
    response = post(
        client, reader, "media", b"a=1", "application/x-www-form-urlencoded; charset=bogus"
    )
    assert_problem(response, 415)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("charset", ["bogus", "utf-99", "x" * 200], ids=["bogus", "utf-99", "long"])
def test_text_in_an_unknown_charset_is_not_a_500(
    lenient: TestClient, reader: str, charset: str
) -> None:
    """`req.text` decodes with the client's charset; an unknown one is the client's error."""
    response = post(lenient, reader, "text", b"hello", f"text/plain; charset={charset}")
    assert response.status_code == 415, response.text
    assert_no_traceback(response)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/yaml", b"2001-01-01: a date as a key"),
        ("application/yaml", b"a: 123456789012345678901234567890"),
        ("application/yaml", b'a: "\\ud800"'),
        ("application/x-msgpack", msgpack.packb({b"bytes-key": 1}, use_bin_type=True)),
        ("application/x-msgpack", b"\xd6\xff\x00\x00\x00\x00"),  # a Timestamp ext
    ],
    ids=[
        "yaml-date-key",
        "yaml-bigint",
        "yaml-lone-surrogate",
        "msgpack-bytes-key",
        "msgpack-timestamp",
    ],
)
@pytest.mark.parametrize("accept", ["application/json", "application/x-msgpack"])
def test_decoded_media_can_be_sent_back(
    lenient: TestClient, reader: str, content_type: str, body: bytes, accept: str
) -> None:
    """What the framework decoded from a client, `resp.media` must be able to encode.

    Echoing a request is the commonest handler there is; if the decoder accepts
    a value the encoder rejects, any client can turn an echo into a 500.
    """
    response = lenient.post(
        f"/{reader}/media", content=body, headers={"Content-Type": content_type, "Accept": accept}
    )
    assert response.status_code < 500, response.text
    assert_no_traceback(response)


# -- the request line -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/items/%ff", "/items/%C3%28", "/names/%ff", "/names/%C3%28", "/names/%80abc", "/%ed%a0%80"],
)
def test_path_that_is_not_utf8_is_a_4xx(lenient: TestClient, path: str) -> None:
    """Percent-escapes that do not decode as UTF-8 cannot name a route: 400 or 404."""
    response = lenient.get(path)
    assert response.status_code in (400, 404), response.text
    assert_problem(response, response.status_code, detail=False)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/names/%C3%A9", "\u00e9"),
        ("/names/\u00e9t\u00e9", "\u00e9t\u00e9"),
        ("/names/%E6%97%A5", "\u65e5"),
    ],
    ids=["escaped", "raw-latin", "escaped-cjk"],
)
def test_utf8_paths_are_routed(client: TestClient, path: str, name: str) -> None:
    """The control for the not-UTF-8 tests: valid non-ASCII paths reach their route."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.json() == {"name": name}


@pytest.mark.parametrize("path", ["/names/%ff", "/items/%C3%28"])
def test_head_with_a_bad_path_has_no_body(lenient: TestClient, path: str) -> None:
    """A HEAD answer never has a body, the adapters' own early 400s included."""
    response = lenient.head(path)
    assert response.status_code in (400, 404), response.status_code
    assert response.content == b""


@pytest.mark.parametrize("path", ["/names/%", "/names/%zz", "/names/%4", "/names/100%"])
def test_broken_percent_escapes_are_not_a_5xx(lenient: TestClient, path: str) -> None:
    """A stray `%` is not a valid escape; it must not crash the path decoding."""
    response = lenient.get(path)
    assert response.status_code < 500, response.text
    assert_no_traceback(response)


@pytest.mark.parametrize(
    "path", ["/items/abc", "/items/1.5", "/items/", "/items/1e3", "/items/%20"]
)
def test_converter_mismatch_is_a_404(client: TestClient, path: str) -> None:
    """`{id:int}` does not match a non-integer, so no route exists for the path."""
    response = client.get(path, follow_redirects=False)
    assert_problem(response, 404, detail=False)


def test_a_matching_converter_still_works(client: TestClient) -> None:
    """The control for the mismatch tests: a real integer is routed and converted."""
    response = client.get("/items/-42")
    assert response.status_code == 200
    assert response.json() == {"id": -42}


# -- headers ---------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "0x10", "5, 5", "4 2"])
def test_non_numeric_content_length_is_a_400(client: TestClient, reader: str, length: str) -> None:
    """A Content-Length that is not digits makes the body's framing unknowable: 400."""
    response = client.post(
        f"/{reader}/media",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": length},
    )
    assert_problem(response, 400)


# -- below the HTTP client: hand-built environs and scopes -------------------------
#
# httpx refuses to send some bytes (non-ASCII header values over WSGI, raw
# bytes in a query string), yet a real server hands them to the application,
# so these tests speak WSGI and ASGI to the adapters directly.


def call_wsgi(api: responder.API, method: str, path: str, **environ: Any) -> tuple[int, bytes]:
    """Call the WSGI face with a minimal PEP 3333 environ; return (status, body)."""
    full = wsgi_environ(method, path, body=b"{}", **environ)
    started: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append(status)
        return lambda data: None

    with api.test_client(mode="wsgi"):  # runs the lifespan, so no atexit hook is left
        body = b"".join(api(full, start_response))
    assert started, "the application never called start_response"
    return int(started[0].split()[0]), body


def call_asgi(
    api: responder.API,
    method: str,
    path: str,
    *,
    query_string: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, bytes]:
    """Call the ASGI face with a minimal HTTP scope and a `{}` body; return (status, body)."""
    scope = asgi_scope(method, path, query=query_string, headers=headers)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await api(scope, receive, send)

    asyncio.run(run())
    assert sent and sent[0]["type"] == "http.response.start", sent
    return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:])


#: Values `str.isdigit` accepts but `int` does not: latin-1 superscripts reach the
#: adapters exactly like this, since both protocols decode header bytes as latin-1.
NOT_INT_DIGITS = ["\u00b2", "1\u00b3", "\u00b9\u00b2"]


@pytest.mark.parametrize("length", ["abc", "-1", *NOT_INT_DIGITS])
def test_wsgi_environ_with_bad_content_length_is_a_400(api: responder.API, length: str) -> None:
    """A Content-Length the server passed through must not crash the WSGI adapter."""
    status, body = call_wsgi(
        api, "POST", "/sync/media", CONTENT_TYPE="application/json", CONTENT_LENGTH=length
    )
    assert status == 400, body
    assert json.loads(body)["status"] == 400


@pytest.mark.parametrize("length", ["abc", "-1", *NOT_INT_DIGITS])
def test_asgi_scope_with_bad_content_length_is_a_400(api: responder.API, length: str) -> None:
    """The ASGI twin of the environ test, with raw latin-1 header bytes in the scope."""
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", length.encode("latin-1")),
    ]
    status, body = call_asgi(api, "POST", "/sync/media", headers=headers)
    assert status == 400, body
    assert json.loads(body)["status"] == 400


def test_empty_content_length_gets_one_answer_from_both_adapters(api: responder.API) -> None:
    """`Content-Length:` with no value is the same request whichever protocol carried it."""
    wsgi_status, wsgi_body = call_wsgi(
        api, "POST", "/sync/media", CONTENT_TYPE="application/json", CONTENT_LENGTH=""
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", b"")]
    asgi_status, asgi_body = call_asgi(api, "POST", "/sync/media", headers=headers)
    assert wsgi_status < 500 and asgi_status < 500, (wsgi_body, asgi_body)
    assert wsgi_status == asgi_status, {"wsgi": wsgi_body, "asgi": asgi_body}


#: Query strings a server may pass on as they came: bytes that are not UTF-8.
RAW_QUERIES = [b"a=\xff", b"\x80", b"q=%ff&r=\xc3\x28"]


@pytest.mark.parametrize("query", RAW_QUERIES)
def test_wsgi_query_string_that_is_not_utf8_is_not_a_500(api: responder.API, query: bytes) -> None:
    """`req.params` decodes the query string; undecodable bytes are the client's fault."""
    status, body = call_wsgi(api, "GET", "/params", QUERY_STRING=query.decode("latin-1"))
    assert status < 500, body


@pytest.mark.parametrize("query", RAW_QUERIES)
def test_asgi_query_string_that_is_not_utf8_is_not_a_500(api: responder.API, query: bytes) -> None:
    """The ASGI twin: `scope["query_string"]` is raw bytes by definition."""
    status, body = call_asgi(api, "GET", "/params", query_string=query)
    assert status < 500, body


@pytest.mark.parametrize("query", [b"a=\n", b"\r\nSet-Cookie: x=1"])
def test_slash_redirect_with_control_bytes_in_query_is_not_a_500(
    api: responder.API, query: bytes
) -> None:
    """The trailing-slash redirect copies the query into `Location`; it must stay one header."""
    status, body = call_wsgi(api, "GET", "/params/", QUERY_STRING=query.decode("latin-1"))
    assert status < 500, body
    status, body = call_asgi(api, "GET", "/params/", query_string=query)
    assert status < 500, body


@pytest.mark.parametrize(
    "accept",
    [
        "garbage",
        ";;;,,,",
        "/",
        "*/*;q=notanumber",
        "application/json;q=",
        "a/b/c; q=2",
        "text/html;level=1;;;q=0.5,=,",
        "x" * 4_000,
        "\t",
    ],
)
def test_garbage_accept_still_gets_json(client: TestClient, accept: str) -> None:
    """An Accept header nobody can parse means "no preference", not an error: JSON."""
    response = client.get("/items/7", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"id": 7}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", b'{"a": [1, 2]}', {"a": [1, 2]}),
        ("application/yaml", b"a: [1, 2]", {"a": [1, 2]}),
        ("application/x-msgpack", msgpack.packb({"a": [1, 2]}), {"a": [1, 2]}),
        ("application/x-www-form-urlencoded", b"a=1&a=2", {"a": ["1", "2"]}),
    ],
    ids=["json", "yaml", "msgpack", "form"],
)
def test_well_formed_bodies_are_read(
    client: TestClient, reader: str, content_type: str, body: bytes, expected: Any
) -> None:
    """The control for the malformed-body tests: both readers decode every format."""
    response = post(client, reader, "media", body, content_type)
    assert response.status_code == 200, response.text
    assert response.json() == {"got": expected}


def test_yaml_safe_loader_is_the_one_in_use() -> None:
    """Guard the premise of the tag tests: the safe loader refuses python tags by itself."""
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load("!!python/object/apply:os.system ['true']")
