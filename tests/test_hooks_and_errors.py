"""Before/after hooks, exception handlers and error rendering."""

from __future__ import annotations

import pytest

import responder
from responder import Problem, abort
from responder.adapters.testing import TestClient


def test_before_hook_short_circuits(api: responder.API, client: TestClient) -> None:
    calls: list[str] = []

    @api.route(before_request=True)
    def auth_check(req, resp):  # type: ignore[no-untyped-def]
        resp.headers["X-API-Version"] = "3.2"
        if "Authorization" not in req.headers:
            resp.status_code = 401
            resp.media = {"error": "unauthorized"}

    @api.route("/secret")
    def secret(req, resp):  # type: ignore[no-untyped-def]
        calls.append("handler")
        resp.media = {"ok": True}

    denied = client.get("/secret")
    assert (denied.status_code, denied.json()) == (401, {"error": "unauthorized"})
    assert denied.headers["x-api-version"] == "3.2"
    assert calls == []
    assert client.get("/secret", headers={"Authorization": "x"}).json() == {"ok": True}


def test_hook_order(api: responder.API, client: TestClient) -> None:
    order: list[str] = []

    @api.before_request
    def global_before(req, resp):  # type: ignore[no-untyped-def]
        order.append("global-before")

    @api.after_request()
    async def global_after(req, resp):  # type: ignore[no-untyped-def]
        order.append("global-after")

    def local_before(req, resp):  # type: ignore[no-untyped-def]
        order.append("local-before")

    def local_after(req, resp):  # type: ignore[no-untyped-def]
        order.append("local-after")
        resp.headers["X-Audited"] = "1"

    @api.route("/reports", before=local_before, after=local_after)
    def reports(req, resp):  # type: ignore[no-untyped-def]
        order.append("handler")
        resp.media = []

    assert client.get("/reports").headers["x-audited"] == "1"
    assert order == ["global-before", "local-before", "handler", "local-after", "global-after"]


def test_exception_handler_by_class_and_status(api: responder.API, client: TestClient) -> None:
    @api.exception_handler(ValueError)
    async def handle_value_error(req, resp, exc):  # type: ignore[no-untyped-def]
        resp.status_code = 400
        resp.media = {"error": str(exc)}

    def not_found(req, resp, exc):  # type: ignore[no-untyped-def]
        resp.status_code = 404
        resp.media = {"error": "nothing here"}

    api.add_exception_handler(404, not_found)

    @api.route("/value")
    def value(req, resp):  # type: ignore[no-untyped-def]
        raise ValueError("bad value")

    response = client.get("/value")
    assert (response.status_code, response.json()) == (400, {"error": "bad value"})
    response = client.get("/missing")
    assert (response.status_code, response.json()) == (404, {"error": "nothing here"})


def test_abort_and_problem(api: responder.API, client: TestClient) -> None:
    @api.route("/admin")
    def admin(req, resp):  # type: ignore[no-untyped-def]
        abort(403, detail="Forbidden")

    @api.route("/quota")
    async def quota(req, resp):  # type: ignore[no-untyped-def]
        raise Problem(
            409,
            "You have used all 100 requests for today.",
            title="Quota Exceeded",
            type="https://api.example.com/errors/quota-exceeded",
            balance=0,
        )

    @api.route("/conflict")
    def conflict(req, resp):  # type: ignore[no-untyped-def]
        abort(409, type="https://example.com/conflict", balance=0)

    response = client.get("/admin")
    assert response.status_code == 403
    assert response.json() == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "Forbidden",
        "instance": "/admin",
    }
    response = client.get("/quota")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://api.example.com/errors/quota-exceeded",
        "title": "Quota Exceeded",
        "status": 409,
        "detail": "You have used all 100 requests for today.",
        "instance": "/quota",
        "balance": 0,
    }
    assert client.get("/conflict").json()["balance"] == 0


