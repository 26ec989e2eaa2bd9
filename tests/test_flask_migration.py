"""Gradual Flask migration: a real Flask app mounted on an API, in both modes.

The Flask app is mounted as the fallback (`api.mount("", flask_app)`) and
under a prefix; either way its sessions, redirects, `url_for` and static
files must behave as they do when Flask is served alone.
"""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response as FlaskResponse

import responder
from responder.adapters.testing import TestClient

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "flask_migration.py"


def make_flask_app(static: Path) -> Flask:
    static.mkdir(exist_ok=True)
    (static / "site.css").write_text("body { color: black; }")
    app = Flask("legacy", static_folder=str(static), static_url_path="/static")
    app.secret_key = "test-secret"

    @app.route("/")
    def home() -> str:
        return f"hello {session.get('user', 'stranger')}"

    @app.route("/login", methods=["POST"])
    def login() -> FlaskResponse:
        session["user"] = request.form["name"]
        return redirect(url_for("home"))

    @app.route("/links")
    def links() -> FlaskResponse:
        return jsonify(
            home=url_for("home"),
            css=url_for("static", filename="site.css"),
            external=url_for("home", _external=True),
        )

    @app.route("/orders", methods=["GET", "POST"])
    def orders() -> FlaskResponse:
        return jsonify(by="flask", method=request.method)

    return app


@pytest.fixture(params=["", "/legacy"], ids=["fallback", "prefixed"])
def prefix(request: pytest.FixtureRequest) -> str:
    """Where the Flask app is mounted."""
    return str(request.param)


@pytest.fixture
def flask_client(
    api: responder.API, mode: str, prefix: str, tmp_path: Path
) -> Iterator[TestClient]:
    """A client for `api` with the Flask app mounted at `prefix` (before lifespan starts)."""
    api.mount(prefix, make_flask_app(tmp_path / "static"))

    @api.get("/orders")
    def orders(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"by": "responder"}

    with api.test_client(mode=mode) as client:
        yield client


def test_routes_on_the_api_win(flask_client: TestClient, prefix: str) -> None:
    assert flask_client.get("/orders").json() == {"by": "responder"}
    # POST /orders was not moved: with Flask as the fallback it still answers it.
    posted = flask_client.post("/orders")
    if prefix:
        assert posted.status_code == 405
    else:
        assert posted.json() == {"by": "flask", "method": "POST"}
    assert flask_client.get(f"{prefix}/orders").json()["by"] == ("flask" if prefix else "responder")


def test_flask_sessions_round_trip(flask_client: TestClient, prefix: str) -> None:
    assert flask_client.get(f"{prefix}/").text == "hello stranger"
    response = flask_client.post(f"{prefix}/login", data={"name": "ada"})
    assert response.history[0].status_code == 302
    assert response.text == "hello ada"
    assert "session" in flask_client.cookies
    assert flask_client.get(f"{prefix}/").text == "hello ada"
    flask_client.cookies.clear()
    assert flask_client.get(f"{prefix}/").text == "hello stranger"


def test_flask_redirects_follow_the_prefix(flask_client: TestClient, prefix: str) -> None:
    response = flask_client.post(f"{prefix}/login", data={"name": "ada"}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == f"{prefix}/"
    if prefix:  # the bare prefix: Flask itself redirects to the slash form
        bare = flask_client.get(prefix, follow_redirects=False)
        assert bare.headers["location"].endswith(f"{prefix}/")


def test_url_for_knows_the_mount_point(flask_client: TestClient, prefix: str) -> None:
    assert flask_client.get(f"{prefix}/links").json() == {
        "home": f"{prefix}/",
        "css": f"{prefix}/static/site.css",
        "external": f"http://testserver{prefix}/",
    }


def test_flask_static_files(flask_client: TestClient, prefix: str) -> None:
    css = flask_client.get(f"{prefix}/static/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.text == "body { color: black; }"
    again = flask_client.get(
        f"{prefix}/static/site.css", headers={"If-None-Match": css.headers["etag"]}
    )
    assert again.status_code == 304
    assert flask_client.get(f"{prefix}/static/missing.css").status_code == 404


def test_the_example_runs(mode: str) -> None:
    namespace = runpy.run_path(str(EXAMPLE))  # not as __main__: no server starts
    api = namespace["api"]
    with api.test_client(mode=mode) as client:
        assert client.get("/api/users").json() == [{"name": "ada"}, {"name": "grace"}]
        assert client.get("/api/health").json() == {"ok": True}
        created = client.post("/api/users", json={"name": "lin"}).json()
        assert created == {"created": "lin", "by": "flask"}
        home = client.get("/")
        assert 'href="/static/site.css"' in home.text
        assert "Hello, stranger!" in home.text
        assert client.get("/static/site.css").headers["content-type"].startswith("text/css")
        assert "Hello, ada!" in client.post("/login", data={"name": "ada"}).text
        assert "Hello, stranger!" in client.get("/logout").text
