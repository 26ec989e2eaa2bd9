"""Type-checked, never run: the public API used the way applications use it.

`mypy` (see `[tool.mypy] files`) checks this file with the package, so a
change that makes the decorators lose a handler's type, or rejects an
ordinary call, fails the typing check rather than a user's build.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from pydantic import BaseModel

import responder
from responder import Depends, Header, Query, Request, Response

api = responder.API(debug=False, request_timeout=5.0)
router = responder.Router(prefix="/v2", tags=["v2"])


class Item(BaseModel):
    name: str
    price: float


@api.dependency()
def settings() -> dict[str, str]:
    return {"region": "eu"}


@api.dependency(scope="app")
async def pool() -> AsyncIterator[str]:
    yield "pool"


def session(pool: str) -> Iterator[str]:
    yield f"session on {pool}"


@api.route("/items/{id:int}", methods=["GET"])
def get_item(
    req: Request,
    resp: Response,
    *,
    id: int,
    limit: Annotated[int, Query(ge=1)] = 10,
    agent: str = Header("unknown"),
    db: str = Depends(session),
) -> Item:
    return Item(name=f"{id}:{limit}:{agent}:{db}", price=1.0)


@api.post("/items", status_code=201)
async def create(req: Request, resp: Response, *, item: Item) -> None:
    resp.media = item


@api.before_request
def stamp(req: Request, resp: Response) -> None:
    resp.headers["X-Stamp"] = "1"


@api.exception_handler(ValueError)
async def bad_value(req: Request, resp: Response, exc: BaseException) -> None:
    resp.status_code = 400


@router.get("/ping")
def ping(req: Request, resp: Response) -> str:
    return "pong"


api.include_router(router)

path: str = api.url_for(get_item, id=1)


def call_directly(req: Request, resp: Response) -> Item:
    """The decorators hand back the function itself, signature and all."""
    return get_item(req, resp, id=1, limit=2)
