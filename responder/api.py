"""`API`: the application object, a registry of routes, hooks and settings.

`API` does no request work itself: routing is the `RouteTable`'s, the lifecycle
is `pipeline`'s, and the protocols belong to the adapters. Calling the object
is the one seam to them: two arguments make it a WSGI application, three an
ASGI 3 application, and one an ASGI 2 application (which is what servers that
inspect `__call__` end up using).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from .background import BackgroundFuture, BackgroundRunner
from .declare import Declarations
from .dependencies import Registry
from .endpoint import Callee, Endpoint
from .formats import Codec
from .group import Router, include
from .hooks import Hooks
from .lifespan import Lifespan, LifespanFactory
from .mount import Mount, MountTable
from .params import Dependency
from .pipeline import Lifecycle, exchange, websocket_exchange
from .request import Request, State
from .response import Response
from .routing import Route, RouteTable
from .settings import Settings
from .static import StaticFiles
from .validation import list_fields, response_adapter
from .websocket import WebSocket, WebSocketChannel

if TYPE_CHECKING:
    from .adapters.testing import TestClient

__all__ = ["API"]

F = TypeVar("F", bound=Callable[..., Any])
#: Route keywords kept for the OpenAPI document.
ROUTE_METADATA = frozenset(
    {
        "tags", "summary", "description", "responses", "examples", "openapi_extra",
        "include_in_schema", "security", "operation_id", "deprecated",
    }
)  # fmt: skip


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if callable(value) and not isinstance(value, list | tuple):
        return [value]
    return list(value)


class API(Declarations):
    """A web application that is both a WSGI and an ASGI application.

    Args:
        lifespan: An async context manager factory called with the API;
            code before its `yield` runs at startup, after it at shutdown.
        **options: Settings; see `responder.settings.Settings`.
    """

    def __init__(self, *, lifespan: LifespanFactory | None = None, **options: Any) -> None:
        self.settings = Settings(**options)
        self.router = RouteTable(redirect_slashes=self.settings.redirect_slashes)
        self.mounts = MountTable()
        self.hooks = Hooks()
        self.dependencies = Registry()
        self.lifespan = Lifespan(self, lifespan)
        self.lifespan.closers.append(self.dependencies.close_app_scope)
        self._background = BackgroundRunner()
        self.lifespan.closers.append(self._background.shutdown)
        self.state = State()
        self.codec = Codec(
            ensure_ascii=self.settings.json_ensure_ascii, encoder=self.settings.encoder
        )
        self._adapters: dict[str, Any] = {}
        self._client: TestClient | None = None
        self.static_files = StaticFiles.install(self)

    @property
    def debug(self) -> bool:
        return self.settings.debug

    # -- routes ---------------------------------------------------------------

    def add_route(
        self,
        path: str,
        endpoint: Any = None,
        *,
        methods: Iterable[str] | None = None,
        check_existing: bool = True,
        websocket: bool = False,
        static: bool = False,
        name: str | None = None,
        before: Any = None,
        after: Any = None,
        status_code: int | None = None,
        dependencies: Iterable[Dependency] | None = None,
        response_model: Any = None,
        params_model: type[BaseModel] | None = None,
        **metadata: Any,
    ) -> Route:
        """Route `path` to a function or class-based view.

        Args:
            path: Responder path syntax, such as `/items/{id:int}`.
            endpoint: A function `(req, resp, **params)` or a class with
                `on_get`/`on_post`/... methods.
            methods: Methods served; all when omitted (a view: its `on_*`).
            check_existing: Refuse a second route for the same path.
            websocket: Route WebSocket connections instead of HTTP requests.
            static: Serve `static_dir`'s index.html here and for every GET or
                HEAD no route matches: the fallback of a single-page app.
            name: The name for `url_for`; the function's name by default.
            before: Hook(s) run before the handler, for this route only.
            after: Hook(s) run after the handler, before the global ones.
            status_code: The status the response starts with.
            dependencies: `Depends(...)` guards resolved before the handler.
            response_model: A model (or generic such as `list[Item]`) that
                validates and shapes `resp.media`; False switches off the one
                a return annotation would imply.
            params_model: A model validating the whole query string into
                `req.state.validated_params`.
            **metadata: OpenAPI metadata (`tags`, `summary`, `responses` ...).

        Raises:
            ValueError: for a duplicate path or a bad path.
            TypeError: for an unknown metadata keyword.
        """
        unknown = set(metadata) - ROUTE_METADATA
        if unknown:
            raise TypeError(f"Unknown route option(s): {sorted(unknown)}")
        if static:
            return self._add_spa(path, check_existing=check_existing)
        if endpoint is None:
            raise TypeError("add_route() needs an endpoint, unless static=True")
        plan = Endpoint(endpoint, websocket=websocket)
        if websocket and not plan.is_async:
            raise TypeError("A WebSocket handler must be a coroutine function (async def)")
        allowed = plan.methods if methods is None else frozenset(m.upper() for m in methods)
        options: dict[str, Any] = {}
        guards = tuple(dependencies or ())
        if guards:
            options["dependencies"] = guards
        if params_model is not None:
            options["params_model"] = (params_model, list_fields(params_model))
        if metadata:
            options["metadata"] = metadata
        route = Route(
            path=path,
            endpoint=plan,
            methods=allowed,
            name=name or str(getattr(endpoint, "__name__", path)),
            websocket=websocket,
            options=options,
            before=tuple(Callee(h) for h in _as_list(before)),
            after=tuple(Callee(h) for h in _as_list(after)),
            status_code=None if status_code is None else int(status_code),
        )
        route.is_async = plan.is_async or any(h.is_async for h in (*route.before, *route.after))
        callees = plan.all_callees()
        path_names = frozenset(route.param_names)
        for callee in callees:
            callee.bind_path(path_names)
        route.needs_resolver = bool(guards or params_model) or not all(c.fast for c in callees)
        if not plan.is_view and not (guards or params_model):
            route.direct = callees[0]
        route.response_adapter = response_adapter(response_model, [c.func for c in callees])
        return self.router.add(route, check_existing=check_existing)

    def _add_spa(self, path: str, *, check_existing: bool) -> Route:
        endpoint = self.static_files.spa_endpoint()
        route = self.add_route(
            path,
            endpoint,
            methods=["GET"],
            check_existing=check_existing,
            name="static_index",
            include_in_schema=False,
        )
        self.static_files.fallback = route
        return route

    # -- dependencies ---------------------------------------------------------

    def add_dependency(
        self, name: str, provider: Callable[..., Any], *, scope: str = "request"
    ) -> None:
        """Register `provider` as the dependency called `name`.

        Raises:
            ValueError: for a reserved name or an unknown scope.
        """
        self.dependencies.add(name, provider, scope)

    def url_for(self, endpoint: Any, **params: Any) -> str:
        """Build the path of a route from its endpoint (or name) and values."""
        return self.router.url_for(endpoint, params)

    # -- composition ----------------------------------------------------------

    def group(self, prefix: str) -> Router:
        """Share `prefix` (and hooks) among routes: `v1 = api.group("/v1")`.

        The group is a `Router` already included in this API: routes declared
        on it register at once, and its `before_request` hooks run only for
        its own routes (see `responder.group`).
        """
        router = Router(prefix)
        self.include_router(router)
        return router

    def include_router(
        self,
        router: Router,
        prefix: str = "",
        *,
        tags: str | Iterable[str] | None = None,
        dependencies: Iterable[Dependency] | None = None,
    ) -> None:
        """Register a `Router`'s routes, hooks and dependencies under `prefix`.

        `tags` and `dependencies` (route guards) are added to every route of
        the router, before the router's own.
        """
        include(self, router, prefix, tags, dependencies)

    def mount(self, prefix: str, app: Any, *, interface: str | None = None) -> Mount:
        """Serve another WSGI or ASGI application under `prefix`.

        Routes of this API win over mounts, and the longest mounted prefix
        wins among mounts; `mount("", app)` makes `app` the fallback for
        every path the API does not route. Whether `app` is WSGI or ASGI is
        detected when it is served; pass `interface="wsgi"` or `"asgi"` for
        an object the detection would get wrong (see `responder.mount`).
        """
        return self.mounts.add(prefix, app, interface)

    def mount_for(self, method: str, path: str, *, websocket: bool = False) -> Mount | None:
        """The mounted application that should answer, or None when the API answers."""
        mount = self.mounts.match(path)
        if mount is None or self.router.match(method, path, websocket=websocket).route is not None:
            return None
        return mount

    # -- lifespan -------------------------------------------------------------

    def on_event(self, event: str) -> Callable[[F], F]:
        """Decorate a handler for the "startup" or "shutdown" event."""

        def decorator(handler: F) -> F:
            self.lifespan.add(event, handler)
            return handler

        return decorator

    def add_event_handler(self, event: str, handler: Callable[[], Any]) -> None:
        """Register a handler for the "startup" or "shutdown" event."""
        self.lifespan.add(event, handler)

    def background(
        self, func: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> BackgroundFuture[Any]:
        """Start `func(*args, **kwargs)` now, without waiting for it.

        For work tied to no response; `resp.background` waits until its
        response is sent. On a running event loop a coroutine function
        becomes a task there and a sync function goes to the loop's executor;
        elsewhere both run on a small thread pool. A failure is logged.

        Returns:
            A future: `future.result(timeout)` from a thread, or `await future`.
        """
        return self._background.submit(func, *args, **kwargs)

    # -- serving the core to adapters ------------------------------------------

    def begin(self, req: Request) -> tuple[Response, Lifecycle, bool]:
        """Route `req` and start its lifecycle.

        Returns:
            The response to fill, the lifecycle to drive, and whether it needs
            the async driver.
        """
        req.api = self
        match = self.router.match(req.method, req.path)
        if match.route is None and self.static_files.fallback is not None:
            match = self.static_files.rescue(req.method, req.path, match)
        resp = Response()
        route = match.route
        is_async = (
            route is not None and (route.is_async or route.scoped_async)
        ) or self.hooks.any_async
        return resp, exchange(self, req, resp, match), is_async

    def begin_websocket(self, req: Request, channel: WebSocketChannel) -> Lifecycle:
        """Route a WebSocket handshake and start its lifecycle (async driver only)."""
        req.api = self
        settings = self.settings
        ws = WebSocket(
            req,
            channel,
            codec=self.codec,
            idle_timeout=settings.ws_idle_timeout,
            max_message_size=settings.ws_max_message_size,
        )
        match = self.router.match("GET", req.path, websocket=True)
        return websocket_exchange(self, req, ws, match)

    def __call__(self, *args: Any) -> Any:
        """Serve as WSGI `(environ, start_response)`, ASGI 3 or ASGI 2 `(scope)`."""
        if len(args) == 3:
            return (self._adapters.get("asgi") or self._adapter("asgi"))(*args)
        if len(args) == 2:
            return self._adapter("wsgi")(*args)
        if len(args) == 1:
            return self._adapter("asgi").bind(args[0])
        raise TypeError("Call an API as WSGI (environ, start_response) or ASGI (scope, ...)")

    def _adapter(self, kind: str) -> Any:
        adapter = self._adapters.get(kind)
        if adapter is None:
            from .adapters import adapter_for  # the one seam into protocol code

            adapter = self._adapters[kind] = adapter_for(kind, self)
        return adapter

    @property
    def wsgi_lifespan(self) -> Callable[[], Any]:
        """A context manager factory running startup/shutdown the WSGI way."""
        return self._adapter("wsgi").lifespan_context  # type: ignore[no-any-return]

    # -- testing and running --------------------------------------------------

    @property
    def requests(self) -> TestClient:
        """A test client for this API over the ASGI adapter."""
        if self._client is None or self._client.is_closed:
            self._client = self.test_client(close_on_exit=False)
        return self._client

    def test_client(
        self,
        mode: str = "asgi",
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        **kwargs: Any,
    ) -> TestClient:
        """Build a test client driving this API as WSGI or ASGI."""
        from .adapters.testing import TestClient

        return TestClient(
            self,
            mode=mode,
            base_url=base_url,
            raise_server_exceptions=raise_server_exceptions,
            **kwargs,
        )

    def run(self, **options: Any) -> None:
        """Serve the API with a real server (uvicorn by default); see `adapters.serve`."""
        from .adapters.serve import run

        run(self, **options)

    serve = run
