"""`Call`: one user callable the lifecycle wants run, as the drivers see it.

Its own module so that the lifecycle (`pipeline`) and injection
(`injection`) can both build calls without importing each other.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["Call"]


class Call:
    """One user callable the lifecycle wants run, with its arguments.

    The lifecycle builds these positionally on its hot paths: passing
    keywords to a class makes construction take about twice as long.
    """

    __slots__ = ("args", "func", "is_async", "kwargs", "sync")

    def __init__(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None = None,
        is_async: bool | None = None,
        sync: Callable[..., Any] | None = None,
    ) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs or {}
        self.is_async = inspect.iscoroutinefunction(func) if is_async is None else is_async
        #: A blocking twin of an async `func`, preferred by the sync driver.
        self.sync = sync
