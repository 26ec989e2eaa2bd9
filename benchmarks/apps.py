"""The responder apps, written only against the framework's public API.

``responder`` is imported inside the builders rather than at module level so
the peers can be measured while the core is still being written: a failed
import becomes a skipped row with a warning, not a crash of the whole run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.harness import Contender
from benchmarks.models import FILE_SIZES, ItemIn, bench_file

# ``ItemIn`` is imported at module level on purpose: with postponed annotations
# responder resolves ``item: ItemIn`` against the handler's module globals, so a
# name imported inside a builder would not be found.


def _file_handler(path: Path) -> Callable[[Any, Any], None]:
    """A sync handler sending the file at ``path`` (no parameters to inject)."""

    def send_file(req: Any, resp: Any) -> None:
        resp.file(path)

    return send_file


def _async_file_handler(path: Path) -> Callable[[Any, Any], Awaitable[None]]:
    """An async handler sending the file at ``path``."""

    async def send_file(req: Any, resp: Any) -> None:
        resp.file(path)

    return send_file


def build_sync_api() -> Any:
    """An API whose handlers are plain functions -- the natural WSGI shape."""
    import responder

    api = responder.API()

    @api.route("/hello")
    def hello(req: Any, resp: Any) -> None:
        resp.media = {"hello": "world"}

    @api.route("/items/{id:int}")
    def item(req: Any, resp: Any, *, id: int) -> None:
        resp.media = {"id": id, "q": req.params.get("q")}

    @api.route("/echo", methods=["POST"])
    def echo(req: Any, resp: Any) -> None:
        resp.media = req.media_sync()

    @api.route("/items", methods=["POST"])
    def create(req: Any, resp: Any, *, item: ItemIn) -> None:
        resp.media = {**item.model_dump(), "valid": True}

    @api.dependency()
    def settings() -> dict[str, str]:
        return {"region": "eu"}

    @api.dependency()
    def session(settings: dict[str, str]) -> Iterator[dict[str, Any]]:
        s = {"open": True, "region": settings["region"]}
        yield s
        s["open"] = False

    @api.route("/deps")
    def deps(req: Any, resp: Any, *, settings: dict[str, str], session: dict[str, Any]) -> None:
        resp.media = {"region": session["region"], "open": session["open"]}

    for name in FILE_SIZES:
        api.add_route(f"/file-{name}", _file_handler(bench_file(name)), methods=["GET"])

    return api


def build_async_api() -> Any:
    """An API whose handlers are coroutines -- the natural ASGI shape."""
    import responder

    api = responder.API()

    @api.route("/hello")
    async def hello(req: Any, resp: Any) -> None:
        resp.media = {"hello": "world"}

    @api.route("/items/{id:int}")
    async def item(req: Any, resp: Any, *, id: int) -> None:
        resp.media = {"id": id, "q": req.params.get("q")}

    @api.route("/echo", methods=["POST"])
    async def echo(req: Any, resp: Any) -> None:
        resp.media = await req.media()

    @api.route("/items", methods=["POST"])
    async def create(req: Any, resp: Any, *, item: ItemIn) -> None:
        resp.media = {**item.model_dump(), "valid": True}

    # Async providers too: under ASGI a sync provider of an async handler is
    # sent to a worker thread, and FastAPI does the same with sync
    # dependencies, so async-all-the-way is the like-for-like comparison (the
    # sync-handler row shows the all-sync shape).
    @api.dependency()
    async def settings() -> dict[str, str]:
        return {"region": "eu"}

    @api.dependency()
    async def session(settings: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        s = {"open": True, "region": settings["region"]}
        yield s
        s["open"] = False

    @api.route("/deps")
    async def deps(
        req: Any, resp: Any, *, settings: dict[str, str], session: dict[str, Any]
    ) -> None:
        resp.media = {"region": session["region"], "open": session["open"]}

    for name in FILE_SIZES:
        api.add_route(f"/file-{name}", _async_file_handler(bench_file(name)), methods=["GET"])

    return api


WSGI_APPS: list[Contender] = [
    Contender(
        "responder-wsgi", "responder", "wsgi", "responder wsgi", build_sync_api, optional=True
    ),
]
"""responder served over WSGI with sync handlers."""

ASGI_APPS: list[Contender] = [
    Contender(
        "responder-asgi", "responder", "asgi", "responder asgi", build_async_api, optional=True
    ),
    Contender(
        "responder-asgi-sync",
        "responder",
        "asgi",
        "responder asgi (sync handlers)",
        build_sync_api,
        optional=True,
        variant="sync handlers",
    ),
]
"""responder over ASGI: async handlers, plus sync handlers to show their cost."""
