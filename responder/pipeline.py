"""The request lifecycle, written once and run by a sync or an async driver.

`exchange` is a generator: it does the framework's own work inline and
*yields* each user callable (hook, handler, error handler) as a `Call`. A
driver runs the call and sends the result back in, or throws its exception
in. The sync driver calls functions directly; the async driver awaits
coroutine functions and hands sync ones to whatever the adapter chose (a
worker thread under ASGI, a plain call under WSGI). That keeps one copy of the
lifecycle for both protocols and both kinds of handler.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import BaseModel

from .call import Call, awaitable
from .endpoint import Callee
from .error_pages import render_error, render_unhandled
from .errors import HTTPError
from .flat_plans import ENDED, closing_call, flat_plan
from .injection import Resolver
from .response import Response
from .validation import apply_response_model, validate_params
from .websocket import (
    INTERNAL_ERROR,
    POLICY_VIOLATION,
    TOO_BIG,
    WebSocket,
    WebSocketDisconnect,
    WebSocketMessageTooBig,
)

if TYPE_CHECKING:
    from .api import API
    from .request import Request
    from .routing import Match, Route

__all__ = [
    "Call",
    "drive_async",
    "drive_sync",
    "exchange",
    "finish",
    "finish_async",
    "needs_finish",
    "teardown",
    "websocket_exchange",
]

log = logging.getLogger("responder.pipeline")
WSGI_CANNOT_UPGRADE = (
    "WebSocket routes need an ASGI server (uvicorn, for example); this application is being "
    "served through WSGI, which cannot upgrade a connection."
)
_QUERY_SAFE = "&=%+;/?:@,$!*'()~[]"
_YIELDED_AGAIN = "Dependency generator %r yielded more than once; closed it"

Lifecycle = Generator["Call", Any, None]


def drive_sync(lifecycle: Lifecycle, run_awaitable: Callable[[Awaitable[Any]], Any]) -> None:
    """Run a lifecycle on this thread; awaitables go to `run_awaitable`."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            call = lifecycle.send(value) if error is None else lifecycle.throw(error)
        except StopIteration:
            return
        error = None
        try:
            value = (call.sync or call.func)(*call.args, **call.kwargs)
            if value is not None and awaitable(value):  # most calls return None
                value = run_awaitable(value)
        except Exception as exc:  # noqa: BLE001 - thrown back into the lifecycle
            value, error = None, exc


async def drive_async(
    lifecycle: Lifecycle,
    run_sync: Callable[..., Awaitable[Any]] | None = None,
    throw: BaseException | None = None,
) -> None:
    """Run a lifecycle on the running loop; sync calls go to `run_sync`, if given.

    `throw` resumes a lifecycle whose driver was cancelled mid-call (a
    timeout) by raising that exception where it is suspended.
    """
    value: Any = None
    error: BaseException | None = throw
    while True:
        try:
            call = lifecycle.send(value) if error is None else lifecycle.throw(error)
        except StopIteration:
            return
        error = None
        try:
            if call.is_async:
                value = await call.func(*call.args, **call.kwargs)
            else:
                if run_sync is not None:
                    value = await run_sync(call.func, *call.args, **call.kwargs)
                else:
                    value = call.func(*call.args, **call.kwargs)
                if value is not None and awaitable(value):  # a sync callable's
                    value = await value
        except Exception as exc:  # noqa: BLE001 - thrown back into the lifecycle
            value, error = None, exc


def _call(callee: Callee, args: tuple[Any, ...], values: dict[str, Any] | None = None) -> Call:
    return Call(callee.func, args, callee.select(values) if values else None, callee.is_async)