def test_unhandled_errors_are_500_without_traceback(mode: str) -> None:
    api = responder.API()

    @api.route("/boom")
    def boom(req, resp):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_test_client_reraises_by_default(api: responder.API, client: TestClient) -> None:
    @api.route("/boom")
    async def boom(req, resp):  # type: ignore[no-untyped-def]
        raise KeyError("raised in the test")

    with pytest.raises(KeyError):
        client.get("/boom")


def test_debug_shows_the_traceback(mode: str) -> None:
    api = responder.API(debug=True)

    @api.route("/boom")
    def boom(req, resp):  # type: ignore[no-untyped-def]
        raise RuntimeError("visible in debug")

    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "visible in debug" in response.text
    assert "Traceback" in response.text


def test_legacy_error_format(mode: str) -> None:
    api = responder.API(problem_details=False)
    with api.test_client(mode=mode) as client:
        as_json = client.get("/missing", headers={"Accept": "application/json"})
        as_html = client.get("/missing", headers={"Accept": "text/html"})
    assert as_json.json() == {"error": "Not Found"}
    assert as_html.text == "Not Found"


def test_problem_handler_enriches(mode: str) -> None:
    def enrich(req, problem):  # type: ignore[no-untyped-def]
        problem["request_path"] = req.path

    api = responder.API(problem_handler=enrich)
    with api.test_client(mode=mode) as client:
        assert client.get("/nothing").json()["request_path"] == "/nothing"


def test_hooks_run_for_router_answers(api: responder.API, client: TestClient) -> None:
    @api.before_request()
    def tag(req, resp):  # type: ignore[no-untyped-def]
        req.state.tagged = True

    @api.after_request
    def stamp(req, resp):  # type: ignore[no-untyped-def]
        resp.headers["X-Served-By"] = "responder"

    @api.route("/only-get", methods=["GET"])
    def only_get(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "ok"

    for response in (client.get("/nowhere"), client.post("/only-get"), client.options("/only-get")):
        assert response.headers["x-served-by"] == "responder"
    assert client.get("/nowhere").status_code == 404


def test_status_handlers_keep_the_error_headers(api: responder.API, client: TestClient) -> None:
    @api.exception_handler(405)
    def not_allowed(req, resp, exc):  # type: ignore[no-untyped-def]
        resp.media = {"error": "wrong method"}

    @api.exception_handler(401)
    async def unauthorized(req, resp, exc):  # type: ignore[no-untyped-def]
        resp.media = {"error": "log in"}

    @api.route("/items", methods=["GET"])
    def items(req, resp):  # type: ignore[no-untyped-def]
        abort(401, headers={"WWW-Authenticate": "Bearer"})

    response = client.post("/items")
    assert (response.status_code, response.json()) == (405, {"error": "wrong method"})
    assert "GET" in response.headers["allow"]
    response = client.get("/items")
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")


def test_debug_skips_the_catch_all(mode: str) -> None:
    for debug in (False, True):
        api = responder.API(debug=debug)

        @api.exception_handler(Exception)
        def catch_all(req, resp, exc):  # type: ignore[no-untyped-def]
            resp.status_code = 500
            resp.media = {"caught": True}

        @api.exception_handler(ValueError)
        def value_error(req, resp, exc):  # type: ignore[no-untyped-def]
            resp.status_code = 400
            resp.media = {"value": True}

        @api.route("/boom")
        def boom(req, resp):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

        @api.route("/value")
        def value(req, resp):  # type: ignore[no-untyped-def]
            raise ValueError("value")

        with api.test_client(mode=mode, raise_server_exceptions=False) as client:
            boom_response = client.get("/boom")
            assert client.get("/value").json() == {"value": True}
        if debug:
            assert "Traceback" in boom_response.text
        else:
            assert boom_response.json() == {"caught": True}


def test_broken_after_hook_and_unencodable_media_are_500s(mode: str) -> None:
    api = responder.API()

    @api.route("/unencodable")
    def unencodable(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"value": object()}

    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        response = client.get("/unencodable")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
