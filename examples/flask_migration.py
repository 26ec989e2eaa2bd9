"""Migrating a Flask application to responder one route at a time.

The Flask app below is the "legacy" site: pages, a login kept in Flask's
signed-cookie session, redirects built with `url_for`, and static files.
`api.mount("", legacy)` puts it behind a responder API, which then answers
only what it routes itself. Everything else (the pages, the login, the
CSS) still goes to Flask, unchanged. Moving a route means writing it on
`api`; the Flask view can be deleted afterwards, as it is no longer reached.

The same `api` serves both protocols, so the Flask app keeps running under
a WSGI server and also runs under an ASGI one, bridged by a2wsgi:

    python examples/flask_migration.py              # api.run(): uvicorn on 127.0.0.1:5042
    uvicorn examples.flask_migration:api
    gunicorn examples.flask_migration:api

`tests/test_flask_migration.py` runs this module and checks each of the
behaviours above in both modes.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response as FlaskResponse

import responder

legacy = Flask(
    __name__,
    static_folder=str(Path(__file__).resolve().parent / "legacy_static"),
    static_url_path="/static",
)
# A real deployment reads the key from its secrets; this default only suits a demo.
legacy.secret_key = os.environ.get("LEGACY_SECRET_KEY", "flask-migration-demo-key")


@legacy.route("/")
def home() -> str:
    """A page that still lives in Flask: it reads the session and links with `url_for`."""
    user = session.get("user", "stranger")
    css = url_for("static", filename="site.css")
    return f'<link rel="stylesheet" href="{css}"><p>Hello, {user}!</p>'


@legacy.route("/login", methods=["GET", "POST"])
def login() -> str | FlaskResponse:
    """Store the user in Flask's session cookie, then redirect home."""
    if request.method == "POST":
        session["user"] = request.form["name"]
        return redirect(url_for("home"))
    return f'<form method="post" action="{url_for("login")}"><input name="name"></form>'


@legacy.route("/logout")
def logout() -> FlaskResponse:
    session.clear()
    return redirect(url_for("home"))


@legacy.route("/api/users", methods=["GET", "POST"])
def legacy_users() -> FlaskResponse:
    """The old users endpoint. GET has moved to responder; POST is still served here."""
    if request.method == "POST":
        return jsonify({"created": request.get_json()["name"], "by": "flask"})
    return jsonify([{"name": "from flask"}])


# Flask keeps serving /static, so the API must not claim that prefix for its own files.
api = responder.API(static_dir=None)


@api.get("/api/users")
def users(req: responder.Request, resp: responder.Response) -> None:
    """GET /api/users, moved from Flask: routes on the API win over the mount."""
    resp.media = [{"name": "ada"}, {"name": "grace"}]


@api.get("/api/health")
async def health(req: responder.Request, resp: responder.Response) -> None:
    """A new endpoint that never existed in Flask, and may well be async."""
    resp.media = {"ok": True}


api.mount("", legacy)

if __name__ == "__main__":
    api.run()
