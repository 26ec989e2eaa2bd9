"""Mounting WSGI and ASGI applications (`api.mount`), in both modes.

Every combination runs: the API served as WSGI or as ASGI (`mode`), and the
mounted application a WSGI app, an ASGI app, or another responder API
(`kind`). Each small app below answers the same requests in its own
protocol's terms, so one test checks all six pairings.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pytest

import responder
from responder.adapters.testing import TestClient

KINDS = ["wsgi", "asgi", "responder"]


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A bare WSGI app: echoes how it was called, redirects, or fails."""
    script_name, path_info = environ["SCRIPT_NAME"], environ["PATH_INFO"]
    if path_info == "/boom":
        raise RuntimeError("the WSGI app broke")
    if path_info == "/redirect":
        start_response("302 Found", [("Location", script_name + "/target")])
        return [b""]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.dumps(
        {
            "kind": "wsgi",
            "prefix": script_name,
            "sub_path": path_info.encode("latin-1").decode("utf-8"),  # PEP 3333's tunnel
            "query": environ["QUERY_STRING"],
            "body": environ["wsgi.input"].read(length).decode(),
            "raw": {"SCRIPT_NAME": script_name, "PATH_INFO": path_info},
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


async def _read_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app (no lifespan support): the same answers as `wsgi_app`."""
    assert scope["type"] == "http"
    root_path, path = scope["root_path"], scope["path"]
    sub_path = path[len(root_path) :]
    if sub_path == "/boom":
        raise RuntimeError("the ASGI app broke")
    if sub_path == "/silent":
        return  # never answers
    if sub_path == "/redirect":
        headers = [(b"location", (root_path + "/target").encode())]
        await send({"type": "http.response.start", "status": 302, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    body = json.dumps(
        {
            "kind": "asgi",
            "prefix": root_path,
            "sub_path": sub_path,
            "query": scope["query_string"].decode(),
            "body": (await _read_body(receive)).decode(),
            "raw": {"root_path": root_path, "path": path},
        }
    ).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def responder_app() -> responder.API:
    """Another responder API, mounted as it is: both a WSGI and an ASGI app."""
    sub = responder.API()

    @sub.route("/boom")
    def boom(req, resp):  # type: ignore[no-untyped-def]
        raise RuntimeError("the sub-API broke")

    @sub.route("/redirect")
    def redirect(req, resp):  # type: ignore[no-untyped-def]
        resp.status_code = 302
        resp.headers["Location"] = req.root_path + "/target"

    @sub.route("/{rest:path}")
    def echo(req, resp, *, rest):  # type: ignore[no-untyped-def]
        resp.media = {
            "kind": "responder",
            "prefix": req.root_path,
            "sub_path": req.path,
            "query": req.query_string.decode(),
            "body": req.text_sync(),
        }

    return sub


def app_of(kind: str) -> Any:
    if kind == "wsgi":
        return wsgi_app
    if kind == "asgi":
        return asgi_app
    return responder_app()


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """The protocol of the mounted application."""
    return str(request.param)


def test_mounted_app_sees_its_prefix(api: responder.API, client: TestClient, kind: str) -> None:
    api.mount("/legacy", app_of(kind))
    got = client.get("/legacy/a/b", params={"x": "1"}).json()
    assert (got["kind"], got["prefix"], got["sub_path"], got["query"]) == (
        kind,
        "/legacy",
        "/a/b",
        "x=1",
    )
    if kind == "wsgi":
        assert got["raw"] == {"SCRIPT_NAME": "/legacy", "PATH_INFO": "/a/b"}
    elif kind == "asgi":  # ASGI's path is the full path, root_path included
        assert got["raw"] == {"root_path": "/legacy", "path": "/legacy/a/b"}


def test_mount_prefix_adds_to_our_own_root_path(api: responder.API, mode: str, kind: str) -> None:
    """An API itself mounted at /site passes /site/legacy on to the app it mounts."""
    api.mount("/legacy", app_of(kind))
    # The ASGI test transport sends the full path; the WSGI one splits it off.
    url = "/site/legacy/x" if mode == "asgi" else "/legacy/x"
    with api.test_client(mode=mode, root_path="/site") as client:
        got = client.get(url).json()
    assert (got["prefix"], got["sub_path"]) == ("/site/legacy", "/x")


def test_non_ascii_paths_survive_the_hand_over(
    api: responder.API, client: TestClient, kind: str
) -> None:
    api.mount("/légacy", app_of(kind))
    got = client.get("/légacy/café").json()
    assert (got["prefix"].encode("latin-1").decode() if kind == "wsgi" else got["prefix"]) == (
        "/légacy"
    )
    assert got["sub_path"] == "/café"


def test_redirects_inside_a_mounted_app(api: responder.API, client: TestClient, kind: str) -> None:
    api.mount("/legacy", app_of(kind))
    response = client.get("/legacy/redirect")
    assert response.history[0].status_code == 302
    assert response.history[0].headers["location"] == "/legacy/target"
    assert response.json()["sub_path"] == "/target"


def test_request_bodies_reach_the_mounted_app(
    api: responder.API, client: TestClient, kind: str
) -> None:
    api.mount("/legacy", app_of(kind))
    payload = "x" * 200_000  # several body messages under ASGI
    assert client.post("/legacy/echo", content=payload).json()["body"] == payload


def test_a_failing_app_fails_only_its_request(
    api: responder.API, client: TestClient, kind: str
) -> None:
    api.mount("/legacy", app_of(kind))

    @api.route("/ours")
    def ours(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "still here"

    failed = client.get("/legacy/boom")
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["status"] == 500
    assert client.head("/legacy/boom").content == b""
    assert client.get("/legacy/fine").status_code == 200
    assert client.get("/ours").text == "still here"


def test_an_asgi_app_that_never_answers_gets_a_500(api: responder.API, client: TestClient) -> None:
    api.mount("/modern", asgi_app)
    assert client.get("/modern/silent").status_code == 500
    assert client.get("/modern/fine").status_code == 200


def test_routes_win_over_mounts(api: responder.API, client: TestClient, kind: str) -> None:
    api.mount("", app_of(kind))

    @api.get("/legacy/moved")
    def moved(req, resp):  # type: ignore[no-untyped-def]
        resp.text = "moved to responder"

    assert client.get("/legacy/moved").text == "moved to responder"
    # The route serves GET only; other methods still reach the mounted app.
    assert client.post("/legacy/moved", content="hi").json()["body"] == "hi"
    assert client.get("/legacy/other").json()["sub_path"] == "/legacy/other"


def test_longest_prefix_wins(api: responder.API, client: TestClient) -> None:
    api.mount("", wsgi_app)
    api.mount("/a", asgi_app)
    api.mount("/a/b", responder_app())

    def served(path: str) -> tuple[str, str]:
        got = client.get(path).json()
        return got["kind"], got["sub_path"]

    assert served("/a/b/c") == ("responder", "/c")
    assert served("/a/x") == ("asgi", "/x")
    assert served("/ab") == ("wsgi", "/ab")  # /a covers /a and /a/..., not /ab
    assert served("/z") == ("wsgi", "/z")


def test_prefix_boundaries(api: responder.API, client: TestClient) -> None:
    api.mount("/wsgi", wsgi_app)
    api.mount("/asgi/", asgi_app)  # the trailing slash is not part of the prefix
    assert client.get("/wsgix").status_code == 404
    assert client.get("/wsgi").json()["sub_path"] == ""
    assert client.get("/asgi").json()["sub_path"] == ""
    assert client.get("/asgi/").json()["sub_path"] == "/"


def test_bad_mounts_are_refused(api: responder.API) -> None:
    api.mount("/x", wsgi_app)
    with pytest.raises(ValueError, match="already mounted"):
        api.mount("/x/", asgi_app)
    with pytest.raises(ValueError, match="start with '/'"):
        api.mount("x", wsgi_app)
    with pytest.raises(ValueError, match="literal"):
        api.mount("/users/{id}", wsgi_app)
    with pytest.raises(ValueError, match="interface"):
        api.mount("/y", wsgi_app, interface="grpc")
    with pytest.raises(TypeError, match="callable"):
        api.mount("/z", "not an app")


class _LegacyASGI:
    """An ASGI app whose `__call__` is a plain function returning a coroutine."""

    def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Awaitable[None]:
        return asgi_app(scope, receive, send)


def test_interface_can_be_declared(api: responder.API, client: TestClient) -> None:
    api.mount("/declared", _LegacyASGI(), interface="asgi")
    assert client.get("/declared/x").json()["kind"] == "asgi"


# -- lifespan -----------------------------------------------------------------


def lifespan_app(events: list[str], fail: bool = False) -> Any:
    """An ASGI app that takes part in lifespan and shows its state to requests."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    events.append("mounted startup")
                    if fail:
                        await send({"type": "lifespan.startup.failed", "message": "no db"})
                        return
                    scope["state"]["pool"] = "ready"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    events.append("mounted shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = json.dumps(scope.get("state", {})).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


def test_mounted_lifespans_run_with_ours(mode: str) -> None:
    events: list[str] = []
    api = responder.API()
    api.add_event_handler("startup", lambda: events.append("our startup"))
    api.add_event_handler("shutdown", lambda: events.append("our shutdown"))
    sub = responder.API()
    sub.add_event_handler("startup", lambda: events.append("sub startup"))
    sub.add_event_handler("shutdown", lambda: events.append("sub shutdown"))
    api.mount("/modern", lifespan_app(events))
    api.mount("/sub", sub)
    api.mount("/plain", asgi_app)  # no lifespan support: left alone
    api.mount("/wsgi", wsgi_app)
    with api.test_client(mode=mode) as client:
        assert sorted(events) == ["mounted startup", "our startup", "sub startup"]
        assert events[0] == "our startup"
        assert client.get("/modern/").json() == {"pool": "ready"}
        assert client.get("/plain/x").status_code == 200
        events.clear()
    assert sorted(events) == ["mounted shutdown", "our shutdown", "sub shutdown"]
    assert events[-1] == "our shutdown"


def test_a_mounted_startup_failure_fails_ours(mode: str) -> None:
    events: list[str] = []
    api = responder.API()
    api.add_event_handler("shutdown", lambda: events.append("our shutdown"))
    api.mount("/modern", lifespan_app(events, fail=True))
    with pytest.raises(RuntimeError, match="no db"), api.test_client(mode=mode):
        pass
    assert events == ["mounted startup", "our shutdown"]
