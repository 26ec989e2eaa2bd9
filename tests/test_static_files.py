"""Static files: static_dir and static_route, the implicit default, the SPA fallback."""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import responder
from responder.adapters.testing import TestClient

_modules = itertools.count()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A static directory with a stylesheet, a nested script and an SPA shell."""
    static = tmp_path / "site" / "static"
    (static / "js").mkdir(parents=True)
    (static / "style.css").write_text("body { color: red }")
    (static / "js" / "app.js").write_text("console.log(1)")
    (static / "index.html").write_text("<!doctype html><div id=app></div>")
    (tmp_path / "site" / "secret.txt").write_text("private")
    return static


def _load_app(directory: Path, source: str) -> ModuleType:
    """Import `source` as a module file living in `directory`, as a real app would be."""
    path = directory / f"app_{next(_modules)}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_static_beside_the_app_is_served_without_configuration(
    site: Path, tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the app's directory: the module's location decides
    app = _load_app(site.parent, "import responder\napi = responder.API()\n")
    with app.api.test_client(mode=mode) as client:
        r = client.get("/static/style.css")
        assert r.status_code == 200
        assert r.text == "body { color: red }"
        assert r.headers["content-type"] == "text/css; charset=utf-8"
        assert client.get("/static/js/app.js").text == "console.log(1)"


def test_a_relative_static_dir_is_taken_from_the_apps_directory(
    site: Path, mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (site.parent / "assets").mkdir()
    (site.parent / "assets" / "logo.svg").write_text("<svg/>")
    monkeypatch.chdir(tmp_path)
    app = _load_app(
        site.parent,
        "import responder\napi = responder.API(static_dir='assets', static_route='/a')\n",
    )
    with app.api.test_client(mode=mode) as client:
        assert client.get("/a/logo.svg").text == "<svg/>"
        assert client.get("/static/style.css").status_code == 404


def test_the_implicit_default_is_skipped_when_missing(
    api: responder.API, client: TestClient
) -> None:
    assert api.static_files.directory is None  # there is no tests/static
    assert client.get("/static/style.css").status_code == 404


def test_an_explicit_missing_static_dir_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="static_dir"):
        responder.API(static_dir=tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="static_dir"):
        responder.API(static_dir="static")  # explicit, relative to tests/: missing
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        responder.API(static_dir=tmp_path / "file")
    assert not (tmp_path / "nowhere").exists()  # never created for you


def test_static_dir_none_disables_serving(site: Path, mode: str) -> None:
    app = _load_app(site.parent, "import responder\napi = responder.API(static_dir=None)\n")
    with app.api.test_client(mode=mode) as client:
        assert client.get("/static/style.css").status_code == 404


def test_a_custom_route_and_directory(site: Path, mode: str) -> None:
    api = responder.API(static_dir=site, static_route="/assets/")
    with api.test_client(mode=mode) as client:
        assert client.get("/assets/style.css").text == "body { color: red }"
        assert client.get("/static/style.css").status_code == 404
    assert api.url_for("static", filepath="js/app.js") == "/assets/js/app.js"


def test_static_route_must_be_a_path(site: Path) -> None:
    with pytest.raises(ValueError, match="static_route"):
        responder.API(static_dir=site, static_route="assets")


@pytest.fixture
def static_api(site: Path) -> responder.API:
    return responder.API(static_dir=site)


@pytest.fixture
def static_client(static_api: responder.API, mode: str) -> Iterator[TestClient]:
    with static_api.test_client(mode=mode) as client:
        yield client


def test_static_files_are_conditional_and_ranged(static_client: TestClient) -> None:
    first = static_client.get("/static/style.css")
    assert first.headers["accept-ranges"] == "bytes"
    again = static_client.get("/static/style.css", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    since = {"If-Modified-Since": first.headers["last-modified"]}
    assert static_client.get("/static/style.css", headers=since).status_code == 304
    part = static_client.get("/static/style.css", headers={"Range": "bytes=0-3"})
    assert (part.status_code, part.text) == (206, "body")
    head = static_client.head("/static/style.css")
    assert head.headers["content-length"] == str(len("body { color: red }"))


def test_static_files_are_read_only(static_client: TestClient) -> None:
    r = static_client.post("/static/style.css")
    assert r.status_code == 405
    assert "GET" in r.headers["allow"]


@pytest.mark.parametrize(
    "url",
    [
        "/static/missing.css",
        "/static/js",
        "/static/js/",
        "/static/%2e%2e/secret.txt",
        "/static/js/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/static/..%2fsecret.txt",
        "/static/%2fetc%2fpasswd",
        "/static/style.css%00.png",
        "/static/",
        "/static",
    ],
)
def test_nothing_outside_the_directory_is_served(static_client: TestClient, url: str) -> None:
    r = static_client.get(url, follow_redirects=True)
    assert r.status_code == 404
    assert b"private" not in r.content


def test_symlinks_out_of_the_directory_are_not_followed(
    site: Path, static_client: TestClient
) -> None:
    (site / "leak.txt").symlink_to(site.parent / "secret.txt")
    assert static_client.get("/static/leak.txt").status_code == 404


def test_static_routes_stay_out_of_the_schema(static_api: responder.API) -> None:
    static_api.add_route("/", static=True)
    marked = [r for r in static_api.router.routes if r.name in ("static", "static_index")]
    assert len(marked) == 2
    assert all(r.options["metadata"]["include_in_schema"] is False for r in marked)


@pytest.fixture
def spa(static_api: responder.API) -> responder.API:
    static_api.add_route("/", static=True)

    @static_api.route("/api/items")
    def items(req, resp):
        resp.media = [1, 2]

    @static_api.route("/api/submit", methods=["POST"])
    def submit(req, resp):
        resp.media = {"ok": True}

    return static_api


def test_the_spa_shell_answers_unmatched_gets(
    spa: responder.API, static_client: TestClient
) -> None:
    for url in ("/", "/dashboard", "/users/42/settings", "/deep/link/"):
        r = static_client.get(url, follow_redirects=False)
        assert r.status_code == 200, url
        assert r.text == "<!doctype html><div id=app></div>"
        assert r.headers["content-type"] == "text/html; charset=utf-8"
    head = static_client.head("/dashboard")
    assert head.status_code == 200 and head.content == b""


def test_routes_still_win_over_the_spa_shell(spa: responder.API, static_client: TestClient) -> None:
    assert static_client.get("/api/items").json() == [1, 2]
    assert static_client.get("/static/style.css").text == "body { color: red }"
    assert static_client.get("/api/submit").status_code == 405


def test_the_spa_shell_is_only_for_get_and_head(
    spa: responder.API, static_client: TestClient
) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert static_client.request(method, "/dashboard").status_code == 404


def test_missing_static_files_are_not_the_spa_shell(
    spa: responder.API, static_client: TestClient
) -> None:
    for url in ("/static/missing.js", "/static", "/static/"):
        r = static_client.get(url, follow_redirects=False)
        assert r.status_code == 404, url
        assert r.headers["content-type"] == "application/problem+json"


def test_the_spa_shell_needs_a_static_directory(api: responder.API) -> None:
    with pytest.raises(ValueError, match="static_dir"):
        api.add_route("/", static=True)
