"""`Call`: one user callable the lifecycle wants run, as the drivers see it.

Its own module so that the lifecycle (`pipeline`) and injection
(`injection`) can both build calls without importing each other.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["Call", "awaitable"]

#: Types that are never awaitable, and that calls return most often.
_PLAIN_TYPES = frozenset({type(None), dict, list, tuple, str, bytes, int, float, bool})


def awaitable(value: Any) -> bool:
    """`inspect.isawaitable`, answered at once for the plain values calls mostly return.

    The drivers ask it of every value a sync call returns, as a sync
    callable may hand back a coroutine; for a dict, `isawaitable` goes as
    far as an ABC check, which costs more than a small provider does.
    """
    return type(value) not in _PLAIN_TYPES and inspect.isawaitable(value)


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
