"""Small pieces both protocol adapters share: status lines and bad-input answers."""

from __future__ import annotations

import json
from http import HTTPStatus

from responder.error_pages import PROBLEM_JSON
from responder.errors import status_phrase

__all__ = ["TEST_RAISE_KEY", "early_problem", "status_line"]

#: Set by the test client: re-raise an unhandled exception instead of sending a 500.
TEST_RAISE_KEY = "responder.test.raise_server_exceptions"

_LINES = {int(s): f"{int(s)} {s.phrase}" for s in HTTPStatus}


def status_line(code: int) -> str:
    """`"404 Not Found"` for 404; a made-up phrase for codes HTTP does not list."""
    line = _LINES.get(code)
    if line is None:
        line = _LINES[code] = f"{code} {status_phrase(code)}"
    return line


def early_problem(status: int, detail: str) -> tuple[bytes, list[tuple[str, str]]]:
    """A problem+json answer for requests refused before the core saw them.

    An environ or scope the core cannot even represent (a path that is not
    UTF-8, a Content-Length that is not a number) is answered here, in the
    same envelope as every other error.

    Returns:
        The body and its headers.
    """
    body = json.dumps(
        {"type": "about:blank", "title": status_phrase(status), "status": status, "detail": detail}
    ).encode()
    return body, [("Content-Type", PROBLEM_JSON), ("Content-Length", str(len(body)))]
