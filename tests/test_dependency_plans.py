"""One route shape, every colour: sync, async and mixed providers for sync and async handlers.

The pipeline resolves a handler's arguments on different paths depending on
what it takes: all-async providers of an async handler run with the handler
in one coroutine, all-async providers of a sync handler in one trip to the
loop, anything else call by call. Whatever the path, the answers, the order
of the providers, their memoization, the 422 for a bad body and the teardown
that runs exactly once must be the same; these tests hold every path to it,
under both protocols.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

import responder
from responder import Depends, Header, Query, Request, Response
from responder.adapters.testing import TestClient


class Item(BaseModel):
    name: str
    price: float


class Refused(Exception):
    """Raised by the `refusal` provider; answered 409 by the app."""


PROVIDERS = ["sync", "async", "mixed"]
HANDLERS = ["sync", "async"]


def build(providers: str, handler: str, events: list[str]) -> responder.API:
    """An app whose providers and handlers have the colours asked for."""
    api = responder.API()
    settings_async = providers != "sync"
    session_async = providers == "async"

    def settings_body(resp: Response) -> dict[str, str]:
        events.append("settings")
        resp.headers["X-Settings"] = "set"
        return {"region": "eu"}

    if settings_async:

        @api.dependency(name="settings")
        async def async_settings(resp: Response) -> dict[str, str]:
            return settings_body(resp)

    else:

        @api.dependency(name="settings")
        def sync_settings(resp: Response) -> dict[str, str]:
            return settings_body(resp)

    if session_async:

        @api.dependency(name="session")
        async def async_session(settings: dict[str, str], id: int) -> AsyncIterator[str]:
            events.append(f"open {id}")
            yield f"session {id} in {settings['region']}"
            events.append(f"close {id}")

        @api.dependency(name="refusal")
        async def async_refusal(session: str) -> str:
            raise Refused(session)

    else:

        @api.dependency(name="session")
        def sync_session(settings: dict[str, str], id: int) -> Iterator[str]:
            events.append(f"open {id}")
            yield f"session {id} in {settings['region']}"
            events.append(f"close {id}")

        @api.dependency(name="refusal")
        def sync_refusal(session: str) -> str:
            raise Refused(session)

    @api.exception_handler(Refused)
    def refused(req: Request, resp: Response, exc: Refused) -> None:
        resp.status_code = 409
        resp.media = {"refused": str(exc)}

    def answer(resp: Response, **values: Any) -> None:
        events.append("handler")
        item = values.get("item")
        values["item"] = None if item is None else item.model_dump()
        resp.media = values

    routes = _handlers(handler, answer)
    api.add_route("/items/{id:int}", routes["item"], methods=["GET", "POST"])
    api.add_route("/refused/{id:int}", routes["refused"])
    api.add_route("/raises/{id:int}", routes["raises"])
    return api


def _handlers(colour: str, answer: Callable[..., None]) -> dict[str, Callable[..., Any]]:
    if colour == "sync":

        def item(
            req: Request,
            resp: Response,
            *,
            id: int,
            session: str,
            settings: Any,
            item: Item,
        ) -> None:
            answer(resp, id=id, session=session, settings=settings, item=item)

        def refused(req: Request, resp: Response, *, refusal: str) -> None:
            answer(resp, refusal=refusal)

        def raises(req: Request, resp: Response, *, session: str) -> None:
            raise Refused(f"handler with {session}")

        return {"item": item, "refused": refused, "raises": raises}

    async def async_item(
        req: Request,
        resp: Response,
        *,
        id: int,
        session: str,
        settings: Any,
        item: Item,
    ) -> None:
        answer(resp, id=id, session=session, settings=settings, item=item)

    async def async_refused(req: Request, resp: Response, *, refusal: str) -> None:
        answer(resp, refusal=refusal)

    async def async_raises(req: Request, resp: Response, *, session: str) -> None:
        raise Refused(f"handler with {session}")

    return {"item": async_item, "refused": async_refused, "raises": async_raises}


@pytest.fixture(params=PROVIDERS)
def providers(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=HANDLERS)
def handler(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def events() -> list[str]:
    return []


@pytest.fixture
def plan_client(providers: str, handler: str, events: list[str], mode: str) -> Iterator[TestClient]:
    with build(providers, handler, events).test_client(mode=mode) as client:
        yield client


def test_a_valid_request_gets_every_value_once_and_tears_down_after(
    plan_client: TestClient, events: list[str]
) -> None:
    response = plan_client.post("/items/7", json={"name": "pen", "price": "1.5"})
    assert response.status_code == 200, response.text
    assert response.headers["X-Settings"] == "set"
    assert response.json() == {
        "id": 7,
        "session": "session 7 in eu",
        "settings": {"region": "eu"},
        "item": {"name": "pen", "price": 1.5},
    }
    # `settings` is asked for twice (by `session` and the handler) and made once.
    assert events == ["settings", "open 7", "handler", "close 7"]


def test_a_read_leaves_the_body_model_at_its_default(
    plan_client: TestClient, events: list[str]
) -> None:
    response = plan_client.get("/items/3")
    assert response.status_code == 200, response.text
    assert response.json()["item"] is None
    assert events == ["settings", "open 3", "handler", "close 3"]


@pytest.mark.parametrize(
    ("body", "locations"),
    [
        ({"name": "pen"}, [["body", "price"]]),
        ({"name": ["no"], "price": "free"}, [["body", "name"], ["body", "price"]]),
        ([1, 2], [["body"]]),
    ],
    ids=["missing", "two-bad", "not-an-object"],
)
def test_a_bad_body_is_one_422_and_the_providers_still_tear_down(
    plan_client: TestClient, events: list[str], body: Any, locations: list[list[str]]
) -> None:
    response = plan_client.post("/items/5", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == locations
    assert "handler" not in events
    assert events.count("close 5") == 1


@pytest.mark.parametrize(
    ("path", "refusal", "seen"),
    [
        ("/refused/9", "session 9 in eu", ["settings", "open 9", "close 9"]),
        ("/raises/4", "handler with session 4 in eu", ["settings", "open 4", "close 4"]),
    ],
    ids=["provider-raises", "handler-raises"],
)
def test_an_error_after_a_generator_still_closes_it_once(
    plan_client: TestClient, events: list[str], path: str, refusal: str, seen: list[str]
) -> None:
    response = plan_client.get(path)
    assert response.status_code == 409
    assert response.json() == {"refused": refusal}
    assert events == seen


def test_a_bad_path_value_never_reaches_a_provider(
    plan_client: TestClient, events: list[str]
) -> None:
    assert plan_client.get("/items/seven").status_code == 404
    assert events == []


@pytest.mark.parametrize("handler_colour", HANDLERS)
def test_a_sync_provider_that_returns_an_awaitable_is_awaited(
    api: responder.API, mode: str, handler_colour: str
) -> None:
    """A sync wrapper around an async function (a common decorator shape) still gives its value."""

    async def load() -> str:
        return "loaded"

    @api.dependency()
    def wrapped() -> Any:
        return load()  # a coroutine, from a plain function

    if handler_colour == "sync":

        @api.route("/wrapped")
        def sync_handler(req: Request, resp: Response, *, wrapped: str) -> None:
            resp.text = wrapped

    else:

        @api.route("/wrapped")
        async def async_handler(req: Request, resp: Response, *, wrapped: str) -> None:
            resp.text = wrapped

    with api.test_client(mode=mode) as client:
        assert client.get("/wrapped").text == "loaded"


def _paging_app(providers: str, handler: str, calls: list[str]) -> responder.API:
    """A provider reading a `Query` marker, a handler reading a `Header` one, in given colours."""
    api = responder.API()

    if providers == "sync":

        @api.dependency(name="page")
        def sync_page(size: int = Query(10, ge=1, le=50)) -> dict[str, int]:
            calls.append("page")
            return {"size": size}

    else:

        @api.dependency(name="page")
        async def async_page(size: int = Query(10, ge=1, le=50)) -> dict[str, int]:
            calls.append("page")
            return {"size": size}

    if handler == "sync":

        @api.route("/list")
        def listing(req: Request, resp: Response, *, page: Any, n: int = Header(...)) -> None:
            resp.media = {"page": page, "n": n}

    else:

        @api.route("/list")
        async def listing_async(
            req: Request, resp: Response, *, page: Any, n: int = Header(...)
        ) -> None:
            resp.media = {"page": page, "n": n}

    return api


@pytest.mark.parametrize("handler_colour", HANDLERS)
@pytest.mark.parametrize("provider_colour", ["sync", "async"])
def test_markers_of_providers_and_handlers(
    mode: str, provider_colour: str, handler_colour: str
) -> None:
    """A provider's bad marker stops it before it runs; the handler's is reported after."""
    calls: list[str] = []
    api = _paging_app(provider_colour, handler_colour, calls)
    with api.test_client(mode=mode) as client:
        ok = client.get("/list?size=5", headers={"N": "3"})
        assert ok.json() == {"page": {"size": 5}, "n": 3}
        assert client.get("/list", headers={"N": "4"}).json() == {"page": {"size": 10}, "n": 4}
        assert calls == ["page", "page"]

        calls.clear()
        bad_provider = client.get("/list?size=0", headers={"N": "x"})
        assert bad_provider.status_code == 422
        assert [e["loc"] for e in bad_provider.json()["errors"]] == [["query", "size"]]
        assert calls == []  # refused before it ran

        bad_handler = client.get("/list?size=7")
        assert bad_handler.status_code == 422
        assert [e["loc"] for e in bad_handler.json()["errors"]] == [["header", "n"]]
        assert calls == ["page"]  # the provider ran; the handler did not


@pytest.mark.parametrize("colour", ["sync", "async"])
def test_depends_and_names_share_one_provider_per_request(mode: str, colour: str) -> None:
    """`Depends(func)` and the name func is registered under are one provider, made once."""
    made: list[str] = []
    api = responder.API()

    if colour == "sync":

        def db() -> str:
            made.append("db")
            return "db"

        def user(db: str = Depends(db)) -> str:
            return f"user on {db}"

        @api.route("/me")
        def me(req: Request, resp: Response, *, who: str = Depends(user), conn: Any) -> None:
            resp.media = {"who": who, "conn": conn}

    else:

        async def db() -> str:
            made.append("db")
            return "db"

        async def user(db: str = Depends(db)) -> str:
            return f"user on {db}"

        @api.route("/me")
        async def me_async(
            req: Request, resp: Response, *, who: str = Depends(user), conn: Any
        ) -> None:
            resp.media = {"who": who, "conn": conn}

    api.add_dependency("conn", db)
    with api.test_client(mode=mode) as client:
        for _ in range(2):
            assert client.get("/me").json() == {"who": "user on db", "conn": "db"}
    assert made == ["db", "db"]  # once per request, though asked for twice
