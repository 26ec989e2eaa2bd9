"""Routes and the router: Responder's path syntax on werkzeug's Map and Rule.

`{name}`, `{id:int}`, `{x:float}`, `{p:path}` and `{u:uuid}` are translated to
werkzeug rules once, when a route is added; matching is werkzeug's compiled
state machine. The router also owns what HTTP says about a path as a whole:
405 with `Allow`, automatic `OPTIONS`, and the trailing-slash redirect.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, Map, RequestRedirect, Rule
from werkzeug.routing.exceptions import WebsocketMismatch

from .endpoint import Endpoint
from .errors import HTTPError
from .hooks import Hooks

__all__ = ["Match", "Route", "RouteTable", "compile_path", "normalize_prefix"]

UPGRADE_DETAIL = "This path speaks WebSocket; open it with a WebSocket handshake."
_RECENT_LIMIT = 1024
_CACHEABLE_PATH = 256
_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_]+))?}")


class _IntConverter(BaseConverter):
    regex = r"-?\d+"
    weight = 50

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


class _FloatConverter(BaseConverter):
    regex = r"-?\d+(?:\.\d+)?"
    weight = 50

    def to_python(self, value: str) -> float:
        return float(value)

    def to_url(self, value: Any) -> str:
        return repr(float(value))


class _UUIDConverter(BaseConverter):
    regex = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)


class _PathConverter(BaseConverter):
    regex = "[^/].*?"
    part_isolating = False
    weight = 200

    def to_url(self, value: Any) -> str:
        return quote(str(value), safe="/!$&'()*+,:;=@")


_CONVERTERS: dict[str, type[BaseConverter]] = {
    "int": _IntConverter,
    "float": _FloatConverter,
    "uuid": _UUIDConverter,
    "path": _PathConverter,
}


def compile_path(path: str) -> str:
    """Translate Responder path syntax into a werkzeug rule string.

    Raises:
        ValueError: for a path without a leading slash or an unknown converter.
    """
    if not path.startswith("/"):
        raise ValueError(f"Route paths start with '/': {path!r}")

    def replace(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if kind is None or kind == "str":
            return f"<{name}>"
        if kind not in _CONVERTERS:
            raise ValueError(f"Unknown path converter {kind!r} in {path!r}")
        return f"<{kind}:{name}>"

    return _PARAM.sub(replace, path)


def normalize_prefix(prefix: str) -> str:
    """Return a group or mount prefix as `""` or `/a/b`, without a trailing slash.

    One spelling per prefix keeps `prefix + path` from doubling a slash, and
    lets `/v1` and `/v1/` be recognised as the same mount point.

    Raises:
        ValueError: for a prefix that is not empty and has no leading slash.
    """
    if prefix and not prefix.startswith("/"):
        raise ValueError(f"Prefixes start with '/': {prefix!r}")
    return prefix.rstrip("/")


@dataclass(eq=False)
class Route:
    """One registered route: a path, what it runs, and its options.

    Attributes:
        path: The path as the user wrote it (`/items/{id:int}`).
        endpoint: The plan of what runs for a request.
        methods: Allowed methods, or None for all.
        name: The name `url_for` knows it by.
        websocket: True for a WebSocket route.
        options: Route-level options (hooks, status code, metadata).
    """

    path: str
    endpoint: Endpoint
    methods: frozenset[str] | None
    name: str
    websocket: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    #: Whether any piece (handler, route hook) is a coroutine function.
    is_async: bool = False
    #: Whether any piece needs more than path values (markers, providers, body).
    needs_resolver: bool = False
    #: The handler the lifecycle calls itself: set when the target is a
    #: function and the route has no guards or params model (most routes).
    direct: Any = None
    #: Validates `resp.media` after the handler, when the route has a model.
    response_adapter: Any = None
    #: Route-local hooks and the status the response starts with.
    before: tuple[Any, ...] = ()
    after: tuple[Any, ...] = ()
    status_code: int | None = None
    #: The hooks of the groups and routers the route was declared in,
    #: outermost first. Held by reference, so a hook added to a group after
    #: its routes still runs for them.
    scopes: tuple[Hooks, ...] = ()

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(m.group(1) for m in _PARAM.finditer(self.path))

    def before_hooks(self) -> tuple[Any, ...]:
        """The enclosing groups' before hooks (outermost first), then the route's own."""
        if not self.scopes:
            return self.before
        return (*(hook for scope in self.scopes for hook in scope.before), *self.before)

    def after_hooks(self) -> tuple[Any, ...]:
        """The route's own after hooks, then the enclosing groups' (innermost first)."""
        if not self.scopes:
            return self.after
        return (*self.after, *(hook for scope in reversed(self.scopes) for hook in scope.after))

    @property
    def scoped_async(self) -> bool:
        """Whether a hook of an enclosing group is a coroutine function (checked live)."""
        return any(scope.any_async for scope in self.scopes)


@dataclass(slots=True)
class Match:
    """The outcome of routing one request: a route with its values, or an error."""

    route: Route | None
    params: Mapping[str, Any]
    error: HTTPError | None = None
    #: Methods served at the path; set for automatic OPTIONS answers.
    allow: tuple[str, ...] | None = None


class RouteTable:
    """Holds an application's routes and matches requests against them.

    Args:
        redirect_slashes: Redirect `/a/` to `/a` (and back) with a 307 when
            only the other form is routed.
    """

    def __init__(self, *, redirect_slashes: bool = True) -> None:
        self.redirect_slashes = redirect_slashes
        self.routes: list[Route] = []
        self._by_name: dict[str, Route] = {}
        #: Paths without parameters, looked up before werkzeug's matcher.
        self._static: dict[str, list[Route]] = {}
        #: Recent dynamic matches by (method, path): hot endpoints repeat, and
        #: werkzeug's matcher costs more than the rest of routing. Bounded.
        self._recent: dict[tuple[str, str], tuple[Route, dict[str, Any]]] = {}
        self._map = Map(
            converters=_CONVERTERS,
            strict_slashes=True,
            merge_slashes=False,
            redirect_defaults=False,
        )
        self._adapter = self._map.bind("localhost", "/")

    def add(self, route: Route, *, check_existing: bool = True) -> Route:
        """Register `route`.

        Raises:
            ValueError: when the path is routed already and `check_existing` holds.
        """
        rule_path = compile_path(route.path)
        if check_existing and any(
            r.path == route.path and r.websocket == route.websocket for r in self.routes
        ):
            raise ValueError(
                f"Route {route.path!r} already exists; pass check_existing=False to add "
                "another handler for it (for example, for other methods)."
            )
        methods = set(route.methods) if route.methods is not None else None
        if methods is not None and "GET" in methods:
            methods.add("HEAD")
            route.methods = frozenset(methods)
        if rule_path == route.path and not route.websocket:
            self._static.setdefault(route.path, []).append(route)
        self._map.add(Rule(rule_path, endpoint=route, methods=methods, websocket=route.websocket))
        self.routes.append(route)
        self._by_name.setdefault(route.name, route)
        self._recent.clear()
        return route

    def match(self, method: str, path: str, *, websocket: bool = False) -> Match:
        """Find the route for a request; never raises for a client's mistake."""
        if websocket:
            return self._match(method, path, websocket, try_other_slash=self.redirect_slashes)
        if path in self._static:
            for route in self._static[path]:
                if route.methods is None or method in route.methods:
                    return Match(route, {})
        recent = self._recent.get((method, path))
        if recent is not None:
            return Match(recent[0], dict(recent[1]))
        match = self._match(method, path, websocket, try_other_slash=self.redirect_slashes)
        if match.route is not None and len(path) <= _CACHEABLE_PATH:
            if len(self._recent) >= _RECENT_LIMIT:
                del self._recent[next(iter(self._recent))]
            self._recent[(method, path)] = (match.route, dict(match.params))
        return match

    def _match(self, method: str, path: str, websocket: bool, try_other_slash: bool) -> Match:
        try:
            rule, params = self._adapter.match(path, method, return_rule=True, websocket=websocket)
        except RequestRedirect as redirect:
            return self._redirect(redirect.new_url)
        except MethodNotAllowed as exc:
            return self._not_allowed(method, list(exc.valid_methods or ()))
        except WebsocketMismatch:
            if websocket:
                return Match(None, {}, HTTPError(404))
            # An HTTP request for a WebSocket-only path: say how to reach it.
            return Match(None, {}, HTTPError(426, UPGRADE_DETAIL, headers={"Upgrade": "websocket"}))
        except NotFound:
            if try_other_slash and path != "/":
                other = path[:-1] if path.endswith("/") else path + "/"
                if self._match(method, other, websocket, try_other_slash=False).error is None:
                    return self._redirect(quote(other, safe="/!$&'()*+,:;=@~"))
            return Match(None, {}, HTTPError(404))
        return Match(rule.endpoint, params)

    def _redirect(self, new_url: str) -> Match:
        if not self.redirect_slashes:
            return Match(None, {}, HTTPError(404))
        location = new_url.split("://localhost", 1)[-1]
        return Match(None, {}, HTTPError(307, headers={"Location": location}))

    @staticmethod
    def _not_allowed(method: str, valid: list[str]) -> Match:
        allow = sorted({*valid, "OPTIONS"})
        if method == "OPTIONS":
            return Match(None, {}, None, tuple(allow))
        return Match(None, {}, HTTPError(405, headers={"Allow": ", ".join(allow)}))

    def url_for(self, endpoint: Any, params: Mapping[str, Any]) -> str:
        """Build the path of a route from its name or endpoint and its values.

        Raises:
            LookupError: when no route has that name or endpoint.
        """
        route = self._find(endpoint)
        return self._adapter.build(route, dict(params), append_unknown=True)

    def _find(self, endpoint: Any) -> Route:
        if isinstance(endpoint, str):
            if endpoint in self._by_name:
                return self._by_name[endpoint]
        else:
            for route in self.routes:
                if route.endpoint.target is endpoint:
                    return route
        raise LookupError(f"No route for endpoint {endpoint!r}")
