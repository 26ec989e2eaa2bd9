"""What a route runs, planned once at registration: functions and class views.

Inspecting signatures per request would cost more than most handlers; the
plan records, once, which keyword arguments each callable takes and whether
it is a coroutine function, so the pipeline only looks values up.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from .arguments import plan_arguments

__all__ = ["HTTP_METHODS", "Callee", "Endpoint", "is_async_callable"]

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def is_async_callable(func: Any) -> bool:
    """Tell whether calling `func` returns an awaitable, looking through wrappers."""
    while isinstance(func, partial):
        func = func.func
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - callable objects
    return call is not None and not inspect.isfunction(func) and inspect.iscoroutinefunction(call)


class Callee:
    """One callable of a route and the keyword arguments it accepts.

    Args:
        func: The function or bound method.
        positional: How many leading positional arguments it takes from the
            pipeline (2 for `(req, resp)`).
    """

    __slots__ = ("accepts_any", "fast", "func", "is_async", "keywords", "name", "plans", "steps")

    def __init__(self, func: Callable[..., Any], *, skip: int = 2) -> None:
        self.func = func
        self.is_async = is_async_callable(func)
        self.name = getattr(func, "__qualname__", repr(func))
        self.plans = plan_arguments(func, skip=skip)
        #: True when path values are all it needs: no resolver, a dict lookup.
        self.fast = not self.plans
        #: The resolver's flat plan for this callable, kept between requests.
        self.steps: Any = None
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):  # builtins without a signature
            self.keywords: frozenset[str] = frozenset()
            self.accepts_any = True
            return
        params = list(signature.parameters.values())
        self.accepts_any = any(p.kind is p.VAR_KEYWORD for p in params)
        self.keywords = frozenset(
            p.name for p in params[skip:] if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        )

    def bind_path(self, path_params: frozenset[str]) -> None:
        """Take the fast path when every parameter is a path value of the route."""
        self.fast = all(p.kind == "named" and p.name in path_params for p in self.plans)

    def select(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Pick the values this callable declared (all of them for `**kwargs`)."""
        if self.accepts_any:
            return dict(values)
        return {k: v for k, v in values.items() if k in self.keywords}


class Endpoint:
    """The plan for a route's target: a function, or a class-based view.

    A class is instantiated once, here, as resources are long-lived objects
    (the Falcon model). Its `on_<method>` methods define the methods served;
    `on_request` runs before each of them, and on its own for any method
    without a handler of its own.
    """

    __slots__ = ("_by_method", "_on_request", "_single", "is_async", "is_view", "methods", "target")

    def __init__(self, target: Any, *, websocket: bool = False) -> None:
        self.target = target
        self.is_view = not websocket and (
            inspect.isclass(target)
            or (
                not callable(target)
                and any(hasattr(target, f"on_{m.lower()}") for m in HTTP_METHODS)
            )
        )
        self._by_method: dict[str, Callee] = {}
        self._on_request: Callee | None = None
        if self.is_view:
            self._plan_view(target() if inspect.isclass(target) else target)
        else:
            # A WebSocket handler takes `ws` alone before its keywords.
            self._by_method = {"*": Callee(target, skip=1 if websocket else 2)}
            self.methods: frozenset[str] | None = None
        self._single = [self._by_method["*"]] if not self.is_view else []
        pieces = [*self._by_method.values(), self._on_request]
        self.is_async = any(c.is_async for c in pieces if c is not None)

    def _plan_view(self, resource: Any) -> None:
        for method in HTTP_METHODS:
            handler = getattr(resource, f"on_{method.lower()}", None)
            if handler is not None:
                self._by_method[method] = Callee(handler)
        on_request = getattr(resource, "on_request", None)
        self._on_request = Callee(on_request) if on_request is not None else None
        if self._on_request is not None:
            self.methods = None
            return
        served = set(self._by_method)
        if "GET" in served:
            served.add("HEAD")
        self.methods = frozenset(served)

    def callees(self, method: str) -> list[Callee]:
        """Return, in order, what runs for a request with `method`."""
        if not self.is_view:
            return self._single
        own = self._by_method.get(method)
        if own is None and method == "HEAD":
            own = self._by_method.get("GET")
        steps = [self._on_request] if self._on_request is not None else []
        if own is not None:
            steps.append(own)
        return steps

    def allowed(self) -> tuple[str, ...]:
        """The methods a view serves, for `Allow`."""
        served = set(self._by_method) | {"OPTIONS"}
        if "GET" in served:
            served.add("HEAD")
        return tuple(sorted(served))

    def all_callees(self) -> list[Callee]:
        """Every callable of the target, for planning."""
        pieces = [*self._by_method.values(), self._on_request]
        return [c for c in pieces if c is not None]

    def answers_options(self) -> bool:
        """Tell whether the view handles OPTIONS itself."""
        return "OPTIONS" in self._by_method or self._on_request is not None
