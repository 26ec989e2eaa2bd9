"""The peer apps: Falcon (WSGI and ASGI), Flask, Starlette and FastAPI doing the same work.

Each app is written the way that framework's documentation suggests, using its
own routing converters and JSON helpers, so the comparison is against idiomatic
code rather than against hand-tuned shortcuts. Falcon, Flask and Starlette have
no body validation or dependency injection, so they validate with
``ItemIn.model_validate`` and call the dependencies by hand (``models.py``);
FastAPI uses its own body parameters and ``Depends``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Annotated, Any

import falcon
import falcon.asgi
from fastapi import Body, Depends, FastAPI
from flask import Flask, jsonify, request, send_file
from flask import Response as FlaskResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from benchmarks.harness import Contender
from benchmarks.models import FILE_SIZES, ItemIn, bench_file, session, settings, validate_item

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


class _FalconCreate:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        status, resp.media = validate_item(req.get_media())
        resp.status = status


class _FalconDeps:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        gen = session(settings())
        s = next(gen)
        try:
            resp.media = {"region": s["region"], "open": s["open"]}
        finally:
            next(gen, None)  # teardown


class _FalconFile:
    """Streams a file as Falcon's docs show: an open file in ``resp.stream``.

    Falcon would hand it to ``wsgi.file_wrapper`` if the server offered one;
    the harness offers none (as responder's WSGI rows get none), so Falcon
    reads it in blocks.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "application/octet-stream"
        resp.stream = self._path.open("rb")
        resp.content_length = self._path.stat().st_size


def build_falcon_wsgi() -> falcon.App[falcon.Request, falcon.Response]:
    """Falcon's WSGI flavour, with the ``int`` converter doing the parsing."""
    app = falcon.App()
    app.add_route("/hello", _FalconHello())
    app.add_route("/items/{item_id:int}", _FalconItem())
    app.add_route("/echo", _FalconEcho())
    app.add_route("/items", _FalconCreate())
    app.add_route("/deps", _FalconDeps())
    for name in FILE_SIZES:
        app.add_route(f"/file-{name}", _FalconFile(bench_file(name)))
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


class _FalconAsyncCreate:
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        status, resp.media = validate_item(await req.get_media())
        resp.status = status


class _FalconAsyncDeps:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        gen = session(settings())
        s = next(gen)
        try:
            resp.media = {"region": s["region"], "open": s["open"]}
        finally:
            next(gen, None)  # teardown


class _AsyncFile:
    """The async file-like Falcon's ASGI ``resp.stream`` needs (aiofiles' shape).

    Each read goes to a worker thread, as aiofiles, Starlette and responder do.
    """

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    async def read(self, size: int = -1) -> bytes:
        return await asyncio.to_thread(self._file.read, size)

    async def close(self) -> None:
        self._file.close()


class _FalconAsyncFile:
    def __init__(self, path: Path) -> None:
        self._path = path

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = "application/octet-stream"
        resp.stream = _AsyncFile(self._path.open("rb"))
        resp.content_length = self._path.stat().st_size


def build_falcon_asgi() -> falcon.asgi.App[falcon.asgi.Request, falcon.asgi.Response]:
    """Falcon's ASGI flavour: same routes, ``async`` responders."""
    app = falcon.asgi.App()
    app.add_route("/hello", _FalconAsyncHello())
    app.add_route("/items/{item_id:int}", _FalconAsyncItem())
    app.add_route("/echo", _FalconAsyncEcho())
    app.add_route("/items", _FalconAsyncCreate())
    app.add_route("/deps", _FalconAsyncDeps())
    for name in FILE_SIZES:
        app.add_route(f"/file-{name}", _FalconAsyncFile(bench_file(name)))
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

    @app.post("/items")
    def create() -> tuple[FlaskResponse, int]:
        status, doc = validate_item(request.get_json())
        return jsonify(doc), status

    @app.get("/deps")
    def deps() -> FlaskResponse:
        gen = session(settings())
        s = next(gen)
        try:
            return jsonify({"region": s["region"], "open": s["open"]})
        finally:
            next(gen, None)  # teardown, once the response exists

    for name in FILE_SIZES:
        app.add_url_rule(f"/file-{name}", f"file_{name}", _flask_file(bench_file(name)))

    return app


def _flask_file(path: Path) -> Any:
    """A view sending ``path`` with ``send_file`` (ETag, Last-Modified, ranges on)."""

    def view() -> FlaskResponse:
        return send_file(path)

    return view


# --------------------------------------------------------------------------- Starlette


async def _starlette_hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


async def _starlette_item(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["item_id"], "q": request.query_params.get("q")})


