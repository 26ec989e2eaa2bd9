"""A responder API embedded in an existing WSGI deployment, next to a Flask site.

werkzeug's `DispatcherMiddleware` sends everything under `/api` to the API
and the rest to the Flask site. The API is called as the plain WSGI
application it is, with `SCRIPT_NAME=/api`, so its URLs, redirects and
`req.root_path` carry the prefix without any setting. Any WSGI server runs
the combined `application`:

    gunicorn examples.legacy_wsgi:application
    gunicorn -k gthread --threads 4 examples.legacy_wsgi:application
    waitress-serve --listen=127.0.0.1:8080 examples.legacy_wsgi:application
    uwsgi --http :8080 --module examples.legacy_wsgi:application

mod_wsgi looks for a module-level `application`, so this file can be the
WSGIScriptAlias target as it stands. `tests/servers/test_legacy_wsgi_server.py`
serves it with gunicorn and waitress and drives it over real sockets.
"""

from __future__ import annotations

import asyncio

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import responder

site = Flask(__name__)


@site.route("/")
def home() -> str:
    """The legacy site's front page; the API lives under /api beside it."""
    return "the legacy site"


api = responder.API()
api.state.started = False


@api.on_event("startup")
def mark_started() -> None:
    """Under WSGI, startup runs once, before the API's first request."""
    api.state.started = True


@api.get("/")
def index(req: responder.Request, resp: responder.Response) -> None:
    """Report where the API finds itself mounted, and whether startup ran."""
    resp.media = {"service": "api", "root_path": req.root_path, "started": api.state.started}


@api.get("/items/{item_id:int}")
def item(req: responder.Request, resp: responder.Response, *, item_id: int) -> None:
    resp.media = {"id": item_id, "url": req.root_path + api.url_for("item", item_id=item_id)}


@api.post("/echo")
def echo(req: responder.Request, resp: responder.Response) -> None:
    """Read the JSON body synchronously: no event loop on this path."""
    resp.media = {"echo": req.media_sync()}


@api.get("/async")
async def from_a_coroutine(req: responder.Request, resp: responder.Response) -> None:
    """An async handler, run on the worker thread's own loop under WSGI."""
    await asyncio.sleep(0)
    resp.media = {"async": True}


application = DispatcherMiddleware(site, {"/api": api})
