"""Building responses: bodies, return values, status, headers and cookies."""

from __future__ import annotations

import dataclasses

import msgpack
import yaml
from pydantic import BaseModel

import responder
from responder.adapters.testing import TestClient


class Pet(BaseModel):
    name: str
    age: int


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_body_setters(api: responder.API, client: TestClient) -> None:
    @api.route("/text")
    def text(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "héllo"

    @api.route("/content")
    def content(req, resp):  # type: ignore[no-untyped-def]
        resp.content = b"\x00\x01"

    @api.route("/html")
    def page(req, resp):  # type: ignore[no-untyped-def]
        resp.html = "<p>hi</p>"

    @api.route("/mimetype")
    def csv(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "a,b"
        resp.mimetype = "text/csv"

    response = client.get("/text")
    assert response.text == "héllo"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    response = client.get("/content")
    assert response.content == b"\x00\x01"
    assert response.headers["content-type"] == "application/octet-stream"
    assert client.get("/html").headers["content-type"] == "text/html; charset=utf-8"
    assert client.get("/mimetype").headers["content-type"].startswith("text/csv")


def test_status_headers_and_cookies(api: responder.API, client: TestClient) -> None:
    @api.route("/teapot")
    def teapot(req, resp):  # type: ignore[no-untyped-def]
        resp.status_code = 418
        resp.headers["X-Pot"] = "tea"
        resp.cookies["session"] = "abc"
        resp.set_cookie("prefs", "dark", httponly=True)
        resp.media = {"short": "stout"}

    response = client.get("/teapot")
    assert response.status_code == 418
    assert response.headers["x-pot"] == "tea"
    assert response.cookies["session"] == "abc"
    assert "HttpOnly" in ";".join(response.headers.get_list("set-cookie"))
    assert response.json() == {"short": "stout"}
    assert client.cookies["prefs"] == "dark"


def test_return_values(api: responder.API, client: TestClient) -> None:
    @api.route("/list")
    def as_list(req, resp):  # type: ignore[no-untyped-def]
        return [{"name": "alice"}]

    @api.route("/str")
    def as_str(req, resp):  # type: ignore[no-untyped-def]
        return "hello, world!"

    @api.route("/bytes")
    async def as_bytes(req, resp):  # type: ignore[no-untyped-def]
        return b"raw"

    @api.route("/model")
    def as_model(req, resp):  # type: ignore[no-untyped-def]
        return Pet(name="Fido", age=4)

    @api.route("/dataclass")
    def as_dataclass(req, resp):  # type: ignore[no-untyped-def]
        return Point(1, 2)

    @api.route("/none")
    def as_none(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"kept": True}

    @api.route("/items/{id:int}")
    def get_item(req, resp, *, id):  # type: ignore[no-untyped-def]
        if id == 0:
            return {"error": "not found"}, 404
        return {"id": id}, 200, {"X-Source": "cache"}

    assert client.get("/list").json() == [{"name": "alice"}]
    assert client.get("/str").text == "hello, world!"
    assert client.get("/bytes").content == b"raw"
    assert client.get("/model").json() == {"name": "Fido", "age": 4}
    assert client.get("/dataclass").json() == {"x": 1, "y": 2}
    assert client.get("/none").json() == {"kept": True}
    missing = client.get("/items/0")
    assert (missing.status_code, missing.json()) == (404, {"error": "not found"})
    found = client.get("/items/7")
    assert (found.status_code, found.json(), found.headers["x-source"]) == (200, {"id": 7}, "cache")


def test_models_render_in_every_format(api: responder.API, client: TestClient) -> None:
    @api.route("/pet")
    def pet(req, resp):  # type: ignore[no-untyped-def]
        return Pet(name="Rex", age=2)

    as_yaml = client.get("/pet", headers={"Accept": "application/yaml"})
    assert yaml.safe_load(as_yaml.text) == {"name": "Rex", "age": 2}
    as_msgpack = client.get("/pet", headers={"Accept": "application/x-msgpack"})
    assert msgpack.unpackb(as_msgpack.content) == {"name": "Rex", "age": 2}


def test_streaming_bodies(api: responder.API, client: TestClient) -> None:
    @api.route("/sync-stream")
    def sync_stream(req, resp):  # type: ignore[no-untyped-def]
        resp.stream(f"{i}," for i in range(5))

    @api.route("/async-stream")
    async def async_stream(req, resp):  # type: ignore[no-untyped-def]
        @resp.stream
        async def body():  # type: ignore[no-untyped-def]
            for i in range(3):
                yield f"chunk{i};".encode()

    assert client.get("/sync-stream").text == "0,1,2,3,4,"
    assert client.get("/async-stream").text == "chunk0;chunk1;chunk2;"
    head = client.head("/async-stream")
    assert head.status_code == 200 and head.content == b""


def test_status_code_option_preseeds(api: responder.API, client: TestClient) -> None:
    @api.route("/pets", methods=["POST"], status_code=201)
    def create(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"id": 1}

    @api.route("/explicit", methods=["POST"], status_code=201)
    def explicit(req, resp):  # type: ignore[no-untyped-def]
        resp.status_code = 202

    assert client.post("/pets").status_code == 201
    assert client.post("/explicit").status_code == 202


def test_background_tasks_run_after_the_response(api: responder.API, client: TestClient) -> None:
    done: list[str] = []

    async def async_task(name: str) -> None:
        done.append(name)

    def failing() -> None:
        raise RuntimeError("task failed")

    @api.route("/signup", methods=["POST"])
    def signup(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"ok": True}
        resp.background(done.append, "first")
        resp.background(failing)
        resp.background(async_task, name="second")

    assert client.post("/signup").json() == {"ok": True}
    assert done == ["first", "second"]
