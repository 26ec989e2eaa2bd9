"""The peer apps: Falcon (WSGI and ASGI), Flask and Starlette doing the same work.

Each app is written the way that framework's documentation suggests, using its
own routing converters and JSON helpers, so the comparison is against idiomatic
code rather than against hand-tuned shortcuts.
"""

from __future__ import annotations

import falcon
import falcon.asgi
from flask import Flask, jsonify, request
from flask import Response as FlaskResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks.harness import Contender

# --------------------------------------------------------------------------- Falcon WSGI


class _FalconHello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"hello": "world"}


class _FalconItem:
    def on_get(self, req: falcon.Request, resp: falcon.Response, item_id: int) -> None:
        resp.media = {"id": item_id, "q": req.get_param("q")}


class _FalconEcho:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = req.get_media()


def build_falcon_wsgi() -> falcon.App[falcon.Request, falcon.Response]:
    """Falcon's WSGI flavour, with the ``int`` converter doing the parsing."""
    app = falcon.App()
    app.add_route("/hello", _FalconHello())
    app.add_route("/items/{item_id:int}", _FalconItem())
    app.add_route("/echo", _FalconEcho())
    return app


# --------------------------------------------------------------------------- Falcon ASGI


class _FalconAsyncHello:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"hello": "world"}


class _FalconAsyncItem:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, item_id: int
    ) -> None:
        resp.media = {"id": item_id, "q": req.get_param("q")}


class _FalconAsyncEcho:
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = await req.get_media()


def build_falcon_asgi() -> falcon.asgi.App[falcon.asgi.Request, falcon.asgi.Response]:
    """Falcon's ASGI flavour: same routes, ``async`` responders."""
    app = falcon.asgi.App()
    app.add_route("/hello", _FalconAsyncHello())
    app.add_route("/items/{item_id:int}", _FalconAsyncItem())
    app.add_route("/echo", _FalconAsyncEcho())
    return app


# --------------------------------------------------------------------------- Flask


def build_flask() -> Flask:
    """Flask with view functions and ``jsonify``, the textbook style."""
    app = Flask("bench_flask")

    @app.get("/hello")
    def hello() -> FlaskResponse:
        return jsonify({"hello": "world"})

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> FlaskResponse:
        return jsonify({"id": item_id, "q": request.args.get("q")})

    @app.post("/echo")
    def echo() -> FlaskResponse:
        return jsonify(request.get_json())

    return app


# --------------------------------------------------------------------------- Starlette


async def _starlette_hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


async def _starlette_item(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["item_id"], "q": request.query_params.get("q")})


async def _starlette_echo(request: Request) -> JSONResponse:
    return JSONResponse(await request.json())


def build_starlette() -> Starlette:
    """Starlette with plain ``Route`` objects and ``async`` endpoints."""
    return Starlette(
        routes=[
            Route("/hello", _starlette_hello),
            Route("/items/{item_id:int}", _starlette_item),
            Route("/echo", _starlette_echo, methods=["POST"]),
        ]
    )


WSGI_PEERS: list[Contender] = [
    Contender("falcon-wsgi", "falcon", "wsgi", "falcon wsgi", build_falcon_wsgi),
    Contender("flask-wsgi", "flask", "wsgi", "flask", build_flask),
]
"""WSGI peers; a failure here aborts the run because the baseline must be sound."""

ASGI_PEERS: list[Contender] = [
    Contender("falcon-asgi", "falcon", "asgi", "falcon asgi", build_falcon_asgi),
    Contender("starlette-asgi", "starlette", "asgi", "starlette", build_starlette),
]
"""ASGI peers; a failure here aborts the run because the baseline must be sound."""
