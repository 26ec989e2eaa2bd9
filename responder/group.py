"""Route groups and standalone routers: declare routes here, register them on an API.

A `Router` collects what a part of an application declares (routes, before
and after hooks, dependency providers, exception handlers, nested routers)
without an `API` at hand, so a module can build one and let the application
module include it: `api.include_router(users.router, prefix="/users")`.

Including a router *binds* it: what it holds is registered on the API under
the binding's prefix, with its tags and route guards, and whatever is
declared on the router afterwards is forwarded the same way. `api.group()`
is nothing more than a router bound on the spot, so groups and routers are
one class and one registration path.

Hooks and exception handlers are not copied into routes. Each router keeps
them in its own `Hooks`, which every route declared through it references
(`Route.scopes`); the pipeline consults those scopes for that route only. A
hook added after the routes, the usual place for `@v1.before_request()`,
therefore still guards them, and a router's hooks never run for anyone
else's routes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .declare import Declarations
from .dependencies import RESERVED_NAMES, Provider
from .hooks import Hooks
from .params import Dependency
from .routing import normalize_prefix

if TYPE_CHECKING:
    from .api import API

__all__ = ["Router", "include"]

F = TypeVar("F", bound=Callable[..., Any])
Tags = str | Iterable[str] | None


def _tags(value: Tags) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclass(frozen=True)
class _RouteDeclaration:
    path: str
    endpoint: Any
    options: dict[str, Any]


@dataclass(frozen=True)
class _Inclusion:
    router: Router
    prefix: str
    tags: tuple[str, ...]
    guards: tuple[Dependency, ...]


@dataclass(frozen=True)
class _Binding:
    """Where a router's declarations end up, and what they inherit on the way.

    Attributes:
        api: The application that receives the routes.
        prefix: Everything prepended to a route path declared on the router.
        tags: OpenAPI tags for each route, outermost first.
        guards: `Depends(...)` route guards for each route, outermost first.
        scopes: The hooks of the router and of every router around it.
    """

    api: API
    prefix: str = ""
    tags: tuple[str, ...] = ()
    guards: tuple[Dependency, ...] = ()
    scopes: tuple[Hooks, ...] = field(default=())

    def enter(self, inclusion: _Inclusion) -> _Binding:
        """The binding of a router included here with `inclusion`'s options."""
        router = inclusion.router
        if router.hooks in self.scopes:
            raise ValueError(f"{router!r} includes itself, directly or through another router")
        return _Binding(
            self.api,
            self.prefix + inclusion.prefix + router.prefix,
            (*self.tags, *inclusion.tags, *router.tags),
            (*self.guards, *inclusion.guards, *router.guards),
            (*self.scopes, router.hooks),
        )

    def register(self, declaration: _RouteDeclaration) -> None:
        options = dict(declaration.options)
        tags = (*self.tags, *_tags(options.pop("tags", None)))
        if tags:
            options["tags"] = list(dict.fromkeys(tags))
        guards = (*self.guards, *(options.pop("dependencies", None) or ()))
        if guards:
            options["dependencies"] = guards
        route = self.api.add_route(self.prefix + declaration.path, declaration.endpoint, **options)
        route.scopes = self.scopes


class Router(Declarations):
    """Routes, hooks and dependencies declared apart from any `API`.

    Args:
        prefix: Prepended to every route path declared on this router.
        tags: OpenAPI tags given to every route of the router.
        dependencies: `Depends(...)` guards run before every route's handler.

    Example:
        router = Router(prefix="/users", tags=["users"])

        @router.get("/{user_id:int}")
        def show(req, resp, *, user_id): ...

        api.include_router(router)
    """

    def __init__(
        self,
        prefix: str = "",
        tags: Tags = None,
        dependencies: Iterable[Dependency] | None = None,
    ) -> None:
        self.prefix = normalize_prefix(prefix)
        self.tags = _tags(tags)
        self.guards = tuple(dependencies or ())
        #: Before/after hooks and exception handlers for this router's routes.
        self.hooks = Hooks()
        self._declarations: list[_RouteDeclaration | _Inclusion] = []
        self._providers: list[tuple[str, Callable[..., Any], str]] = []
        self._bindings: list[_Binding] = []

    def __repr__(self) -> str:
        return f"<Router prefix={self.prefix!r}>"

    # -- routes ---------------------------------------------------------------

    def add_route(self, path: str, endpoint: Any, **options: Any) -> None:
        """Declare a route; takes the options of `API.add_route`.

        `tags=` and `dependencies=` are added to the router's own; the rest
        reach the API unchanged when the router is included.
        """
        if not path.startswith("/"):
            raise ValueError(f"Route paths start with '/': {path!r}")
        self._declare(_RouteDeclaration(path, endpoint, options))

    # -- composition ----------------------------------------------------------

    def group(self, prefix: str) -> Router:
        """A nested router under `prefix`, already included in this one.

        Its routes also run this router's hooks, outer ones first.
        """
        child = Router(prefix)
        self.include_router(child)
        return child

    def include_router(
        self,
        router: Router,
        prefix: str = "",
        *,
        tags: Tags = None,
        dependencies: Iterable[Dependency] | None = None,
    ) -> None:
        """Nest `router` in this one, under `prefix`, adding tags and guards.

        Raises:
            ValueError: when `router` would end up including itself.
        """
        if router is self:
            raise ValueError(f"{self!r} cannot include itself")
        self._declare(
            _Inclusion(router, normalize_prefix(prefix), _tags(tags), tuple(dependencies or ()))
        )

    def _declare(self, declaration: _RouteDeclaration | _Inclusion) -> None:
        self._declarations.append(declaration)
        for binding in self._bindings:
            self._deliver(binding, declaration)

    @staticmethod
    def _deliver(binding: _Binding, declaration: _RouteDeclaration | _Inclusion) -> None:
        if isinstance(declaration, _Inclusion):
            declaration.router._bind(binding.enter(declaration))
        else:
            binding.register(declaration)

    def _bind(self, binding: _Binding) -> None:
        """Register everything declared so far through `binding`, and all that follows."""
        self._bindings.append(binding)
        for name, provider, scope in self._providers:
            binding.api.add_dependency(name, provider, scope=scope)
        for declaration in self._declarations:
            self._deliver(binding, declaration)

    # -- dependencies ---------------------------------------------------------

    def add_dependency(
        self, name: str, provider: Callable[..., Any], *, scope: str = "request"
    ) -> None:
        """Declare `provider` as the dependency called `name`.

        Raises:
            ValueError: for a reserved name or an unknown scope, at once
                rather than when the router is included.
        """
        if name in RESERVED_NAMES:
            raise ValueError(f"{name!r} is reserved and cannot name a dependency")
        Provider(provider, scope, name)  # validates the scope
        self._providers.append((name, provider, scope))
        for binding in self._bindings:
            binding.api.add_dependency(name, provider, scope=scope)


def include(
    api: API,
    router: Router,
    prefix: str = "",
    tags: Tags = None,
    dependencies: Iterable[Dependency] | None = None,
) -> None:
    """Register `router` on `api` under `prefix` (what `API.include_router` does)."""
    inclusion = _Inclusion(router, normalize_prefix(prefix), _tags(tags), tuple(dependencies or ()))
    router._bind(_Binding(api).enter(inclusion))