def exchange(api: API, req: Request, resp: Response, match: Match) -> Lifecycle:
    """Produce the response for one request, routed or not.

    Order: before hooks (global, then the route's groups', outermost first,
    then the route's) -> handler -> return value -> after hooks (the route's,
    its groups', then global) -> response model -> finalize.
    A before hook that sets a status short-circuits the handler. Hooks also
    run for the router's own answers (404, 405, OPTIONS, redirects), so an
    extension built on them sees every response. Any exception, from
    anywhere, goes to the exception handlers and is then rendered.
    """
    route = match.route
    hooks = api.hooks
    failed = False
    try:
        local_before = _enter(req, resp, match)
        if (hooks.before or local_before) and (
            yield from _before(hooks.before, local_before, req, resp)
        ):
            pass  # a before hook answered
        elif route is None:
            _answer_unrouted(req, resp, match)
        elif route.direct is None:
            yield from _handle(api, route, req, resp)
        else:  # a function: run here, as each layer of generators costs every call made through it
            callee = route.direct
            params = req.path_params  # read now: a before hook may have replaced it
            if callee.fast:
                kwargs = callee.select(params) if params else None
                value = yield Call(callee.func, (req, resp), kwargs, callee.is_async)
            else:
                plan = flat_plan(callee, api.dependencies, params)
                if plan is not None and plan.call is not None and callee.is_async:
                    # providers, body and handler in one coroutine: one trip through the driver
                    teardowns: list[Call] = []
                    req.teardowns = teardowns
                    args = (callee.func, req, resp, params, teardowns)
                    value = yield Call(plan.call, args, None, True)
                elif (
                    plan is not None
                    and plan.sync_call is not None
                    and not _async_driven(api, route)
                ):
                    # sync providers, and `drive_sync` runs this: they are called right here
                    req.teardowns = teardowns = []
                    kwargs = yield from plan.sync_call(req, resp, params, teardowns)
                    value = yield Call(callee.func, (req, resp), kwargs, False)
                else:
                    kwargs = yield from _resolver(api, req, resp, params).resolve(callee)
                    value = yield Call(callee.func, (req, resp), kwargs, callee.is_async)
            if value is not None:
                apply_return_value(resp, value)
    except Exception as exc:  # noqa: BLE001 - everything becomes a response
        failed = True
        yield from _recover(api, req, resp, exc)
    try:
        local_after = () if route is None else route.after_hooks() if route.scopes else route.after
        if local_after or hooks.after:
            for hook in (*local_after, *hooks.after):
                yield _call(hook, (req, resp))
        if not failed and route is not None and route.response_adapter is not None:
            apply_response_model(api, route, resp)
        resp.finalize(req, api.codec)
    except Exception as exc:  # noqa: BLE001
        yield from _recover(api, req, resp, exc)
        _finalize_or_fallback(api, req, resp)


def _enter(req: Request, resp: Response, match: Match) -> tuple[Any, ...]:
    """Record the route on the request; return its before hooks (its groups' first)."""
    route = match.route
    if route is None:
        return ()
    req.route = route
    req.path_params = match.params  # type: ignore[assignment]
    body = req._body
    if body.limit is not None:
        body.check_declared_length()
    if route.status_code is not None:
        resp._status_code = route.status_code
    return route.before_hooks() if route.scopes else route.before


def _async_driven(api: API, route: Route) -> bool:
    """Tell whether `drive_async` runs this route's lifecycle (as `API.begin` decides)."""
    return route.is_async or route.scoped_async or api.hooks.any_async


def _resolver(api: API, req: Request, resp: Response, params: dict[str, Any]) -> Resolver:
    resolver = Resolver(api.dependencies, req, resp, params)
    req.teardowns = resolver.teardown
    return resolver


def _answer_unrouted(req: Request, resp: Response, match: Match) -> None:
    if match.error is not None:
        error = match.error
        if error.status == 426 and "websocket" in (req.headers.get("Upgrade") or "").lower():
            # The client did try to upgrade; only an ASGI server can do that.
            raise HTTPError(501, WSGI_CANNOT_UPGRADE)
        if error.status == 307 and req.query_string:
            # Quoted: raw bytes in a query must never reach a header as they came.
            query = quote(req.query_string.decode("latin-1"), safe=_QUERY_SAFE)
            location = error.headers["Location"] + "?" + query
            error = HTTPError(307, headers={"Location": location})
        if error.status == 307 and req.root_path:
            error.headers["Location"] = req.root_path + error.headers["Location"]
        raise error
    resp.headers["Allow"] = ", ".join(match.allow or ())
    resp.status_code = 200


def _before(
    global_hooks: list[Callee], route_hooks: tuple[Callee, ...], req: Request, resp: Response
) -> Generator[Call, Any, bool]:
    """Run before hooks; return True when one of them answered the request."""
    for hook in (*global_hooks, *route_hooks):
        yield _call(hook, (req, resp))
        if resp.status_set:
            return True
    return False


