"""Class-based views: dispatch by method, on_request, OPTIONS and 405."""

from __future__ import annotations

import responder
from responder.adapters.testing import TestClient


def test_dispatch_and_on_request(api: responder.API, client: TestClient) -> None:
    @api.route("/{greeting}")
    class GreetingResource:
        def on_get(self, req, resp, *, greeting):  # type: ignore[no-untyped-def]
            resp.text = f"{greeting}, world!"

        async def on_post(self, req, resp, *, greeting):  # type: ignore[no-untyped-def]
            resp.media = {"received": greeting, "body": await req.media()}

        def on_request(self, req, resp, *, greeting):  # type: ignore[no-untyped-def]
            resp.headers["X-Greeting"] = greeting

    response = client.get("/hello")
    assert response.text == "hello, world!"
    assert response.headers["x-greeting"] == "hello"
    response = client.post("/hi", json=[1])
    assert response.json() == {"received": "hi", "body": [1]}
    assert response.headers["x-greeting"] == "hi"


def test_options_and_405_list_exactly_what_is_served(
    api: responder.API, client: TestClient
) -> None:
    @api.route("/items")
    class Items:
        def on_get(self, req, resp):  # type: ignore[no-untyped-def]
            resp.media = []

        def on_post(self, req, resp):  # type: ignore[no-untyped-def]
            resp.status_code = 201

    response = client.options("/items")
    assert response.status_code == 200
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    response = client.delete("/items")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert client.head("/items").status_code == 200
    assert client.post("/items").status_code == 201


def test_on_options_takes_over(api: responder.API, client: TestClient) -> None:
    @api.route("/custom")
    class Custom:
        def on_get(self, req, resp):  # type: ignore[no-untyped-def]
            resp.text = "get"

        def on_options(self, req, resp):  # type: ignore[no-untyped-def]
            resp.status_code = 204
            resp.headers["Allow"] = "GET"

    response = client.options("/custom")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET"


def test_catch_all_on_request_serves_any_method(api: responder.API, client: TestClient) -> None:
    @api.route("/catch")
    class CatchAll:
        def on_request(self, req, resp):  # type: ignore[no-untyped-def]
            resp.text = f"seen {req.method}"

    assert client.options("/catch").text == "seen OPTIONS"
    assert client.delete("/catch").text == "seen DELETE"


def test_views_are_instantiated_once(api: responder.API, client: TestClient) -> None:
    @api.route("/count")
    class Counter:
        def __init__(self) -> None:
            self.count = 0

        def on_get(self, req, resp):  # type: ignore[no-untyped-def]
            self.count += 1
            resp.media = {"count": self.count}

    assert client.get("/count").json() == {"count": 1}
    assert client.get("/count").json() == {"count": 2}
