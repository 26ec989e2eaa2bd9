"""What the property-based request tests share: how deep to go, and sending with a watchdog.

`test_fuzz_requests.py` and `test_fuzz_http_semantics.py` both send hostile
requests through the test clients (and, below them, through `raw_http`);
these are the pieces they have in common, so both hold requests to the same
rules: a hang fails one example instead of the run.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import httpx
import pytest
from hypothesis import reject
from raw_http import HANG_SECONDS

from responder.adapters.testing import TestClient


def examples(default: int) -> int:
    """Examples per property: `default`, or `FUZZ_EXAMPLES` for a deeper run."""
    return int(os.environ.get("FUZZ_EXAMPLES", default))


def build(client: TestClient, method: str, url: str, **kwargs: Any) -> httpx.Request:
    """Build a request, discarding inputs httpx itself refuses to put on the wire.

    Those are the client's limits (URL too long, control characters), not the
    server's: nothing reaches the application, so there is nothing to test.
    """
    try:
        return client.build_request(method, url, **kwargs)
    except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeError, ValueError):
        reject()


def send(client: TestClient, request: httpx.Request) -> httpx.Response:
    """Send `request` on a watchdog thread, so a hang fails the example instead of the run."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["response"] = client.send(request, follow_redirects=False)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, on the test thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="fuzz-request", daemon=True)
    worker.start()
    worker.join(HANG_SECONDS)
    if worker.is_alive():
        pytest.fail(f"{client.mode}: no response within {HANG_SECONDS}s to {request!r}")
    if "error" in outcome:
        raise outcome["error"]
    response: httpx.Response = outcome["response"]
    return response
