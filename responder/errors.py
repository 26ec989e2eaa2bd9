"""HTTP errors as exceptions: `abort`, `HTTPError` and RFC 9457 `Problem`.

The pipeline turns any of these into a response, wherever they are raised
(handler, hook, dependency), so code deep in a call stack can stop a request
without holding the response object.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, NoReturn

__all__ = ["HTTPError", "Problem", "abort", "status_phrase"]


def status_phrase(status: int) -> str:
    """Return the reason phrase of a status code, or "Unknown" for unlisted codes."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class HTTPError(Exception):
    """An error that maps to one HTTP status, raised to stop a request.

    Args:
        status: The HTTP status code to answer with (4xx or 5xx).
        detail: A human-readable explanation, specific to this occurrence.
        headers: Extra response headers, such as `Allow` or `Retry-After`.
    """

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = int(status)
        self.detail = detail
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(detail or status_phrase(self.status))

    @property
    def title(self) -> str:
        """The short, generic summary of the status."""
        return status_phrase(self.status)

    def members(self) -> dict[str, Any]:
        """Return the problem-details members this error contributes."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.detail!r})"


class Problem(HTTPError):
    """A raisable RFC 9457 problem: type, title, detail, instance and extensions.

    Extension members (any extra keyword) are rendered next to the standard
    members in the `application/problem+json` body, which lets an application
    keep a catalogue of typed errors without building responses by hand.

    Args:
        status: The HTTP status code.
        detail: The occurrence-specific explanation.
        title: A short summary of the problem type; defaults to the reason phrase.
        type: A URI identifying the problem type; defaults to "about:blank".
        instance: A URI for this occurrence; defaults to the request path.
        headers: Extra response headers.
        **extensions: Extension members added to the body.
    """

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type: str | None = None,
        instance: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(status, detail, headers=headers)
        self._title = title
        self.type = type
        self.instance = instance
        self.extensions = extensions

    @property
    def title(self) -> str:
        return self._title or status_phrase(self.status)

    def members(self) -> dict[str, Any]:
        members: dict[str, Any] = dict(self.extensions)
        if self.type is not None:
            members["type"] = self.type
        if self.instance is not None:
            members["instance"] = self.instance
        return members


def abort(
    status: int,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **members: Any,
) -> NoReturn:
    """Stop the current request with an HTTP error.

    Passing problem members (`type`, `title`, `instance` or any extension
    member) raises a `Problem`; otherwise a plain `HTTPError`.

    Raises:
        HTTPError: always; a `Problem` when members are given.
    """
    if members:
        raise Problem(status, detail, headers=headers, **members)
    raise HTTPError(status, detail, headers=headers)
