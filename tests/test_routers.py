"""Standalone routers: declared without an API, registered by `api.include_router`."""

from __future__ import annotations

import pytest

import responder
from responder import Depends, Router, abort
from responder.adapters.testing import TestClient


def _users_router() -> Router:
    """What a `users.py` module would hold: no API in sight."""
    router = Router(prefix="/users", tags=["users"])

    @router.get("/")
    def list_users(req, resp):  # type: ignore[no-untyped-def]
        resp.media = ["ada", "grace"]

    @router.get("/{user_id:int}")
    def get_user(req, resp, *, user_id):  # type: ignore[no-untyped-def]
        resp.media = {"id": user_id}

    return router


def test_include_router_registers_its_routes(api: responder.API, client: TestClient) -> None:
    api.include_router(_users_router(), prefix="/api")
    assert client.get("/api/users/").json() == ["ada", "grace"]
    assert client.get("/api/users/5").json() == {"id": 5}
    assert client.get("/users/").status_code == 404
    assert api.url_for("get_user", user_id=5) == "/api/users/5"


def test_tags_are_passed_down_to_each_route(api: responder.API) -> None:
    router = Router(tags="accounts")

    @router.get("/plain")
    def plain(req, resp):  # type: ignore[no-untyped-def]
        pass

    @router.get("/tagged", tags=["billing"])
    def tagged(req, resp):  # type: ignore[no-untyped-def]
        pass

    api.include_router(router, prefix="/v1", tags=["v1", "accounts"])
    tags = {route.path: route.options["metadata"]["tags"] for route in api.router.routes}
    assert tags == {
        "/v1/plain": ["v1", "accounts"],
        "/v1/tagged": ["v1", "accounts", "billing"],
    }


