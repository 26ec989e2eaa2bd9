"""What the property-based request tests share: sending with a watchdog, calling the faces raw.

`test_fuzz_requests.py` and `test_fuzz_http_semantics.py` both send hostile
requests through the test clients and, below them, straight into the WSGI
and ASGI callables; these are the pieces they have in common, so both hold
requests to the same rules (a hang fails one example, an escaping exception
fails it too).
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import httpx
import pytest
from hypothesis import reject

import responder
from responder.adapters.testing import TestClient

#: A request that takes longer than this is reported as a hang, not waited on forever.
HANG_SECONDS = 20.0


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


def call_wsgi(api: responder.API, environ: dict[str, Any]) -> tuple[int, bytes]:
    """Call the WSGI face as a server would; an escaping exception fails the example."""
    started: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append(status)
        return lambda data: None

    result = api(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return int(started[-1].split()[0]), body


def call_asgi(
    api: responder.API, loop: asyncio.AbstractEventLoop, scope: dict[str, Any], body: bytes = b""
) -> tuple[int, bytes]:
    """Call the ASGI face on `loop` with `body`; an escaping exception fails the example."""
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)  # a client that stays connected and sends nothing more
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send_message(message: dict[str, Any]) -> None:
        sent.append(message)

    loop.run_until_complete(asyncio.wait_for(api(scope, receive, send_message), HANG_SECONDS))
    assert sent and sent[0]["type"] == "http.response.start", sent
    return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:])
