"""Typed parameters, body validation and response models, in both modes."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel

import responder
from responder import Cookie, Form, Header, Path, Query
from responder.adapters.testing import TestClient


class ItemIn(BaseModel):
    name: str
    price: float


class ItemOut(BaseModel):
    id: int
    name: str
    price: float


class ErrorOut(BaseModel):
    error: str


class SearchParams(BaseModel):
    q: str
    limit: int = 10
    tags: list[str] = []


def test_query_markers_coerce_and_default(api: responder.API, client: TestClient) -> None:
    @api.route("/search")
    def search(  # type: ignore[no-untyped-def]
        req,
        resp,
        *,
        q: str = Query(...),
        limit: int = Query(10),
        tags: list[str] = Query([]),
        user_agent: str = Header("unknown"),
    ):
        resp.media = {"q": q, "limit": limit, "tags": tags, "ua": user_agent}

    body = client.get("/search?q=x&limit=5&tags=a&tags=b", headers={"User-Agent": "probe"}).json()
    assert body == {"q": "x", "limit": 5, "tags": ["a", "b"], "ua": "probe"}
    assert client.get("/search?q=y").json()["limit"] == 10


def test_marker_failures_are_422_with_every_error(api: responder.API, client: TestClient) -> None:
    @api.route("/page")
    def page(  # type: ignore[no-untyped-def]
        req,
        resp,
        *,
        page: int = Query(1, ge=1),
        size: int = Query(20, ge=1, le=100),
        token: str = Header(...),
    ):
        resp.media = {"page": page, "size": size}

    response = client.get("/page?page=0&size=abc")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [error["loc"] for error in errors] == [
        ["query", "page"],
        ["query", "size"],
        ["header", "token"],
    ]
    assert client.get("/page", headers={"Token": "t"}).json() == {"page": 1, "size": 20}


def test_annotated_markers_alias_cookie_and_path(api: responder.API, client: TestClient) -> None:
    @api.route("/users/{uid:int}")
    def user(  # type: ignore[no-untyped-def]
        req,
        resp,
        *,
        user_id: int = Path(..., alias="uid"),
        limit: Annotated[int, Query(ge=1)] = 3,
        flavour: str = Cookie("plain"),
        trace: Annotated[str | None, Header(alias="X-Trace-Id")] = None,
    ):
        resp.media = {"id": user_id, "limit": limit, "flavour": flavour, "trace": trace}

    client.cookies.set("flavour", "oat")
    body = client.get("/users/5?limit=2", headers={"X-Trace-Id": "t1"}).json()
    assert body == {"id": 5, "limit": 2, "flavour": "oat", "trace": "t1"}
    assert client.get("/users/5").json()["limit"] == 3
    assert client.get("/users/5?limit=0").status_code == 422


def test_form_markers(api: responder.API, client: TestClient) -> None:
    @api.route("/login", methods=["POST"])
    async def login(  # type: ignore[no-untyped-def]
        req, resp, *, username: str = Form(...), remember: bool = Form(False)
    ):
        resp.media = {"username": username, "remember": remember}

    assert client.post("/login", data={"username": "ann", "remember": "true"}).json() == {
        "username": "ann",
        "remember": True,
    }
    assert client.post("/login", data={"remember": "yes"}).status_code == 422


def test_body_model_is_validated_before_the_handler(api: responder.API, client: TestClient) -> None:
    calls: list[ItemIn] = []

    @api.route("/items", methods=["POST"])
    def create(req, resp, *, item: ItemIn):  # type: ignore[no-untyped-def]
        calls.append(item)
        resp.media = item

    assert client.post("/items", json={"name": "w", "price": "2.5"}).json() == {
        "name": "w",
        "price": 2.5,
    }
    invalid = client.post("/items", json={"name": "w"})
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["loc"] == ["body", "price"]
    assert client.post("/items", json=[1, 2]).status_code == 422
    assert client.post("/items", content=b"{broken").status_code == 400
    assert len(calls) == 1


def test_params_model(api: responder.API, client: TestClient) -> None:
    @api.route("/find", params_model=SearchParams)
    async def find(req, resp):  # type: ignore[no-untyped-def]
        params = req.state.validated_params
        resp.media = params

    assert client.get("/find?q=a&tags=x&tags=y").json() == {
        "q": "a",
        "limit": 10,
        "tags": ["x", "y"],
    }
    response = client.get("/find?limit=x")
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {
        ("query", "q"),
        ("query", "limit"),
    }


def test_response_model_strips_and_coerces(api: responder.API, client: TestClient) -> None:
    @api.route("/items", methods=["POST"], response_model=ItemOut)
    async def create(req, resp, *, item: ItemIn):  # type: ignore[no-untyped-def]
        resp.media = {"id": "1", **item.model_dump(), "internal": "hidden"}

    @api.route("/list", response_model=list[ItemOut])
    def listing(req, resp):  # type: ignore[no-untyped-def]
        return [{"id": 1, "name": "a", "price": 1, "extra": True}]

    @api.route("/union", response_model=ItemOut | ErrorOut)
    def union(req, resp):  # type: ignore[no-untyped-def]
        return {"error": "none"}

    assert client.post("/items", json={"name": "w", "price": 1}).json() == {
        "id": 1,
        "name": "w",
        "price": 1.0,
    }
    assert client.get("/list").json() == [{"id": 1, "name": "a", "price": 1.0}]
    assert client.get("/union").json() == {"error": "none"}


def test_return_annotation_is_a_response_model(api: responder.API, client: TestClient) -> None:
    @api.route("/pets", methods=["POST"], status_code=201)
    async def create_pet(req, resp, *, pet: ItemIn) -> ItemOut:
        return ItemOut(id=1, name=pet.name, price=pet.price)

    @api.route("/loose")
    def loose(req, resp) -> list[ItemOut]:  # type: ignore[no-untyped-def]
        return [{"anything": "goes"}]  # type: ignore[list-item]

    @api.route("/off", response_model=False)
    def off(req, resp) -> ItemOut:  # type: ignore[no-untyped-def]
        resp.media = {"id": 1, "extra": "kept"}

    response = client.post("/pets", json={"name": "rex", "price": 3})
    assert (response.status_code, response.json()) == (201, {"id": 1, "name": "rex", "price": 3.0})
    assert client.get("/loose").json() == [{"anything": "goes"}]
    assert client.get("/off").json() == {"id": 1, "extra": "kept"}


def test_broken_response_fails_closed(mode: str) -> None:
    for debug in (False, True):
        api = responder.API(debug=debug)

        @api.route("/broken", response_model=ItemOut)
        def broken(req, resp):  # type: ignore[no-untyped-def]
            resp.media = {"id": "not a number"}

        with api.test_client(mode=mode, raise_server_exceptions=False) as client:
            response = client.get("/broken")
        assert response.status_code == 500
        assert "not a number" not in response.text or debug
        if not debug:
            assert response.headers["content-type"] == "application/problem+json"
    with pytest.raises(Exception, match="validation error"), api.test_client(mode=mode) as client:
        client.get("/broken")


def test_class_views_validate_the_body_once(api: responder.API, client: TestClient) -> None:
    seen: list[int] = []

    @api.route("/items")
    class ItemResource:
        def on_request(self, req, resp, *, item: ItemIn):  # type: ignore[no-untyped-def]
            seen.append(id(item))

        def on_get(self, req, resp, *, limit: int = Query(10)):  # type: ignore[no-untyped-def]
            resp.media = {"limit": limit}

        def on_post(self, req, resp, *, item: ItemIn):  # type: ignore[no-untyped-def]
            seen.append(id(item))
            resp.media = item

    assert client.get("/items?limit=3").json() == {"limit": 3}
    seen.clear()
    assert client.post("/items", json={"name": "a", "price": 1}).json()["name"] == "a"
    assert len(seen) == 2 and seen[0] == seen[1]
    assert client.post("/items", json={"price": 1}).status_code == 422


def test_unknown_marker_constraint_is_refused() -> None:
    with pytest.raises(TypeError, match="Unknown constraint"):
        Query(1, bigger_than=3)