def _handle(api: API, route: Route, req: Request, resp: Response) -> Lifecycle:
    endpoint = route.endpoint
    callees = endpoint.callees(req.method)
    if not callees:  # a view without a handler for this method (unreachable via router)
        raise HTTPError(405, headers={"Allow": ", ".join(endpoint.allowed())})
    params = req.path_params
    resolver: Resolver | None = None
    if route.needs_resolver:
        resolver = _resolver(api, req, resp, params)
        for guard in route.options.get("dependencies", ()):
            yield from resolver.provide(api.dependencies.for_func(guard.dependency))
        params_plan = route.options.get("params_model")
        if params_plan is not None:
            req.state.validated_params = validate_params(params_plan, req)
    result = None
    for callee in callees:
        if callee.fast or resolver is None:
            result = yield _call(callee, (req, resp), params)
            continue
        kwargs = yield from resolver.resolve(callee)
        result = yield Call(callee.func, (req, resp), kwargs, callee.is_async)
    apply_return_value(resp, result)


def apply_return_value(resp: Response, value: Any) -> None:
    """Turn what a handler returned into the response.

    dict/list/model/dataclass -> media, str -> text, bytes -> content,
    None -> unchanged; `(body, status)` and `(body, status, headers)` tuples
    set the status and headers too.
    """
    if value is None:
        return
    if isinstance(value, tuple):
        if not 2 <= len(value) <= 3:
            raise TypeError("A returned tuple is (body, status) or (body, status, headers)")
        apply_return_value(resp, value[0])
        resp.status_code = value[1]
        if len(value) == 3:
            for name, header in dict(value[2]).items():
                resp.headers[name] = header
        return
    if isinstance(value, str):
        resp.text = value
    elif isinstance(value, bytes | bytearray | memoryview):
        resp.content = bytes(value)
    elif isinstance(value, dict | list | BaseModel) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    ):
        resp.media = value
    else:
        raise TypeError(f"Cannot turn a returned {type(value).__name__} into a response")


def _handler_for(api: API, req: Request, exc: Exception) -> Callable[..., Any] | None:
    """The exception handler for `exc`: the route's groups' first, innermost out."""
    debug = api.settings.debug
    route: Route | None = req.route
    if route is not None and route.scopes:
        for scope in reversed(route.scopes):
            handler = scope.exception_handler_for(exc, debug=debug)
            if handler is not None:
                return handler
    return api.hooks.exception_handler_for(exc, debug=debug)


def _recover(api: API, req: Request, resp: Response, exc: Exception) -> Lifecycle:
    """Hand `exc` to a registered handler, else render it; never raise."""
    resp.clear_body()
    handler = _handler_for(api, req, exc)
    if handler is not None:
        resp.status_code = exc.status if isinstance(exc, HTTPError) else 500
        resp.status_set = False
        if isinstance(exc, HTTPError):  # keep Allow, WWW-Authenticate, Location ...
            for name, value in exc.headers.items():
                resp.headers[name] = value
        try:
            yield Call(handler, (req, resp, exc))
            return
        except Exception as second:  # noqa: BLE001 - a broken handler is a 500
            resp.clear_body()
            exc = second
    try:
        if isinstance(exc, HTTPError):
            render_error(api.settings, api.codec, req, resp, exc)
        else:
            resp.unhandled = exc
            render_unhandled(api.settings, api.codec, req, resp, exc)
    except Exception as broken:
        log.exception("Rendering an error failed")
        _plain_500(resp, broken)


def _plain_500(resp: Response, exc: BaseException) -> None:
    resp.unhandled = resp.unhandled or exc
    resp.headers.clear()
    resp.text = "Internal Server Error"
    resp.status_code = 500


def _finalize_or_fallback(api: API, req: Request, resp: Response) -> None:
    try:
        resp.finalize(req, api.codec)
    except Exception as exc:
        log.exception("Finalizing an error response failed")
        _plain_500(resp, exc)
        resp.finalize(req, api.codec)


def needs_finish(req: Request, resp: Response) -> bool:
    """Tell whether anything is due after sending (tasks, teardowns, uploads)."""
    return bool(resp.tasks) or bool(req.teardowns) or req.form_data is not None