def test_dependencies_guard_every_route(api: responder.API, client: TestClient) -> None:
    ran: list[str] = []

    def include_guard(req):  # type: ignore[no-untyped-def]
        ran.append("include")

    def router_guard(req):  # type: ignore[no-untyped-def]
        ran.append("router")
        if req.headers.get("X-Key") != "k":
            abort(401, "A key is required.")

    def route_guard(req):  # type: ignore[no-untyped-def]
        ran.append("route")

    router = Router(dependencies=[Depends(router_guard)])

    @router.get("/a", dependencies=[Depends(route_guard)])
    def a(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "a"

    api.include_router(router, dependencies=[Depends(include_guard)])

    @api.get("/open")
    def open_route(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "open"

    assert client.get("/a").status_code == 401
    assert ran == ["include", "router"]
    ran.clear()
    assert client.get("/a", headers={"X-Key": "k"}).text == "a"
    assert ran == ["include", "router", "route"]
    ran.clear()
    assert client.get("/open").text == "open"
    assert ran == []


def test_router_dependencies_are_provided(api: responder.API, client: TestClient) -> None:
    router = Router()
    closed: list[str] = []

    @router.dependency()
    def db():  # type: ignore[no-untyped-def]
        yield {"name": "db"}
        closed.append("db")

    @router.dependency("settings", scope="app")
    async def load_settings():  # type: ignore[no-untyped-def]
        return {"debug": False}

    @router.get("/info")
    def info(req, resp, db, settings):  # type: ignore[no-untyped-def]
        resp.media = {"db": db["name"], "settings": settings}

    api.include_router(router)

    @api.get("/elsewhere")  # providers are application-wide once included
    def elsewhere(req, resp, db):  # type: ignore[no-untyped-def]
        resp.text = db["name"]

    assert client.get("/info").json() == {"db": "db", "settings": {"debug": False}}
    assert client.get("/elsewhere").text == "db"
    assert closed == ["db", "db"]


def test_router_hooks_are_scoped_to_its_routes(api: responder.API, client: TestClient) -> None:
    order: list[str] = []
    router = Router(prefix="/admin")

    @router.before_request
    def check(req, resp):  # type: ignore[no-untyped-def]
        order.append("router-before")

    @router.after_request()
    def stamp(req, resp):  # type: ignore[no-untyped-def]
        resp.headers["X-Admin"] = "1"

    @router.get("/panel")
    def panel(req, resp):  # type: ignore[no-untyped-def]
        order.append("handler")
        resp.text = "panel"

    @api.before_request
    def everywhere(req, resp):  # type: ignore[no-untyped-def]
        order.append("global-before")

    @api.get("/home")
    def home(req, resp):  # type: ignore[no-untyped-def]
        order.append("home")
        resp.text = "home"

    api.include_router(router)
    assert client.get("/admin/panel").headers["x-admin"] == "1"
    assert order == ["global-before", "router-before", "handler"]
    order.clear()
    assert "x-admin" not in client.get("/home").headers
    assert order == ["global-before", "home"]


def test_router_exception_handlers_are_scoped(api: responder.API, client: TestClient) -> None:
    router = Router(prefix="/r")

    @router.exception_handler(KeyError)
    def missing(req, resp, exc):  # type: ignore[no-untyped-def]
        resp.status_code = 404
        resp.media = {"missing": str(exc.args[0])}

    @router.get("/lookup")
    def lookup(req, resp):  # type: ignore[no-untyped-def]
        raise KeyError("item")

    @api.get("/lookup")
    def lookup_outside(req, resp):  # type: ignore[no-untyped-def]
        raise KeyError("item")

    @api.exception_handler(KeyError)
    def app_wide(req, resp, exc):  # type: ignore[no-untyped-def]
        resp.status_code = 400
        resp.media = {"app": True}

    api.include_router(router)
    inside = client.get("/r/lookup")
    assert (inside.status_code, inside.json()) == (404, {"missing": "item"})
    outside = client.get("/lookup")
    assert (outside.status_code, outside.json()) == (400, {"app": True})


def test_nested_routers_and_late_declarations(api: responder.API, client: TestClient) -> None:
    seen: list[str] = []
    outer = Router(prefix="/v1")
    inner = Router(prefix="/reports", tags=["reports"])

    @outer.before_request
    def outer_hook(req, resp):  # type: ignore[no-untyped-def]
        seen.append("outer")

    @inner.before_request
    def inner_hook(req, resp):  # type: ignore[no-untyped-def]
        seen.append("inner")

    outer.include_router(inner, prefix="/team")
    api.include_router(outer)

    # Declared after the include: still registered, with the same prefix and hooks.
    @inner.get("/weekly")
    def weekly(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"report": "weekly"}

    assert client.get("/v1/team/reports/weekly").json() == {"report": "weekly"}
    assert seen == ["outer", "inner"]
    (route,) = api.router.routes
    assert route.options["metadata"]["tags"] == ["reports"]


def test_one_router_included_twice(api: responder.API, client: TestClient) -> None:
    router = Router()

    @router.get("/status")
    def status(req, resp):  # type: ignore[no-untyped-def]
        resp.text = req.path

    api.include_router(router, prefix="/a")
    api.include_router(router, prefix="/b")
    assert client.get("/a/status").text == "/a/status"
    assert client.get("/b/status").text == "/b/status"


def test_router_mistakes_are_caught_early() -> None:
    router = Router()
    with pytest.raises(ValueError, match="reserved"):
        router.add_dependency("req", lambda: None)
    with pytest.raises(ValueError, match="scope"):
        router.add_dependency("db", lambda: None, scope="session")
    with pytest.raises(ValueError, match="itself"):
        router.include_router(router)
    with pytest.raises(ValueError, match="start with '/'"):
        Router(prefix="users")
    other = Router()
    router.include_router(other)
    other.include_router(router)
    with pytest.raises(ValueError, match="itself"):
        responder.API().include_router(router)


def test_duplicate_routes_across_routers_are_refused(api: responder.API) -> None:
    first, second = Router(), Router()
    first.add_route("/same", lambda req, resp: None)
    second.add_route("/same", lambda req, resp: None)
    api.include_router(first)
    with pytest.raises(ValueError, match="already exists"):
        api.include_router(second)
