"""Reading the request: attributes, and every body form, sync and async."""

from __future__ import annotations

import msgpack
import pytest
import yaml
from pydantic import BaseModel

import responder
from responder.adapters.testing import TestClient


def test_request_attributes(api: responder.API, client: TestClient) -> None:
    @api.route("/inspect/{name}")
    def inspect_request(req, resp, *, name):  # type: ignore[no-untyped-def]
        resp.media = {
            "method": req.method,
            "path": req.path,
            "url": req.url,
            "full_url": req.full_url,
            "tags": req.params.getlist("tag"),
            "header": req.headers["x-custom"],
            "header_lower": req.headers["X-CUSTOM"],
            "cookie": req.cookies.get("flavour"),
            "client": req.client.host if req.client else None,
            "api": req.api is api,
            "path_params": req.path_params,
        }

    body = client.get(
        "/inspect/bob?tag=a&tag=b",
        headers={"X-Custom": "yes"},
        cookies={"flavour": "oat"},
    ).json()
    assert body == {
        "method": "GET",
        "path": "/inspect/bob",
        "url": "http://testserver/inspect/bob?tag=a&tag=b",
        "full_url": "http://testserver/inspect/bob?tag=a&tag=b",
        "tags": ["a", "b"],
        "header": "yes",
        "header_lower": "yes",
        "cookie": "oat",
        "client": body["client"],
        "api": True,
        "path_params": {"name": "bob"},
    }
    assert body["client"]


def test_state_is_per_request(api: responder.API, client: TestClient) -> None:
    @api.before_request
    def mark(req, resp):  # type: ignore[no-untyped-def]
        assert not hasattr(req.state, "seen")
        req.state.seen = True

    @api.route("/state")
    def state(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"seen": req.state.seen}

    assert client.get("/state").json() == {"seen": True}
    assert client.get("/state").json() == {"seen": True}


def test_sync_handlers_read_every_body_form(api: responder.API, client: TestClient) -> None:
    @api.route("/sync/{what}", methods=["POST"])
    def read(req, resp, *, what):  # type: ignore[no-untyped-def]
        if what == "content":
            resp.media = {"len": len(req.content_sync())}
        elif what == "text":
            resp.media = {"text": req.text_sync()}
        elif what == "media":
            resp.media = {"media": req.media_sync()}
        elif what == "form":
            resp.media = {"form": req.form_sync()}
        elif what == "stream":
            resp.media = {"len": sum(len(chunk) for chunk in req.stream_sync())}

    big = b"x" * 300_000
    assert client.post("/sync/content", content=big).json() == {"len": 300_000}
    assert client.post("/sync/stream", content=big).json() == {"len": 300_000}
    assert client.post("/sync/text", content="héllo".encode()).json() == {"text": "héllo"}
    assert client.post("/sync/media", json={"a": [1, 2]}).json() == {"media": {"a": [1, 2]}}
    assert client.post("/sync/form", data={"a": "1", "b": "2"}).json() == {
        "form": {"a": "1", "b": "2"}
    }


def test_async_handlers_read_every_body_form(api: responder.API, client: TestClient) -> None:
    @api.route("/async/{what}", methods=["POST"])
    async def read(req, resp, *, what):  # type: ignore[no-untyped-def]
        if what == "content":
            resp.media = {"len": len(await req.content)}
        elif what == "text":
            resp.media = {"text": await req.text}
        elif what == "media":
            resp.media = {"media": await req.media()}
        elif what == "form":
            resp.media = {"form": await req.form()}
        elif what == "stream":
            total = 0
            async for chunk in req.stream():
                total += len(chunk)
            resp.media = {"len": total}

    big = b"y" * 300_000
    assert client.post("/async/content", content=big).json() == {"len": 300_000}
    assert client.post("/async/stream", content=big).json() == {"len": 300_000}
    assert client.post("/async/text", content="héllo".encode()).json() == {"text": "héllo"}
    assert client.post("/async/media", json=[1, "two"]).json() == {"media": [1, "two"]}
    assert client.post("/async/form", data={"k": ["1", "2"]}).json() == {"form": {"k": ["1", "2"]}}


