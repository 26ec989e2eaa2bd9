"""Route groups: a shared prefix, group-scoped hooks, nesting (`api.group`)."""

from __future__ import annotations

import pytest

import responder
from responder.adapters.testing import TestClient


def test_groups_share_a_prefix(api: responder.API, client: TestClient) -> None:
    v1 = api.group("/v1")

    @v1.route("/users")
    def list_users(req, resp):  # type: ignore[no-untyped-def]
        resp.media = []

    @v1.route("/users/{user_id:int}")
    def get_user(req, resp, *, user_id):  # type: ignore[no-untyped-def]
        resp.media = {"id": user_id}

    v2 = api.group("/v2/")  # a trailing slash is the same prefix

    @v2.route("/users")
    def list_users_v2(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"users": [], "total": 0}

    assert client.get("/v1/users").json() == []
    assert client.get("/v1/users/7").json() == {"id": 7}
    assert client.get("/v2/users").json() == {"users": [], "total": 0}
    assert client.get("/users").status_code == 404
    assert api.url_for("get_user", user_id=3) == "/v1/users/3"


def test_method_decorators_and_add_route(api: responder.API, client: TestClient) -> None:
    items = api.group("/items")

    @items.get("/")
    def index(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "get"

    @items.post("/")
    def create(req, resp):  # type: ignore[no-untyped-def]
        resp.status_code = 201
        resp.text = "post"

    @items.put("/{n:int}")
    def replace(req, resp, *, n):  # type: ignore[no-untyped-def]
        resp.text = f"put {n}"

    @items.patch("/{n:int}")
    def update(req, resp, *, n):  # type: ignore[no-untyped-def]
        resp.text = f"patch {n}"

    @items.delete("/{n:int}")
    async def remove(req, resp, *, n):  # type: ignore[no-untyped-def]
        resp.status_code = 204

    def count(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"count": 0}

    items.add_route("/count", count, methods=["GET"])

    assert client.get("/items/").text == "get"
    assert (client.post("/items/").status_code, client.post("/items/").text) == (201, "post")
    assert client.put("/items/2").text == "put 2"
    assert client.patch("/items/2").text == "patch 2"
    assert client.delete("/items/2").status_code == 204
    assert client.get("/items/count").json() == {"count": 0}
    denied = client.post("/items/count")
    assert denied.status_code == 405
    assert denied.headers["allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("parentheses", [True, False])
def test_group_hooks_run_only_for_the_group(
    api: responder.API, client: TestClient, parentheses: bool
) -> None:
    v1 = api.group("/v1")
    seen: list[str] = []

    @v1.route("/users")
    def users(req, resp):  # type: ignore[no-untyped-def]
        resp.media = ["ada"]

    @api.route("/v10/users")  # shares the characters, not the prefix
    def v10_users(req, resp):  # type: ignore[no-untyped-def]
        resp.media = []

    @api.route("/health")
    def health(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "ok"

    # Registered after the routes, as in the spec: it must still guard them.
    def require_key(req, resp):  # type: ignore[no-untyped-def]
        seen.append(req.path)
        if "X-Api-Key" not in req.headers:
            resp.status_code = 401
            resp.media = {"error": "missing API key"}

    if parentheses:
        v1.before_request()(require_key)
    else:
        v1.before_request(require_key)

    denied = client.get("/v1/users")
    assert (denied.status_code, denied.json()) == (401, {"error": "missing API key"})
    assert client.get("/v1/users", headers={"X-Api-Key": "k"}).json() == ["ada"]
    assert client.get("/health").text == "ok"
    assert client.get("/v10/users").json() == []
    assert seen == ["/v1/users", "/v1/users"]


def test_hook_order_global_group_nested_route(api: responder.API, client: TestClient) -> None:
    order: list[str] = []

    def record(name: str):  # type: ignore[no-untyped-def]
        def hook(req, resp):  # type: ignore[no-untyped-def]
            order.append(name)

        return hook

    api.before_request(record("global-before"))
    api.after_request(record("global-after"))
    v1 = api.group("/v1")
    admin = v1.group("/admin")
    admin.before_request(record("admin-before"))
    admin.after_request(record("admin-after"))
    v1.before_request(record("v1-before"))
    v1.after_request(record("v1-after"))

    @admin.route("/stats", before=record("route-before"), after=record("route-after"))
    def stats(req, resp):  # type: ignore[no-untyped-def]
        order.append("handler")
        resp.media = {"ok": True}

    assert client.get("/v1/admin/stats").json() == {"ok": True}
    assert order == [
        "global-before",
        "v1-before",
        "admin-before",
        "route-before",
        "handler",
        "route-after",
        "admin-after",
        "v1-after",
        "global-after",
    ]


def test_async_group_hook_guards_a_sync_route(api: responder.API, client: TestClient) -> None:
    """An `async def` hook added later switches the route to the async driver."""
    admin = api.group("/admin")

    @admin.get("/panel")
    def panel(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "panel"

    @admin.before_request
    async def only_admins(req, resp):  # type: ignore[no-untyped-def]
        if req.headers.get("X-Role") != "admin":
            resp.status_code = 403
            resp.text = "forbidden"

    assert client.get("/admin/panel").status_code == 403
    assert client.get("/admin/panel", headers={"X-Role": "admin"}).text == "panel"


def test_group_hooks_do_not_touch_unrouted_paths(api: responder.API, client: TestClient) -> None:
    """A group's hooks belong to its routes; a 404 under its prefix is the API's answer."""
    v1 = api.group("/v1")

    @v1.before_request
    def deny(req, resp):  # type: ignore[no-untyped-def]
        resp.status_code = 401

    @v1.route("/users")
    def users(req, resp):  # type: ignore[no-untyped-def]
        resp.media = []

    assert client.get("/v1/users").status_code == 401
    assert client.get("/v1/nothing-here").status_code == 404


def test_group_route_with_before_request_flag(api: responder.API, client: TestClient) -> None:
    v1 = api.group("/v1")

    @v1.route(before_request=True)
    def stamp(req, resp):  # type: ignore[no-untyped-def]
        resp.headers["X-Group"] = "v1"

    @v1.route("/ping")
    def ping(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "pong"

    @api.route("/ping")
    def root_ping(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "pong"

    assert client.get("/v1/ping").headers["x-group"] == "v1"
    assert "x-group" not in client.get("/ping").headers


def test_group_prefixes_are_checked(api: responder.API) -> None:
    with pytest.raises(ValueError, match="start with '/'"):
        api.group("v1")
    group = api.group("/v1")
    with pytest.raises(ValueError, match="start with '/'"):
        group.add_route("users", lambda req, resp: None)

    @group.route("/dup")
    def first(req, resp):  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(ValueError, match="already exists"):

        @group.route("/dup")
        def second(req, resp):  # type: ignore[no-untyped-def]
            pass
