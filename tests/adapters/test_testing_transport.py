"""Tests for responder.adapters.testing, driven by tiny raw ASGI 3 and WSGI apps."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import json
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def _load_testing_module() -> ModuleType:
    """Import the module under test, by package name once installed, else from its file."""
    try:
        from responder.adapters import testing as installed
    except ImportError:
        path = Path(__file__).resolve().parents[2] / "adapters" / "testing.py"
        spec = importlib.util.spec_from_file_location("_responder_adapters_testing", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    found: ModuleType = installed
    return found


testing = _load_testing_module()
TestClient = testing.TestClient

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
LOOP_THREAD = "responder-testclient-loop"


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == LOOP_THREAD and t.is_alive()]


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(_loop_threads())
    yield
    leaked = [t for t in _loop_threads() if t not in before]
    assert not leaked, f"event-loop threads left running: {leaked}"


@pytest.fixture
def make_client() -> Iterator[Callable[..., Any]]:
    """Build clients that are always closed at teardown, even when a test fails."""
    clients: list[Any] = []

    def make(app: Callable[..., Any], **kwargs: Any) -> Any:
        client = TestClient(app, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# --- small ASGI apps -------------------------------------------------------------------------


async def read_body(receive: Receive) -> tuple[bytes, list[dict[str, Any]]]:
    chunks, messages = [], []
    while True:
        message = await receive()
        messages.append(message)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), messages


async def send_json(send: Send, payload: Any, status: int = 200, headers: Any = ()) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def scope_summary(scope: Scope) -> dict[str, Any]:
    return {
        "type": scope["type"],
        "asgi": scope["asgi"],
        "http_version": scope["http_version"],
        "method": scope["method"],
        "scheme": scope["scheme"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query_string": scope["query_string"].decode("latin-1"),
        "root_path": scope["root_path"],
        "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
        "client": list(scope["client"]),
        "server": list(scope["server"]),
        "extensions": scope["extensions"],
        "state": scope.get("state"),
    }


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        raise RuntimeError("no lifespan here")
    body, messages = await read_body(receive)
    summary = scope_summary(scope)
    summary["body"] = body.decode("latin-1")
    summary["messages"] = len(messages)
    summary["sha256"] = hashlib.sha256(body).hexdigest()
    await send_json(send, summary, headers=[(b"x-echo", b"yes")])


# --- small WSGI apps -------------------------------------------------------------------------


def wsgi_echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    payload = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "script_name": environ["SCRIPT_NAME"],
        "query": environ["QUERY_STRING"],
        "host": environ.get("HTTP_HOST"),
        "custom": environ.get("HTTP_X_CUSTOM"),
        "cookie": environ.get("HTTP_COOKIE"),
        "body": body.decode("latin-1"),
        "flag": environ.get("responder.test.raise_server_exceptions"),
    }
    headers = [("Content-Type", "application/json")]
    if environ["PATH_INFO"] == "/set-cookie":
        headers.append(("Set-Cookie", "session=wsgi; Path=/"))
    if environ["PATH_INFO"] == "/redirect":
        start_response("302 Found", [("Location", "/target")])
        return [b""]
    start_response("200 OK", headers)
    return [json.dumps(payload).encode()]


# --- round trips -----------------------------------------------------------------------------


def test_asgi_round_trip_scope(make_client: Callable[..., Any]) -> None:
    client = make_client(echo_app)
    assert client.mode == "asgi"
    response = client.get("/caf%C3%A9/a%2Fb?x=1%202&y=", headers={"X-Custom": "Value"})
    assert response.status_code == 200
    assert response.headers["x-echo"] == "yes"
    data = response.json()
    assert data["type"] == "http"
    assert data["asgi"] == {"version": "3.0", "spec_version": "2.3"}
    assert data["http_version"] == "1.1"
    assert data["method"] == "GET"
    assert data["scheme"] == "http"
    assert data["path"] == "/café/a/b"
    assert data["raw_path"] == "/caf%C3%A9/a%2Fb"
    assert data["query_string"] == "x=1%202&y="
    assert data["root_path"] == ""
    assert ["host", "testserver"] in data["headers"]
    assert ["x-custom", "Value"] in data["headers"]
    assert all(name == name.lower() for name, _ in data["headers"])
    assert data["client"] == ["testclient", 50000]
    assert data["server"] == ["testserver", 80]
    assert data["extensions"] == {"responder.test": {"raise_server_exceptions": True}}
    assert data["state"] is None
    assert data["body"] == ""


def test_asgi_https_absolute_url_root_path_and_flag(make_client: Callable[..., Any]) -> None:
    client = make_client(echo_app, root_path="/api", raise_server_exceptions=False)
    data = client.post("https://example.com/api/x", content=b"hi").json()
    assert ["host", "example.com"] in data["headers"]
    assert data["scheme"] == "https"
    assert data["server"] == ["example.com", 443]
    assert data["root_path"] == "/api"
    assert data["path"] == "/api/x"
    assert data["body"] == "hi"
    assert data["extensions"]["responder.test"]["raise_server_exceptions"] is False
    data = client.get("http://example.com:8080/").json()
    assert data["server"] == ["example.com", 8080]


def test_wsgi_round_trip(make_client: Callable[..., Any]) -> None:
    client = make_client(wsgi_echo, mode="wsgi", root_path="/mount")
    assert client.mode == "wsgi"
    response = client.post("/mount/p?q=1", content=b"payload", headers={"X-Custom": "v"})
    assert response.status_code == 200
    assert response.json() == {
        "method": "POST",
        "path": "/mount/p",
        "script_name": "/mount",
        "query": "q=1",
        "host": "testserver",
        "custom": "v",
        "cookie": None,
        "body": "payload",
        "flag": True,
    }
    assert client.get("http://example.com/x").json()["host"] == "example.com"


def test_wsgi_headers_are_keyed_the_way_servers_key_them(
    make_client: Callable[..., Any],
) -> None:
    """An underscore name cannot pose as Content-Length; repeated headers are joined."""
    client = make_client(wsgi_echo, mode="wsgi")
    response = client.post(
        "/p",
        content=b"payload",
        headers=[
            ("CONTENT_LENGTH", "2"),
            ("X_Custom", "spoof"),
            ("X-Custom", "a"),
            ("X-Custom", "b"),
        ],
    )
    assert response.json()["body"] == "payload"
    assert response.json()["custom"] == "a,b"


def test_invalid_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        TestClient(echo_app, mode="rsgi")


# --- request bodies --------------------------------------------------------------------------


def test_large_request_body_is_streamed_in_chunks(make_client: Callable[..., Any]) -> None:
    body = bytes(range(256)) * (5 * 1024 * 1024 // 256)
    seen: list[tuple[int, bool]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        total = hashlib.sha256()
        while True:
            message = await receive()
            assert message["type"] == "http.request"
            seen.append((len(message["body"]), message["more_body"]))
            total.update(message["body"])
            if not message["more_body"]:
                break
        await send_json(send, total.hexdigest())

    response = make_client(app).post("/", content=body)
    assert response.json() == hashlib.sha256(body).hexdigest()
    assert len(seen) > 1
    assert sum(size for size, _ in seen) == len(body)
    assert [more for _, more in seen] == [True] * (len(seen) - 1) + [False]


def test_request_body_is_pulled_lazily(make_client: Callable[..., Any]) -> None:
    log: list[str] = []

    def generate() -> Iterator[bytes]:
        for index in range(4):
            log.append(f"gen{index}")
            yield f"<{index}>".encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            log.append("recv")
            if not message["more_body"]:
                break
        await send_json(send, "ok")

    assert make_client(app).post("/", content=generate()).json() == "ok"
    assert log.count("recv") == 4
    assert log.index("recv") < log.index("gen3"), log


def test_receive_after_complete_response_reports_disconnect(
    make_client: Callable[..., Any],
) -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)
        await send_json(send, "done")
        message = await asyncio.wait_for(receive(), timeout=5)
        events.append(message["type"])

    assert make_client(app).get("/").json() == "done"
    assert events == ["http.disconnect"]


# --- streaming responses and disconnects -----------------------------------------------------


def test_streaming_response_is_incremental_and_close_disconnects(
    make_client: Callable[..., Any],
) -> None:
    first_chunk_read = threading.Event()
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)
        gone = asyncio.Event()

        async def watch() -> None:
            message = await receive()
            events.append(message["type"])
            gone.set()

        watcher = asyncio.create_task(watch())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        deadline = time.monotonic() + 5
        while not first_chunk_read.is_set():  # Only an incremental client gets past this.
            if time.monotonic() > deadline:
                events.append("timeout: first chunk was never delivered")
                return
            await asyncio.sleep(0.001)
        try:
            while not gone.is_set():  # Endless event stream, as an SSE endpoint would be.
                await send({"type": "http.response.body", "body": b"tick", "more_body": True})
                await asyncio.sleep(0.001)
        except OSError:
            events.append("send raised")
        await watcher
        events.append("stopped")

    client = make_client(app)
    with client.stream("GET", "/events") as response:
        assert response.status_code == 200
        assert next(response.iter_raw()) == b"first"
        first_chunk_read.set()
    # The watcher always sees the disconnect; send() may also raise first, whichever wins.
    assert "http.disconnect" in events
    assert events[-1] == "stopped"
    assert not [event for event in events if event.startswith("timeout")]


def test_early_close_with_app_ignoring_disconnect(
    make_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(testing, "_DISCONNECT_GRACE", 0.05)
    events: list[str] = []

    async def stubborn(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    async def chatty(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"y" * 10, "more_body": True})
        except OSError as exc:
            events.append(type(exc).__name__)

    for app in (stubborn, chatty):
        started = time.monotonic()
        with make_client(app).stream("GET", "/") as response:
            assert next(response.iter_raw()) in (b"x", b"y" * 10)
        assert time.monotonic() - started < 2
    assert events == ["cancelled", "ClientDisconnected"]


def test_close_client_with_unclosed_response(make_client: Callable[..., Any]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while True:
            await send({"type": "http.response.body", "body": b"z", "more_body": True})

    client = make_client(app)
    response = client.send(client.build_request("GET", "/"), stream=True)
    assert next(response.iter_raw()) == b"z"
    client.close()
    response.close()  # Must not hang or touch the stopped loop.


# --- exceptions ------------------------------------------------------------------------------


class Boom(Exception):
    pass


async def fails_before_start(scope: Scope, receive: Receive, send: Send) -> None:
    raise Boom("before start")


async def fails_after_start(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise Boom("after start")


async def never_starts(scope: Scope, receive: Receive, send: Send) -> None:
    return None


def test_exception_before_start(make_client: Callable[..., Any]) -> None:
    with pytest.raises(Boom, match="before start"):
        make_client(fails_before_start).get("/")
    response = make_client(fails_before_start, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.content == b""


def test_exception_after_start(make_client: Callable[..., Any]) -> None:
    with pytest.raises(Boom, match="after start"):
        make_client(fails_after_start).get("/")
    response = make_client(fails_after_start, raise_server_exceptions=False).get("/")
    assert response.status_code == 200
    assert response.content == b"partial"


def test_app_returning_without_response(make_client: Callable[..., Any]) -> None:
    with pytest.raises(RuntimeError, match=r"http\.response\.start"):
        make_client(never_starts).get("/")


def test_background_work_finishes_before_response_is_read(
    make_client: Callable[..., Any],
) -> None:
    done: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, "ok")
        await asyncio.sleep(0.01)
        done.append("background")

    assert make_client(app).get("/").json() == "ok"
    assert done == ["background"]


def test_wsgi_exceptions(make_client: Callable[..., Any]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            raise Boom("wsgi")
        except Boom:
            start_response("500 Internal Server Error", [], sys.exc_info())
            return [b"error page"]

    with pytest.raises(Boom):
        make_client(app, mode="wsgi").get("/")
    response = make_client(app, mode="wsgi", raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.text == "error page"
    assert (
        make_client(wsgi_echo, mode="wsgi", raise_server_exceptions=False).get("/").json()["flag"]
        is False
    )


# --- lifespan --------------------------------------------------------------------------------


def lifespan_app(log: list[str], *, fail: str = "") -> Callable[..., Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send_json(send, scope.get("state"))
            return
        message = await receive()
        assert message["type"] == "lifespan.startup"
        if fail == "startup-failed":
            await send({"type": "lifespan.startup.failed", "message": "no database"})
            return
        if fail == "startup-raise":
            raise Boom("startup exploded")
        scope["state"]["db"] = "connected"
        log.append("startup")
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        assert message["type"] == "lifespan.shutdown"
        log.append("shutdown")
        if fail == "shutdown-failed":
            await send({"type": "lifespan.shutdown.failed", "message": "cannot flush"})
            return
        await send({"type": "lifespan.shutdown.complete"})

    return app


def test_lifespan_startup_and_shutdown_with_state() -> None:
    log: list[str] = []
    with TestClient(lifespan_app(log)) as client:
        assert log == ["startup"]
        assert client.get("/").json() == {"db": "connected"}
    assert log == ["startup", "shutdown"]


def test_lifespan_startup_failed() -> None:
    with (
        pytest.raises(RuntimeError, match="no database"),
        TestClient(lifespan_app([], fail="startup-failed")),
    ):
        pytest.fail("the body must not run")


def test_lifespan_startup_exception_is_reraised() -> None:
    with (
        pytest.raises(Boom, match="startup exploded"),
        TestClient(lifespan_app([], fail="startup-raise")),
    ):
        pytest.fail("the body must not run")


def test_lifespan_shutdown_failed() -> None:
    log: list[str] = []
    with (
        pytest.raises(RuntimeError, match="cannot flush"),
        TestClient(lifespan_app(log, fail="shutdown-failed")),
    ):
        pass
    assert log == ["startup", "shutdown"]


def test_app_without_lifespan_support_is_tolerated() -> None:
    async def returns_early(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send_json(send, "ok")

    for app in (echo_app, returns_early):
        with TestClient(app) as client:
            assert client.get("/").status_code == 200


def test_transport_lifespan_methods_directly() -> None:
    log: list[str] = []
    transport = testing.ASGITransport(lifespan_app(log))
    try:
        transport.lifespan_startup()
        with pytest.raises(RuntimeError, match="already"):
            transport.lifespan_startup()
        transport.lifespan_shutdown()
        transport.lifespan_shutdown()  # A second shutdown is a no-op.
    finally:
        transport.close()
    assert log == ["startup", "shutdown"]


def test_wsgi_lifespan_hook() -> None:
    log: list[str] = []

    class App:
        def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
            return wsgi_echo(environ, start)

        @contextlib.contextmanager
        def wsgi_lifespan(self) -> Iterator[None]:
            log.append("enter")
            yield
            log.append("exit")

    with TestClient(App(), mode="wsgi") as client:
        assert log == ["enter"]
        assert client.get("/").status_code == 200
    assert log == ["enter", "exit"]
    with TestClient(wsgi_echo, mode="wsgi") as client:  # No hook: nothing to run.
        assert client.get("/").status_code == 200


# --- requests/Starlette compatibility --------------------------------------------------------


async def redirect_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/redirect":
        await send(
            {"type": "http.response.start", "status": 302, "headers": [(b"location", b"/t")]}
        )
        await send({"type": "http.response.body", "body": b""})
    else:
        await send_json(send, scope["path"])


@pytest.mark.parametrize("mode", ["asgi", "wsgi"])
def test_allow_redirects_alias(make_client: Callable[..., Any], mode: str) -> None:
    client = make_client(redirect_app if mode == "asgi" else wsgi_echo, mode=mode)
    assert client.get("/redirect").status_code == 200
    assert client.get("/redirect", allow_redirects=False).status_code == 302
    assert client.request("GET", "/redirect", allow_redirects=True).status_code == 200
    assert client.get("/redirect", follow_redirects=False).status_code == 302
    with pytest.raises(TypeError):
        client.get("/redirect", allow_redirects=False, follow_redirects=False)


@pytest.mark.parametrize("mode", ["asgi", "wsgi"])
def test_data_bytes_and_str_are_raw_content(make_client: Callable[..., Any], mode: str) -> None:
    client = make_client(echo_app if mode == "asgi" else wsgi_echo, mode=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client.post("/", data=b"raw bytes").json()["body"] == "raw bytes"
        assert client.put("/", data="raw text").json()["body"] == "raw text"
        assert client.patch("/", data={"a": "1", "b": "x y"}).json()["body"] == "a=1&b=x+y"
        assert client.delete("/").status_code == 200
        assert client.options("/").status_code == 200
        assert client.head("/").status_code == 200
    with pytest.raises(TypeError):
        client.post("/", data=b"a", content=b"b")


def test_files_upload(make_client: Callable[..., Any]) -> None:
    data = make_client(echo_app).post("/", files={"upload": ("a.txt", b"hello")}).json()
    content_type = dict(data["headers"])["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert 'filename="a.txt"' in data["body"]
    assert "hello" in data["body"]


@pytest.mark.parametrize("mode", ["asgi", "wsgi"])
def test_cookies_persist(make_client: Callable[..., Any], mode: str) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        if scope["path"] == "/set-cookie":
            cookie = [(b"set-cookie", b"session=asgi; Path=/")]
            await send_json(send, None, headers=cookie)
        else:
            await send_json(send, {"cookie": headers.get(b"cookie", b"").decode() or None})

    client = make_client(app if mode == "asgi" else wsgi_echo, mode=mode, cookies={"a": "1"})
    assert client.get("/get").json()["cookie"] == "a=1"
    client.get("/set-cookie")
    assert client.cookies["session"] == mode
    assert client.get("/get").json()["cookie"] == f"a=1; session={mode}"


@pytest.mark.parametrize("mode", ["asgi", "wsgi"])
def test_per_request_cookies_without_warning(make_client: Callable[..., Any], mode: str) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        await send_json(send, {"cookie": headers.get(b"cookie", b"").decode() or None})

    client = make_client(app if mode == "asgi" else wsgi_echo, mode=mode, cookies={"a": "1"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client.get("/get", cookies={"b": "2"}).json()["cookie"] == "a=1; b=2"
    assert client.get("/get").json()["cookie"] == "a=1"
    assert "b" not in client.cookies


def test_wsgi_chunked_body_has_terminated_input(make_client: Callable[..., Any]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read() if environ.get("wsgi.input_terminated") else b""
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    def chunks() -> Iterator[bytes]:
        yield from (b"ab", b"cd")

    response = make_client(app, mode="wsgi").post("/", content=chunks())
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.text == "abcd"


def test_default_headers(make_client: Callable[..., Any]) -> None:
    data = make_client(echo_app, headers={"X-Default": "1"}).get("/").json()
    headers = dict(data["headers"])
    assert headers["user-agent"] == "testclient"
    assert headers["x-default"] == "1"


def test_many_requests_reuse_one_loop_thread(make_client: Callable[..., Any]) -> None:
    others = set(_loop_threads())  # clients other test modules left open
    client = make_client(echo_app)
    for index in range(50):
        assert client.get(f"/{index}").json()["path"] == f"/{index}"
    assert len(set(_loop_threads()) - others) == 1
