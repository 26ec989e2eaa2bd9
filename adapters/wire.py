"""Small pieces both protocol adapters share: status lines and bad-input answers."""

from __future__ import annotations

from http import HTTPStatus

from responder.errors import status_phrase

__all__ = ["TEST_RAISE_KEY", "status_line"]

#: Set by the test client: re-raise an unhandled exception instead of sending a 500.
TEST_RAISE_KEY = "responder.test.raise_server_exceptions"

_LINES = {int(s): f"{int(s)} {s.phrase}" for s in HTTPStatus}


def status_line(code: int) -> str:
    """`"404 Not Found"` for 404; a made-up phrase for codes HTTP does not list."""
    line = _LINES.get(code)
    if line is None:
        line = _LINES[code] = f"{code} {status_phrase(code)}"
    return line
