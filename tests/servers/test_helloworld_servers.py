"""The same HTTP assertions against `examples.helloworld:api` under every real server.

Each test runs once per server kind in `conftest.KINDS` (uvicorn, gunicorn
sync and gthread, the `responder run` CLI, `api.run()` with `PORT`...), so a
difference between the WSGI and ASGI paths shows up as one kind failing. The
requests go over loopback sockets with httpx; nothing is called in-process.
The last test stops the server and checks that it went down cleanly.
"""

from __future__ import annotations

import json
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # conftest is pytest's to import; tests/ is not a package
    from .conftest import RunningServer

pytestmark = pytest.mark.servers


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    """Check an RFC 9457 problem response and return its members."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = json.loads(response.content)
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    return dict(problem)


def test_listens_where_expected(server: RunningServer) -> None:
    """Loopback by default; all interfaces when the port came from `PORT`."""
    assert f"{server.kind.listen_host}:{server.port}" in server.output()


def test_index_is_plain_text(server: RunningServer, http: httpx.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert response.text == "hello, world!"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == "13"
    assert response.headers["server"] == server.kind.server


def test_head_has_headers_but_no_body(http: httpx.Client) -> None:
    response = http.head("/")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == "13"


def test_path_parameter_json(http: httpx.Client) -> None:
    response = http.get("/hello/world")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"hello": "world"}


def test_non_ascii_path_parameter(http: httpx.Client) -> None:
    """UTF-8 in the path survives WSGI's latin-1 environ strings and ASGI's decoding."""
    response = http.get("/hello/Zo%C3%AB%20%E2%9C%93")
    assert response.status_code == 200
    assert response.json() == {"hello": "Zoë ✓"}


def test_post_echo(http: httpx.Client) -> None:
    payload = {"numbers": [1, 2, 3], "nested": {"ok": True}, "text": "héllo"}
    response = http.post("/echo", json=payload)
    assert response.status_code == 200
    assert response.json() == {"echo": payload}


def test_post_echo_large_body(http: httpx.Client) -> None:
    """A body of several read chunks arrives whole through the sync body bridge."""
    payload = {"blob": "x" * 300_000, "items": list(range(5_000))}
    response = http.post("/echo", json=payload)
    assert response.status_code == 200
    assert response.json() == {"echo": payload}


def test_async_route(http: httpx.Client) -> None:
    response = http.get("/async/12")
    assert response.status_code == 200
    assert response.json() == {"n": 12, "squared": 144, "async": True}


def test_async_route_converter_rejects_non_int(http: httpx.Client) -> None:
    _problem(http.get("/async/twelve"), 404)


def test_class_based_view(http: httpx.Client) -> None:
    response = http.get("/greeting/hi")
    assert response.status_code == 200
    assert response.json() == {"greeting": "hi, world!"}
    assert response.headers["x-greeting"] == "hi"

    created = http.post("/greeting/hey")
    assert created.status_code == 201
    assert created.json() == {"created": "hey"}


def test_not_found_is_problem_json(http: httpx.Client) -> None:
    problem = _problem(http.get("/no/such/page"), 404)
    assert problem["title"] == "Not Found"
    assert problem["instance"] == "/no/such/page"


def test_method_not_allowed_lists_allow(http: httpx.Client) -> None:
    response = http.post("/hello/world")
    problem = _problem(response, 405)
    assert problem["title"] == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"

    view = http.delete("/greeting/hi")
    _problem(view, 405)
    assert view.headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_concurrent_requests(http: httpx.Client) -> None:
    """Sync, async and body-reading routes interleaved from several client threads."""

    def call(i: int) -> tuple[int, object]:
        if i % 3 == 0:
            response = http.get(f"/async/{i}")
        elif i % 3 == 1:
            response = http.post("/echo", json={"i": i})
        else:
            response = http.get(f"/hello/n{i}")
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(24)))
    for i, (status, body) in enumerate(results):
        assert status == 200
        if i % 3 == 0:
            assert body == {"n": i, "squared": i * i, "async": True}
        elif i % 3 == 1:
            assert body == {"echo": {"i": i}}
        else:
            assert body == {"hello": f"n{i}"}


def test_stops_cleanly_on_sigterm(server: RunningServer) -> None:
    """Keep last: SIGTERM ends the server and all its workers without a SIGKILL."""
    server.stop()
    assert server.graceful, "the server ignored SIGTERM and had to be killed\n" + server.output()
    # uvicorn re-raises the signal after its graceful shutdown; gunicorn exits 0.
    assert server.proc.returncode in (0, -signal.SIGTERM), server.output()
    assert server.leftovers() == [], server.output()
    with pytest.raises(httpx.TransportError):
        httpx.get(server.base_url + "/", timeout=1.0)
