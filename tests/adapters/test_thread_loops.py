"""The event loops the WSGI adapter keeps per thread end with their threads.

Async code reached through WSGI runs on a loop owned by the server's thread.
Some servers start a thread per request (wsgiref's threading server,
`werkzeug.serving` with `threaded=True`); a loop that outlived its thread
would keep its selector and self-pipe open, and such a server would run out
of file descriptors after a few hundred requests to async routes.
"""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from raw_http import wsgi_environ

import responder

FD_DIR = Path("/proc/self/fd")


def _open_fds() -> int:
    return len(os.listdir(FD_DIR))


@pytest.mark.skipif(not FD_DIR.is_dir(), reason="counting descriptors needs /proc")
def test_a_thread_per_request_server_does_not_leak_loops() -> None:
    api = responder.API()

    @api.route("/")
    async def home(req: Any, resp: Any) -> None:
        resp.text = "hi"

    answers: list[tuple[str, bytes]] = []

    def one_request() -> None:
        statuses: list[str] = []
        body = api(
            wsgi_environ("GET", "/", **{"wsgi.multithread": True}),
            lambda status, headers, exc_info=None: statuses.append(status),
        )
        answers.append((statuses[0], b"".join(body)))

    def serve(count: int) -> None:
        for _ in range(count):
            worker = threading.Thread(target=one_request)
            worker.start()
            worker.join()
        gc.collect()

    serve(5)  # first use: imports, the adapter, the background machinery
    before = _open_fds()
    serve(200)
    # Each loop held three descriptors (epoll and a socket pair): 600 if they leaked.
    assert _open_fds() - before < 10
    assert answers == [("200 OK", b"hi")] * 205