def test_media_formats_are_decoded(api: responder.API, client: TestClient) -> None:
    @api.route("/decode", methods=["POST"])
    async def decode(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"got": await req.media()}

    @api.route("/decode-msgpack", methods=["POST"])
    def decode_explicit(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"got": req.media_sync("msgpack")}

    payload = {"name": "widget", "tags": ["a", "b"]}
    yaml_body = yaml.safe_dump(payload).encode()
    for content_type in ("application/yaml", "application/x-yaml"):
        response = client.post("/decode", content=yaml_body, headers={"Content-Type": content_type})
        assert response.json() == {"got": payload}
    packed = msgpack.packb(payload)
    response = client.post(
        "/decode", content=packed, headers={"Content-Type": "application/x-msgpack"}
    )
    assert response.json() == {"got": payload}
    assert client.post("/decode-msgpack", content=packed).json() == {"got": payload}
    response = client.post(
        "/decode",
        data={"field": "value"},
        files={"upload": ("notes.txt", b"file body", "text/plain")},
    )
    got = response.json()["got"]
    assert got["field"] == "value"
    assert got["upload"]["filename"] == "notes.txt"
    assert got["upload"]["content_type"] == "text/plain"


class Counter(BaseModel):
    count: int


def test_wide_json_integers_stay_exact(api: responder.API, client: TestClient) -> None:
    """orjson reads integers past 64 bits as floats; a body must not lose their digits."""

    @api.route("/decode", methods=["POST"])
    async def decode(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"got": await req.media()}

    @api.route("/counter", methods=["POST"])
    def counter(req, resp, *, body: Counter):  # type: ignore[no-untyped-def]
        resp.media = {"count": body.count}

    for wide in (2**64, -(2**63) - 1, 10**30):
        document = f'{{"count": {wide}, "name": "12345678901234567890"}}'.encode()
        headers = {"Content-Type": "application/json"}
        got = client.post("/decode", content=document, headers=headers).json()
        assert got == {"got": {"count": wide, "name": "12345678901234567890"}}
        assert client.post("/counter", content=document, headers=headers).json() == {"count": wide}
    # The exact path keeps JSON's rules: no NaN, no number too large for a double.
    for bad in (b"[NaN, 12345678901234567890]", b"[1e400, 12345678901234567890]"):
        response = client.post("/decode", content=bad, headers=headers)
        assert response.status_code == 400, bad


@pytest.mark.parametrize("with_orjson", [True, False], ids=["orjson", "stdlib"])
def test_what_is_valid_json_does_not_depend_on_orjson(
    mode: str, monkeypatch: pytest.MonkeyPatch, with_orjson: bool
) -> None:
    if not with_orjson:
        monkeypatch.setattr("responder.formats.orjson", None)
    api = responder.API()  # after the patch: an API picks its JSON library when built

    @api.route("/decode", methods=["POST"])
    def decode(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"got": req.media_sync()}

    headers = {"Content-Type": "application/json"}
    with api.test_client(mode=mode) as client:
        document = b'{"n": 1, "big": 18446744073709551616}'
        ok = client.post("/decode", content=document, headers=headers)
        assert ok.json() == {"got": {"n": 1, "big": 2**64}}
        for bad in (b"[NaN]", b"[Infinity]", b"[1e400]", '["u"]'.encode("utf-16")):
            assert client.post("/decode", content=bad, headers=headers).status_code == 400, bad


def test_body_is_streamed_once(mode: str) -> None:
    api = responder.API()

    @api.route("/twice", methods=["POST"])
    def twice(req, resp):  # type: ignore[no-untyped-def]
        for _ in req.stream_sync():
            pass
        req.content_sync()

    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        assert client.post("/twice", content=b"abc").status_code == 500


def test_body_read_twice_is_cached(api: responder.API, client: TestClient) -> None:
    @api.route("/cached", methods=["POST"])
    async def cached(req, resp):  # type: ignore[no-untyped-def]
        first = await req.content
        second = await req.content
        chunks = [chunk async for chunk in req.stream()]
        resp.media = {"same": first == second == b"".join(chunks)}

    assert client.post("/cached", content=b"data").json() == {"same": True}


def test_max_request_size(mode: str) -> None:
    api = responder.API(max_request_size=1000)

    @api.route("/upload", methods=["POST"])
    def upload(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"len": len(req.content_sync())}

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"z" * 100

    with api.test_client(mode=mode) as client:
        assert client.post("/upload", content=b"a" * 1000).json() == {"len": 1000}
        response = client.post("/upload", content=b"a" * 1001)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert client.post("/upload", content=chunks()).status_code == 413
