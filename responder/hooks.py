"""The application's hooks: before and after requests, and exception handlers.

Kept apart from `API` so the pipeline depends on a small registry, not on
the whole application object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .endpoint import Callee
from .errors import HTTPError

__all__ = ["Hooks"]

ExceptionHandler = Callable[[Any, Any, BaseException], Any]


class Hooks:
    """Before/after hooks and exception handlers, in registration order."""

    def __init__(self) -> None:
        self.before: list[Callee] = []
        self.after: list[Callee] = []
        self._by_class: dict[type[BaseException], ExceptionHandler] = {}
        self._by_status: dict[int, ExceptionHandler] = {}

    @property
    def any_async(self) -> bool:
        """Whether any global hook is a coroutine function."""
        return any(h.is_async for h in (*self.before, *self.after))

    def add_exception_handler(
        self, key: type[BaseException] | int, handler: ExceptionHandler
    ) -> None:
        """Register `handler` for an exception class or an HTTP status.

        `Exception` and 500 both install the catch-all for unhandled errors.

        Raises:
            TypeError: for a key that is neither.
        """
        if isinstance(key, int) and not isinstance(key, bool):
            self._by_status[key] = handler
        elif isinstance(key, type) and issubclass(key, BaseException):
            self._by_class[key] = handler
        else:
            raise TypeError(f"Expected an exception class or a status code, got {key!r}")

    def exception_handler_for(
        self, exc: BaseException, *, debug: bool = False
    ) -> ExceptionHandler | None:
        """Find the handler for `exc`: by status for HTTP errors, else by class.

        The catch-all (`Exception` or 500) is skipped under `debug`, where the
        traceback page is what a developer wants to see.
        """
        if isinstance(exc, HTTPError) and exc.status in self._by_status:
            return self._by_status[exc.status]
        for cls in type(exc).__mro__:
            if cls in self._by_class:
                if cls in (Exception, BaseException) and (isinstance(exc, HTTPError) or debug):
                    return None  # the catch-all is for server errors, not a 404
                return self._by_class[cls]
        if not isinstance(exc, HTTPError) and not debug:
            return self._by_status.get(500)
        return None
