"""An app that records its startup and shutdown in files, for the server tests.

`LIFESPAN_PROBE_DIR` names the directory; each event appends a line with the
process id, so a test can see that every worker started and stopped once.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import responder


def _record(event: str) -> None:
    folder = Path(os.environ.get("LIFESPAN_PROBE_DIR", "."))
    with (folder / "events.log").open("a") as log:
        log.write(f"{os.getpid()} {event}\n")


@asynccontextmanager
async def lifespan(app: responder.API) -> AsyncIterator[None]:
    _record("enter")
    yield
    _record("exit")


api = responder.API(lifespan=lifespan)


@api.on_event("startup")
def startup() -> None:
    _record("startup")


@api.on_event("shutdown")
async def shutdown() -> None:
    _record("shutdown")


@api.route("/")
def home(req: responder.Request, resp: responder.Response) -> None:
    resp.text = "probe"
