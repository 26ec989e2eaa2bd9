"""Static files: a directory served under a URL prefix, and the SPA fallback.

Static files are ordinary routes whose handler is `resp.file(..., root=...)`,
so they get everything a file response gets: ETag and Last-Modified with
304s, ranges, HEAD, and the path jail. They are registered with
`include_in_schema=False`, since they are not part of an API's contract.

Where the directory is: an absolute `static_dir` is used as given; a
relative one is taken from the directory of the module that constructed the
`API` (so `static/` beside `app.py` works whatever the working directory);
when that module cannot be told (an interactive session, `python -c`), from
the current working directory.
"""

from __future__ import annotations

import errno
import inspect
import os
from typing import TYPE_CHECKING, Any

from .errors import HTTPError
from .routing import Match
from .settings import IMPLICIT_STATIC_DIR

if TYPE_CHECKING:
    from .api import API
    from .request import Request
    from .response import Response
    from .routing import Route

__all__ = ["StaticFiles", "app_directory", "resolve_static_dir"]

_SAFE_METHODS = ("GET", "HEAD")


def app_directory() -> str:
    """The directory of the first module on the call stack outside responder.

    That module is the one calling `responder.API()` (or the module of an
    `API` subclass). Without a `__file__` there, the working directory.
    """
    frame = inspect.currentframe()
    try:
        while frame is not None:
            name = str(frame.f_globals.get("__name__", ""))
            if name != "responder" and not name.startswith("responder."):
                break
            frame = frame.f_back
        module_file = frame.f_globals.get("__file__") if frame is not None else None
    finally:
        del frame  # a frame held in a local would keep the whole stack alive
    if isinstance(module_file, str) and module_file:
        return os.path.dirname(os.path.abspath(module_file))
    return os.getcwd()


def resolve_static_dir(value: str | os.PathLike[str] | None) -> str | None:
    """Find the static directory the settings name, or None when there is none.

    Raises:
        FileNotFoundError: for an explicitly passed directory that does not
            exist: the directory is never created, and silently serving
            nothing would hide a typo.
        NotADirectoryError: for an explicitly passed path that is a file.
    """
    if value is None:
        return None
    text = os.fspath(value)
    path = text if os.path.isabs(text) else os.path.join(app_directory(), text)
    path = os.path.abspath(path)
    if os.path.isdir(path):
        return path
    if value is IMPLICIT_STATIC_DIR:
        return None
    if os.path.exists(path):
        raise NotADirectoryError(errno.ENOTDIR, "static_dir is not a directory", path)
    raise FileNotFoundError(
        errno.ENOENT,
        "static_dir does not exist; create it or pass static_dir=None",
        path,
    )


class StaticFiles:
    """Serves one directory under a URL prefix, and index.html for a SPA.

    Args:
        directory: The directory, or None when static serving is off.
        route: The URL prefix, such as `/static`.
    """

    def __init__(self, directory: str | None, route: str) -> None:
        self.directory = directory
        self.prefix = route.rstrip("/")
        #: The route answering unmatched GET/HEAD requests, once a SPA asks.
        self.fallback: Route | None = None

    @classmethod
    def install(cls, api: API) -> StaticFiles:
        """Set static serving up for `api` from its settings."""
        settings = api.settings
        static = cls(resolve_static_dir(settings.static_dir), settings.static_route)
        if static.directory is not None:
            api.add_route(
                static.prefix + "/{filepath:path}",
                static.serve,
                methods=["GET"],
                name="static",
                include_in_schema=False,
            )
        return static

    def serve(self, req: Request, resp: Response, *, filepath: str) -> None:
        """Send one file of the directory (404 for anything outside it)."""
        resp.file(filepath, root=self.directory)

    def index(self, req: Request, resp: Response) -> None:
        """Send the directory's index.html, the shell of a single-page app."""
        if self.directory is None or self.owns(req.path):
            raise HTTPError(404)
        resp.file("index.html", root=self.directory)

    def owns(self, path: str) -> bool:
        """Tell whether `path` lies under the static prefix."""
        prefix = self.prefix
        return path == prefix or path.startswith(prefix + "/")

    def spa_endpoint(self) -> Any:
        """The handler for `api.add_route(path, static=True)`.

        Raises:
            ValueError: when static serving is off, so there is no index.html.
        """
        if self.directory is None:
            raise ValueError(
                "add_route(..., static=True) serves index.html from static_dir, but static "
                "serving is off (static_dir=None or the default static/ is missing)"
            )
        return self.index

    def rescue(self, method: str, path: str, match: Match) -> Match:
        """Answer an unrouted GET/HEAD with the SPA's index.html, when one is set.

        Other methods, other errors (405, redirects) and paths under the
        static prefix keep the router's answer.
        """
        fallback = self.fallback
        if (
            fallback is None
            or method not in _SAFE_METHODS
            or match.error is None
            or match.error.status != 404
            or self.owns(path)
        ):
            return match
        return Match(fallback, {})
