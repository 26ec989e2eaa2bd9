"""The dependency registry: named providers, their scopes, and their errors.

A provider is a function, coroutine function, generator or async generator.
Request-scoped providers run at most once per request; app-scoped ones run
once per application and are torn down at shutdown. Resolution itself lives
in `injection.py`; this module only knows who provides what.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = [
    "RESERVED_NAMES",
    "DependencyCycleError",
    "DependencyError",
    "DependencyResolutionError",
    "DependencyScopeError",
    "Provider",
    "Registry",
]

log = logging.getLogger("responder.dependencies")

#: Names a provider cannot take: they are what the pipeline itself injects.
RESERVED_NAMES = frozenset({"req", "request", "resp", "response", "ws", "websocket"})
SCOPES = ("request", "app")


class DependencyError(Exception):
    """A dependency could not be provided; the request answers 500."""


class DependencyCycleError(DependencyError):
    """Providers depend on each other in a circle."""


class DependencyScopeError(DependencyError):
    """An app-scoped provider asked for something that lives per request."""


class DependencyResolutionError(DependencyError):
    """A parameter has no source: no path value, provider, marker or default."""


class Provider:
    """One provider and how to call it.

    Args:
        func: The providing callable.
        scope: "request" (default) or "app".
        name: The name it is registered under, if any.
    """

    __slots__ = ("func", "is_async", "kind", "name", "scope")

    def __init__(self, func: Callable[..., Any], scope: str = "request", name: str | None = None):
        if scope not in SCOPES:
            raise ValueError(f"Unknown dependency scope {scope!r}; use 'request' or 'app'")
        self.func = func
        self.scope = scope
        self.name = name or getattr(func, "__name__", repr(func))
        target = getattr(func, "__call__", func) if not inspect.isroutine(func) else func  # noqa: B004
        if inspect.isasyncgenfunction(target):
            self.kind = "asyncgen"
        elif inspect.isgeneratorfunction(target):
            self.kind = "gen"
        elif inspect.iscoroutinefunction(target):
            self.kind = "async"
        else:
            self.kind = "plain"
        self.is_async = self.kind in ("async", "asyncgen")

    def __repr__(self) -> str:
        return f"<Provider {self.name} ({self.scope})>"


class Registry:
    """Providers by name and by function, plus the app-scoped values."""

    def __init__(self) -> None:
        self.by_name: dict[str, Provider] = {}
        self._by_func: dict[Any, Provider] = {}
        self.app_values: dict[Any, Any] = {}
        self.app_teardown: list[Any] = []
        self.lock = threading.Lock()
        #: Bumped by every registration, so plans derived from `by_name` know to renew.
        self.version = 0

    def add(self, name: str, func: Callable[..., Any], scope: str = "request") -> Provider:
        """Register `func` as the provider of `name`.

        Raises:
            ValueError: for a reserved name or an unknown scope.
        """
        if name in RESERVED_NAMES:
            raise ValueError(f"{name!r} is reserved and cannot name a dependency")
        provider = Provider(func, scope, name)
        self.by_name[name] = provider
        self._by_func[func] = provider
        self.version += 1
        return provider

    def for_func(self, func: Callable[..., Any]) -> Provider:
        """The provider for `func`: its registration, else a request-scoped one."""
        provider = self._by_func.get(func)
        if provider is None:
            provider = self._by_func[func] = Provider(func)
        return provider

    async def close_app_scope(self) -> None:
        """Tear down app-scoped generators in reverse order; log, never raise."""
        with self.lock:
            pending, self.app_teardown = self.app_teardown[::-1], []
            self.app_values.clear()
        for gen in pending:
            try:
                if inspect.isasyncgen(gen):
                    await anext(gen, None)
                    await gen.aclose()
                else:
                    next(gen, None)
                    gen.close()
            except Exception:
                log.exception("Tearing down an app-scoped dependency failed")