async def _starlette_echo(request: Request) -> JSONResponse:
    return JSONResponse(await request.json())


async def _starlette_create(request: Request) -> JSONResponse:
    status, doc = validate_item(await request.json())
    return JSONResponse(doc, status_code=status)


async def _starlette_deps(request: Request) -> JSONResponse:
    gen = session(settings())
    s = next(gen)
    try:
        return JSONResponse({"region": s["region"], "open": s["open"]})
    finally:
        next(gen, None)  # teardown, once the response exists


def _starlette_file(path: Path) -> Any:
    async def endpoint(request: Request) -> FileResponse:
        return FileResponse(path)

    return endpoint


def build_starlette() -> Starlette:
    """Starlette with plain ``Route`` objects and ``async`` endpoints."""
    return Starlette(
        routes=[
            Route("/hello", _starlette_hello),
            Route("/items/{item_id:int}", _starlette_item),
            Route("/echo", _starlette_echo, methods=["POST"]),
            Route("/items", _starlette_create, methods=["POST"]),
            Route("/deps", _starlette_deps),
            *(Route(f"/file-{n}", _starlette_file(bench_file(n))) for n in FILE_SIZES),
        ]
    )


# --------------------------------------------------------------------------- FastAPI

# FastAPI resolves postponed annotations against module globals, so everything
# its signatures mention lives at module level rather than inside the builder.
# The dependencies are async: a sync one would be sent to a worker thread per
# request, a cost FastAPI's docs tell users to avoid for non-blocking code.


async def _fastapi_settings() -> dict[str, str]:
    return {"region": "eu"}


async def _fastapi_session(
    settings: Annotated[dict[str, str], Depends(_fastapi_settings)],
) -> AsyncIterator[dict[str, Any]]:
    s = {"open": True, "region": settings["region"]}
    yield s
    s["open"] = False


SettingsDep = Annotated[dict[str, str], Depends(_fastapi_settings)]
SessionDep = Annotated[dict[str, Any], Depends(_fastapi_session)]


def build_fastapi() -> FastAPI:
    """FastAPI with typed path/query parameters, a model body and ``Depends``.

    Return types are annotated, as FastAPI's tutorial recommends; FastAPI
    turns them into response models and serialises through Pydantic.
    """
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.get("/items/{item_id}")
    async def item(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {"id": item_id, "q": q}

    @app.post("/echo")
    async def echo(doc: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return doc

    @app.post("/items")
    async def create(item: ItemIn) -> dict[str, Any]:
        return {**item.model_dump(), "valid": True}

    @app.get("/deps")
    async def deps(settings: SettingsDep, session: SessionDep) -> dict[str, Any]:
        return {"region": session["region"], "open": session["open"]}

    for name in FILE_SIZES:
        app.add_api_route(f"/file-{name}", _fastapi_file(bench_file(name)), methods=["GET"])

    return app


def _fastapi_file(path: Path) -> Any:
    async def send() -> FileResponse:
        return FileResponse(path)

    return send


WSGI_PEERS: list[Contender] = [
    Contender("falcon-wsgi", "falcon", "wsgi", "falcon wsgi", build_falcon_wsgi),
    Contender("flask-wsgi", "flask", "wsgi", "flask", build_flask),
]
"""WSGI peers; a failure here aborts the run because the baseline must be sound."""

ASGI_PEERS: list[Contender] = [
    Contender("falcon-asgi", "falcon", "asgi", "falcon asgi", build_falcon_asgi),
    Contender("starlette-asgi", "starlette", "asgi", "starlette", build_starlette),
    Contender("fastapi-asgi", "fastapi", "asgi", "fastapi", build_fastapi),
]
"""ASGI peers; a failure here aborts the run because the baseline must be sound."""
