"""The decorators an `API` and a `Router` share, written once.

Both take routes, hooks, providers and exception handlers with the same
spelling (`@x.route`, `@x.get`, `@x.before_request`, `@x.dependency()`,
`@x.exception_handler`). Each class supplies the four primitives that differ
(`add_route`, `add_dependency`, `add_exception_handler` and its `hooks`);
this mixin turns them into the decorator surface.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .endpoint import Callee

if TYPE_CHECKING:
    from .hooks import Hooks

__all__ = ["Declarations"]

F = TypeVar("F", bound=Callable[..., Any])


class Declarations:
    """Decorators over `add_route`, `add_dependency` and `add_exception_handler`."""

    hooks: Hooks

    def add_route(self, path: str, endpoint: Any, **options: Any) -> Any:
        raise NotImplementedError

    def add_dependency(
        self, name: str, provider: Callable[..., Any], *, scope: str = "request"
    ) -> None:
        raise NotImplementedError

    def add_exception_handler(
        self, key: type[BaseException] | int, handler: Callable[..., Any]
    ) -> None:
        """Handle an exception class or HTTP status with `handler(req, resp, exc)`."""
        self.hooks.add_exception_handler(key, handler)

    # -- routes ---------------------------------------------------------------

    def route(
        self, path: str | None = None, *, before_request: bool = False, **options: Any
    ) -> Callable[[F], F]:
        """Decorate a handler or view to route `path` to it (see `add_route`).

        `@x.route(before_request=True)` registers a before hook instead.
        """

        def decorator(endpoint: F) -> F:
            if before_request:
                self.hooks.before.append(Callee(endpoint))
            elif path is None:
                raise TypeError("route() needs a path unless before_request=True")
            else:
                self.add_route(path, endpoint, **options)
            return endpoint

        return decorator

    def _method_route(self, method: str, path: str, **options: Any) -> Callable[[F], F]:
        options.setdefault("check_existing", False)
        return self.route(path, methods=[method], **options)

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        """Route GET (and HEAD) requests for `path`."""
        return self._method_route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        """Route POST requests for `path`."""
        return self._method_route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[F], F]:
        """Route PUT requests for `path`."""
        return self._method_route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[F], F]:
        """Route PATCH requests for `path`."""
        return self._method_route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[F], F]:
        """Route DELETE requests for `path`."""
        return self._method_route("DELETE", path, **options)

    # -- providers ----------------------------------------------------------

    def dependency(self, name: str | None = None, *, scope: str = "request") -> Callable[[F], F]:
        """Register the decorated provider under its name (or `name`).

        Handlers and other providers receive its value by declaring a
        parameter of that name. `scope="app"` runs it once per application
        and tears it down at shutdown.
        """

        def decorator(provider: F) -> F:
            self.add_dependency(name or provider.__name__, provider, scope=scope)
            return provider

        return decorator

    # -- hooks and errors -----------------------------------------------------

    @overload
    def before_request(self, func: F) -> F: ...
    @overload
    def before_request(self, func: None = None) -> Callable[[F], F]: ...
    def before_request(self, func: Any = None) -> Any:
        """Register a hook run before the handlers in scope; with or without ()."""
        return _register(self.hooks.before, func)

    @overload
    def after_request(self, func: F) -> F: ...
    @overload
    def after_request(self, func: None = None) -> Callable[[F], F]: ...
    def after_request(self, func: Any = None) -> Any:
        """Register a hook run after the handlers in scope; with or without ()."""
        return _register(self.hooks.after, func)

    def exception_handler(self, key: type[BaseException] | int) -> Callable[[F], F]:
        """Decorate `handler(req, resp, exc)` to handle an exception class or status."""

        def decorator(handler: F) -> F:
            self.add_exception_handler(key, handler)
            return handler

        return decorator


def _register(into: list[Callee], func: Any) -> Any:
    def decorator(hook: F) -> F:
        into.append(Callee(hook))
        return hook

    return decorator if func is None else decorator(func)
