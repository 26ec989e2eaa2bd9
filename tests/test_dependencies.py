"""Dependency injection: providers, scopes, Depends, teardown, errors; both modes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest

import responder
from responder import Depends, Request
from responder.adapters.testing import TestClient


def test_named_providers_compose_and_tear_down_in_reverse(
    api: responder.API, client: TestClient
) -> None:
    events: list[str] = []

    @api.dependency()
    def config() -> dict[str, str]:
        events.append("config")
        return {"url": "db://test"}

    @api.dependency()
    async def db(config: dict[str, str]) -> AsyncIterator[str]:
        events.append("db open")
        yield config["url"]
        events.append("db close")

    @api.dependency()
    def session(db: str) -> Iterator[str]:
        events.append("session open")
        yield f"session on {db}"
        events.append("session close")

    @api.route("/users/{id:int}")
    async def get_user(req, resp, *, id, session, db):  # type: ignore[no-untyped-def]
        resp.media = {"id": id, "session": session, "db": db}

    assert client.get("/users/7").json() == {
        "id": 7,
        "session": "session on db://test",
        "db": "db://test",
    }
    assert events == ["config", "db open", "session open", "session close", "db close"]


def test_path_parameters_win_over_dependencies(api: responder.API, client: TestClient) -> None:
    @api.dependency()
    def id() -> str:
        return "from provider"

    @api.route("/things/{id}")
    def thing(req, resp, *, id):  # type: ignore[no-untyped-def]
        resp.text = id

    assert client.get("/things/from-path").text == "from-path"


def test_depends_one_offs_nest_and_memoize(api: responder.API, client: TestClient) -> None:
    calls: list[str] = []

    def get_db() -> str:
        calls.append("db")
        return "db"

    def current_user(req: Request, db: str = Depends(get_db)) -> str:
        calls.append("user")
        return f"{req.headers.get('Authorization')}@{db}"

    def audit(user: str = Depends(current_user), db: str = Depends(get_db)) -> str:
        return f"audit of {user} on {db}"

    @api.route("/me")
    def me(req, resp, *, user=Depends(current_user), note=Depends(audit)):  # type: ignore[no-untyped-def]
        resp.media = {"user": user, "note": note}

    body = client.get("/me", headers={"Authorization": "alice"}).json()
    assert body == {"user": "alice@db", "note": "audit of alice@db on db"}
    assert calls == ["db", "user"]


def test_route_guards(api: responder.API, client: TestClient) -> None:
    def require_token(request: Request) -> None:
        if request.headers.get("X-Token") != "ok":
            responder.abort(401, "No token")

    @api.route("/private", dependencies=[Depends(require_token)])
    def private(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"ok": True}

    assert client.get("/private").status_code == 401
    assert client.get("/private", headers={"X-Token": "ok"}).json() == {"ok": True}


def test_teardown_runs_once_when_the_handler_raises(mode: str) -> None:
    api = responder.API()
    events: list[str] = []

    @api.dependency()
    def resource() -> Iterator[str]:
        events.append("open")
        yield "r"
        events.append("close")

    @api.route("/fail")
    def fail(req, resp, *, resource):  # type: ignore[no-untyped-def]
        raise RuntimeError("handler failed")

    @api.route("/abort")
    async def stop(req, resp, *, resource):  # type: ignore[no-untyped-def]
        responder.abort(409)

    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        assert client.get("/fail").status_code == 500
        assert events == ["open", "close"]
        assert client.get("/abort").status_code == 409
        assert events == ["open", "close", "open", "close"]


def test_request_aware_providers(api: responder.API, client: TestClient) -> None:
    @api.dependency()
    def by_req(req):  # type: ignore[no-untyped-def]
        return req.path

    @api.dependency()
    def by_request(request):  # type: ignore[no-untyped-def]
        return request.method

    @api.dependency()
    def by_annotation(incoming: Request) -> str:
        return incoming.headers["X-Who"]

    @api.route("/aware")
    def aware(req, resp, *, by_req, by_request, by_annotation):  # type: ignore[no-untyped-def]
        resp.media = [by_req, by_request, by_annotation]

    assert client.get("/aware", headers={"X-Who": "me"}).json() == ["/aware", "GET", "me"]


def test_app_scope_runs_once_and_tears_down_at_shutdown(mode: str) -> None:
    api = responder.API()
    events: list[str] = []

    @api.dependency(scope="app")
    async def pool() -> AsyncIterator[str]:
        events.append("pool open")
        yield "pool"
        events.append("pool close")

    @api.dependency(name="session")
    def make_session(pool: str) -> Iterator[str]:
        yield f"session from {pool}"

    @api.route("/q")
    def query(req, resp, *, session):  # type: ignore[no-untyped-def]
        resp.text = session

    with api.test_client(mode=mode) as client:
        assert client.get("/q").text == "session from pool"
        assert client.get("/q").text == "session from pool"
        assert events == ["pool open"]
    assert events == ["pool open", "pool close"]


def test_app_scope_cannot_use_the_request(mode: str) -> None:
    api = responder.API()

    @api.dependency()
    def per_request() -> str:
        return "r"

    @api.dependency(scope="app")
    def needs_request(per_request: str) -> str:
        return per_request

    @api.route("/bad")
    def bad(req, resp, *, needs_request):  # type: ignore[no-untyped-def]
        pass

    with api.test_client(mode=mode) as client, pytest.raises(responder.DependencyScopeError):
        client.get("/bad")
    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        response = client.get("/bad")
    assert response.status_code == 500
    assert "per_request" in response.json()["detail"]


def test_cycles_and_missing_providers_are_clear_500s(mode: str) -> None:
    api = responder.API()

    @api.dependency()
    def chicken(egg):  # type: ignore[no-untyped-def]
        return egg

    @api.dependency()
    def egg(chicken):  # type: ignore[no-untyped-def]
        return chicken

    @api.route("/cycle")
    def cycle(req, resp, *, chicken):  # type: ignore[no-untyped-def]
        pass

    @api.route("/missing")
    def missing(req, resp, *, nowhere):  # type: ignore[no-untyped-def]
        pass

    with api.test_client(mode=mode) as client:
        with pytest.raises(responder.DependencyCycleError, match="chicken -> egg -> chicken"):
            client.get("/cycle")
        with pytest.raises(responder.DependencyResolutionError):
            client.get("/missing")
    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        response = client.get("/cycle")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert "Traceback" not in response.text
        assert issubclass(responder.DependencyCycleError, responder.DependencyError)


def test_reserved_names_and_bad_scopes(api: responder.API) -> None:
    for name in ("req", "request", "resp", "response", "ws", "websocket"):
        with pytest.raises(ValueError, match="reserved"):
            api.add_dependency(name, lambda: None)
    with pytest.raises(ValueError, match="scope"):
        api.add_dependency("x", lambda: None, scope="session")


def test_class_views_share_memoized_providers(api: responder.API, client: TestClient) -> None:
    calls: list[str] = []

    @api.dependency()
    def counter() -> int:
        calls.append("counter")
        return len(calls)

    @api.route("/view")
    class View:
        def on_request(self, req, resp, *, counter):  # type: ignore[no-untyped-def]
            resp.headers["X-Counter"] = str(counter)

        def on_get(self, req, resp, *, counter):  # type: ignore[no-untyped-def]
            resp.media = {"counter": counter}

    response = client.get("/view")
    assert response.json() == {"counter": 1}
    assert response.headers["x-counter"] == "1"
    assert calls == ["counter"]


def test_teardown_runs_once_when_the_client_disconnects(mode: str) -> None:
    api = responder.API()
    events: list[str] = []

    @api.dependency()
    def resource() -> Iterator[int]:
        events.append("open")
        yield 1
        events.append("close")

    @api.route("/stream")
    def stream(req, resp, *, resource):  # type: ignore[no-untyped-def]
        def chunks() -> Iterator[bytes]:
            for _ in range(10_000):
                yield b"x" * 1024

        resp.stream(chunks())

    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        with client.stream("GET", "/stream") as response:
            assert next(response.iter_bytes())
        deadline = time.monotonic() + 5
        while events != ["open", "close"] and time.monotonic() < deadline:
            time.sleep(0.01)
    assert events == ["open", "close"]
