"""Request timeouts (`request_timeout=`): answer 504 on time, clean up anyway.

An async lifecycle is cancelled where it waits and resumed with a
`RequestTimeout`, so the ordinary error path renders the 504 and every
dependency teardown still runs. A sync lifecycle runs on a worker thread that
cannot be interrupted: the client gets a separate 504 on time while the
thread runs to completion in the background, and its teardown runs when it
ends. Both are protocol-neutral; the adapters only choose the threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .error_pages import render_error
from .errors import HTTPError
from .pipeline import Lifecycle, drive_async
from .response import Response

if TYPE_CHECKING:
    from .api import API
    from .request import Request

__all__ = ["RequestTimeout", "drive_async_within", "timeout_response"]


class RequestTimeout(HTTPError):
    """The request overran `request_timeout` (504)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(504, f"The request took longer than {seconds:g} seconds.")


async def drive_async_within(
    lifecycle: Lifecycle,
    run_sync: Callable[..., Awaitable[Any]] | None,
    seconds: float,
) -> None:
    """Drive `lifecycle`; past `seconds`, resume it with a `RequestTimeout`.

    The cancelled call (a handler awaiting a slow upstream, say) gets
    `CancelledError` at its await, as asyncio code expects; the lifecycle then
    renders the 504 and its teardowns run as on any other error.
    """
    try:
        await asyncio.wait_for(drive_async(lifecycle, run_sync), seconds)
    except TimeoutError:
        await drive_async(lifecycle, run_sync, throw=RequestTimeout(seconds))


def timeout_response(api: API, req: Request, seconds: float) -> Response:
    """A finished 504 response, for a sync lifecycle still running on its thread."""
    resp = Response()
    render_error(api.settings, api.codec, req, resp, RequestTimeout(seconds))
    resp.finalize(req, api.codec)
    return resp
