"""Routing and method filtering, in both modes."""

from __future__ import annotations

import uuid

import pytest

import responder
from responder.adapters.testing import TestClient


def test_typed_path_values_are_injected(api: responder.API, client: TestClient) -> None:
    @api.route("/int/{id:int}")
    def by_int(req, resp, *, id):  # type: ignore[no-untyped-def]
        resp.media = {"value": id, "type": type(id).__name__}

    @api.route("/float/{x:float}")
    def by_float(req, resp, *, x):  # type: ignore[no-untyped-def]
        resp.media = {"value": x, "type": type(x).__name__}

    @api.route("/uuid/{u:uuid}")
    def by_uuid(req, resp, *, u):  # type: ignore[no-untyped-def]
        resp.media = {"value": str(u), "type": type(u).__name__}

    @api.route("/files/{p:path}")
    def by_path(req, resp, *, p):  # type: ignore[no-untyped-def]
        resp.media = {"value": p}

    @api.route("/hello/{who}")
    def by_str(req, resp, *, who):  # type: ignore[no-untyped-def]
        resp.text = f"hello {who}"

    assert client.get("/int/42").json() == {"value": 42, "type": "int"}
    assert client.get("/float/2.5").json() == {"value": 2.5, "type": "float"}
    assert client.get("/float/3").json() == {"value": 3.0, "type": "float"}
    u = uuid.uuid4()
    assert client.get(f"/uuid/{u}").json() == {"value": str(u), "type": "UUID"}
    assert client.get("/files/a/b/c.txt").json() == {"value": "a/b/c.txt"}
    assert client.get("/hello/w%C3%B6rld").text == "hello wörld"


def test_converter_mismatch_is_404(api: responder.API, client: TestClient) -> None:
    @api.route("/int/{id:int}")
    def by_int(req, resp, *, id):  # type: ignore[no-untyped-def]
        resp.media = {"id": id}

    response = client.get("/int/abc")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_converter_is_rejected_at_registration(api: responder.API) -> None:
    with pytest.raises(ValueError, match="converter"):
        api.add_route("/x/{a:banana}", lambda req, resp: None)


def test_handler_only_gets_declared_path_values(api: responder.API, client: TestClient) -> None:
    @api.route("/{a}/{b}")
    def only_a(req, resp, *, a):  # type: ignore[no-untyped-def]
        resp.text = a

    assert client.get("/x/y").text == "x"


def test_method_filtering_answers_405_with_allow(api: responder.API, client: TestClient) -> None:
    @api.route("/items", methods=["GET"])
    def list_items(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"items": []}

    @api.route("/items", methods=["POST"], check_existing=False)
    async def create_item(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"created": await req.media()}

    assert client.get("/items").json() == {"items": []}
    assert client.post("/items", json={"a": 1}).json() == {"created": {"a": 1}}
    response = client.delete("/items")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert response.json()["status"] == 405


def test_options_is_answered_automatically(api: responder.API, client: TestClient) -> None:
    @api.route("/items", methods=["GET", "POST"])
    def items(req, resp):  # type: ignore[no-untyped-def]
        resp.media = []

    response = client.options("/items")
    assert response.status_code == 200
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert response.content == b""


def test_head_is_accepted_wherever_get_is(api: responder.API, client: TestClient) -> None:
    @api.route("/doc", methods=["GET"])
    def doc(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "a body"

    response = client.head("/doc")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "6"


def test_routes_match_every_method_by_default(api: responder.API, client: TestClient) -> None:
    @api.route("/any")
    def anything(req, resp):  # type: ignore[no-untyped-def]
        resp.text = req.method

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        assert client.request(method, "/any").text == method


def test_duplicate_routes_are_refused(api: responder.API) -> None:
    api.add_route("/same", lambda req, resp: None)
    with pytest.raises(ValueError, match="already exists"):
        api.add_route("/same", lambda req, resp: None)
    api.add_route("/same", lambda req, resp: None, methods=["POST"], check_existing=False)


def test_method_decorators(api: responder.API, client: TestClient) -> None:
    @api.get("/thing")
    def read(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "read"

    @api.post("/thing")
    def create(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "create"

    @api.put("/thing")
    def replace(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "replace"

    @api.patch("/thing")
    def update(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "update"

    @api.delete("/thing")
    def remove(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "remove"

    for method, text in [
        ("GET", "read"),
        ("POST", "create"),
        ("PUT", "replace"),
        ("PATCH", "update"),
        ("DELETE", "remove"),
    ]:
        assert client.request(method, "/thing").text == text
    assert client.request("TRACE", "/thing").status_code == 405


def test_trailing_slash_redirects_preserve_method_and_query(
    api: responder.API, client: TestClient
) -> None:
    @api.route("/users", methods=["GET", "POST"])
    def users(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"method": req.method, "q": req.params.get("q")}

    @api.route("/dir/")
    def directory(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "dir"

    response = client.post("/users/?q=1", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/users?q=1"
    assert client.post("/users/?q=1").json() == {"method": "POST", "q": "1"}
    response = client.get("/dir", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/dir/"
    assert client.get("/dir").text == "dir"


def test_redirect_slashes_can_be_disabled(mode: str) -> None:
    api = responder.API(redirect_slashes=False)

    @api.route("/users")
    def users(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "users"

    @api.route("/dir/")
    def directory(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "dir"

    with api.test_client(mode=mode) as client:
        assert client.get("/users/", follow_redirects=False).status_code == 404
        assert client.get("/dir", follow_redirects=False).status_code == 404
        assert client.get("/users").text == "users"


def test_url_for(api: responder.API) -> None:
    @api.route("/items/{id:int}")
    def item(req, resp, *, id):  # type: ignore[no-untyped-def]
        pass

    @api.route("/files/{p:path}", name="files")
    def files(req, resp, *, p):  # type: ignore[no-untyped-def]
        pass

    assert api.url_for(item, id=3) == "/items/3"
    assert api.url_for("item", id=4) == "/items/4"
    assert api.url_for("files", p="a/b c") == "/files/a/b%20c"
    with pytest.raises(LookupError):
        api.url_for("nothing")


def test_add_route_and_absolute_urls(api: responder.API, client: TestClient) -> None:
    def host(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"host": req.host, "url": req.full_url}

    api.add_route("/host", host)
    body = client.get("http://example.com/host?x=1").json()
    assert body == {"host": "example.com", "url": "http://example.com/host?x=1"}