def finish(api: API, req: Request, resp: Response) -> Lifecycle:
    """Work after the response is sent: teardowns, background tasks, uploads.

    Dependency teardowns run in reverse order of setup, exactly once; a
    failing teardown or task is logged and does not stop the ones after it.
    Uploaded files are closed last, so a task may still read them, and even
    when the driver stops early.
    """
    try:
        if req.teardowns:
            yield from _close(req.teardowns)
        for func, args, kwargs in resp.tasks:
            try:
                yield Call(func, args, kwargs)
            except Exception:
                log.exception("Background task %r failed", func)
    finally:
        if req.form_data is not None:
            req.close_uploads()


def teardown(resolver: Resolver) -> Lifecycle:
    """Close the request's generator dependencies, newest first, once each."""
    yield from _close(resolver.teardown)


def _close(calls: list[Call]) -> Lifecycle:
    for call in _take_pending(calls):
        try:
            closing = _closing_after(call, (yield call))
            if closing is not None:
                yield closing
        except Exception:
            log.exception("Dependency teardown failed")


async def finish_async(
    api: API, req: Request, resp: Response, run_sync: Callable[..., Awaitable[Any]]
) -> None:
    """`finish` on the event loop, awaiting async teardowns directly when that is all there is.

    The common case after an async route with generator dependencies is a
    few async teardowns and nothing else; awaiting them here, rather than
    through `drive_async` and the `finish` generator, halves what the work
    after the response costs. Anything else goes through `finish`.
    """
    calls = req.teardowns
    if not calls or resp.tasks or req.form_data is not None or not all(c.is_async for c in calls):
        await drive_async(finish(api, req, resp), run_sync)
        return
    for call in _take_pending(calls):
        try:
            closing = _closing_after(call, await call.func(*call.args))
            if closing is not None:
                await closing.func()
        except Exception:
            log.exception("Dependency teardown failed")


def _take_pending(calls: list[Call]) -> list[Call]:
    """The teardowns to run, newest first; emptied in place so each runs once.

    In place, because the request and the resolver hold this same list.
    """
    pending = calls[::-1]
    calls.clear()
    return pending


def _closing_after(teardown: Call, result: Any) -> Call | None:
    """The call closing a generator whose teardown yielded again instead of ending."""
    if result is ENDED:
        return None
    log.warning(_YIELDED_AGAIN, teardown.args[0])
    return closing_call(teardown)


def websocket_exchange(api: API, req: Request, ws: WebSocket, match: Match) -> Lifecycle:
    """Run one WebSocket connection: handshake checks, the handler, teardown.

    Before hooks and route guards see the handshake as a request; one that
    answers it (sets a status) or raises an HTTP error refuses the
    handshake with close code 1008, which servers turn into a 403.
    """
    route = match.route
    if route is None or not route.websocket:
        yield Call(ws.close, (1000, "no WebSocket route here"), is_async=True)
        return
    req.route = route
    req.path_params = match.params  # type: ignore[assignment]
    resolver = Resolver(api.dependencies, req, None, req.path_params, socket=ws)
    try:
        yield from _handshake(api, route, req, ws, resolver)
    finally:
        yield from teardown(resolver)


def _handshake(
    api: API, route: Route, req: Request, ws: WebSocket, resolver: Resolver
) -> Lifecycle:
    callee = route.endpoint.callees("GET")[0]
    try:
        scratch = Response()
        hooks = api.hooks
        route_before = route.before_hooks()
        if (hooks.before or route_before) and (
            yield from _before(hooks.before, route_before, req, scratch)
        ):
            raise HTTPError(scratch.status_code, "Refused by a before hook.")
        for guard in route.options.get("dependencies", ()):
            yield from resolver.provide(api.dependencies.for_func(guard.dependency))
        if callee.fast:
            kwargs = callee.select(req.path_params)
        else:
            kwargs = yield from resolver.arguments(callee.plans)
    except HTTPError as refusal:
        yield Call(ws.close, (POLICY_VIOLATION, refusal.title), is_async=True)
        return
    try:
        yield Call(callee.func, (ws,), kwargs, callee.is_async)
    except WebSocketDisconnect:
        return
    except WebSocketMessageTooBig:
        if not ws.closed:
            yield Call(ws.close, (TOO_BIG, "message too big"), is_async=True)
        return
    except Exception:  # logged; the peer gets a 1011
        log.exception("WebSocket handler %s failed", callee.name)
        if not ws.closed:
            yield Call(ws.close, (INTERNAL_ERROR, ""), is_async=True)
        return
    if not ws.closed:  # also a handler that never accepted: that refuses the handshake
        yield Call(ws.close, (1000, ""), is_async=True)
