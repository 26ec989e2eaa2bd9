"""Generator dependencies that misbehave: one that never yields, one that yields twice.

Both are user mistakes the framework answers plainly, the same way whether the
provider is a generator or an async generator, the handler sync or async, the
parameter named (the resolver's flat path) or a `Depends` (its general path),
and under either protocol.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import responder
from responder import Depends
from responder.dependencies import DependencyResolutionError

KINDS = ["gen", "asyncgen"]
HANDLERS = ["sync", "async"]
STYLES = ["named", "depends"]


def _never_yields(kind: str) -> Callable[[], Any]:
    if kind == "gen":

        def empty() -> Iterator[str]:
            return
            yield  # a generator that returns before its first value

        return empty

    async def empty_async() -> AsyncIterator[str]:
        return
        yield

    return empty_async


def _yields_twice(kind: str, events: list[str]) -> Callable[[], Any]:
    if kind == "gen":

        def twice() -> Iterator[str]:
            try:
                yield "first"
                events.append("resumed")
                yield "second"
                events.append("unreachable")
            finally:
                events.append("closed")

        return twice

    async def twice_async() -> AsyncIterator[str]:
        try:
            yield "first"
            events.append("resumed")
            yield "second"
            events.append("unreachable")
        finally:
            events.append("closed")

    return twice_async


def _route(api: responder.API, provider: Callable[..., Any], handler: str, style: str) -> None:
    """Route `/` to a handler taking the provider's value as `thing`."""
    if style == "named":  # resolved by the flat path
        api.add_dependency("thing", provider)

        def named(req: Any, resp: Any, *, thing: str) -> None:
            resp.text = f"got {thing}"

        async def named_async(req: Any, resp: Any, *, thing: str) -> None:
            resp.text = f"got {thing}"

        api.add_route("/", named if handler == "sync" else named_async)
        return

    def marked(req: Any, resp: Any, *, thing: str = Depends(provider)) -> None:  # general path
        resp.text = f"got {thing}"

    async def marked_async(req: Any, resp: Any, *, thing: str = Depends(provider)) -> None:
        resp.text = f"got {thing}"

    api.add_route("/", marked if handler == "sync" else marked_async)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_generator_that_never_yields_is_a_500(
    mode: str, kind: str, handler: str, style: str
) -> None:
    api = responder.API()
    _route(api, _never_yields(kind), handler, style)
    with api.test_client(mode=mode, raise_server_exceptions=False) as client:
        response = client.get("/")
    assert response.status_code == 500
    with (
        api.test_client(mode=mode) as client,
        pytest.raises(DependencyResolutionError, match="returned without yielding"),
    ):
        client.get("/")


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_generator_that_yields_twice_is_closed_with_a_warning(
    mode: str, kind: str, handler: str, style: str, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[str] = []
    api = responder.API()
    _route(api, _yields_twice(kind, events), handler, style)
    with (
        caplog.at_level(logging.WARNING, logger="responder.pipeline"),
        api.test_client(mode=mode) as client,
    ):
        response = client.get("/")
    assert (response.status_code, response.text) == (200, "got first")
    assert events == ["resumed", "closed"]
    warnings = [r for r in caplog.records if r.name == "responder.pipeline"]
    assert len(warnings) == 1
    assert "yielded more than once; closed it" in warnings[0].getMessage()


def _fails_in_teardown(kind: str, events: list[str]) -> Callable[[], Any]:
    if kind == "gen":

        def fragile() -> Iterator[str]:
            yield "first"
            events.append("tearing down")
            raise RuntimeError("teardown broke")

        return fragile

    async def fragile_async() -> AsyncIterator[str]:
        yield "first"
        events.append("tearing down")
        raise RuntimeError("teardown broke")

    return fragile_async


@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_teardown_that_raises_is_logged_and_the_next_one_still_runs(
    mode: str, kind: str, handler: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The response is already out: a broken teardown is logged, never raised or skipped past."""
    events: list[str] = []
    api = responder.API()

    @api.dependency()
    async def outer() -> AsyncIterator[str]:  # set up first, so torn down last
        yield "outer"
        events.append("outer closed")

    api.add_dependency("thing", _fails_in_teardown(kind, events))
    api.add_route("/both", _both(handler))
    with (
        caplog.at_level(logging.ERROR, logger="responder.pipeline"),
        api.test_client(mode=mode) as client,
    ):
        response = client.get("/both")
    assert (response.status_code, response.text) == (200, "outer first")
    assert events == ["tearing down", "outer closed"]
    failures = [r for r in caplog.records if r.getMessage() == "Dependency teardown failed"]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert "teardown broke" in str(failures[0].exc_info[1])


def _both(handler: str) -> Callable[..., Any]:
    """A handler taking `outer` and then `thing`, so `thing` is torn down first."""

    def both(req: Any, resp: Any, *, outer: str, thing: str) -> None:
        resp.text = f"{outer} {thing}"

    async def both_async(req: Any, resp: Any, *, outer: str, thing: str) -> None:
        resp.text = f"{outer} {thing}"

    return both if handler == "sync" else both_async
