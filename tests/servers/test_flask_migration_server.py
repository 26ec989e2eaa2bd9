"""`examples.flask_migration:api` under real servers: Flask mounted, bridged or native.

Under uvicorn the Flask app runs through a2wsgi's WSGI bridge on its thread
pool; under gunicorn it is called directly, as WSGI. Both must give the
same answers over real sockets, cookies and redirects included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # conftest is pytest's to import; tests/ is not a package
    from .conftest import RunningServer

pytestmark = pytest.mark.servers

APP = "examples.flask_migration:api"


@pytest.fixture(scope="module", params=["uvicorn", "gunicorn"])
def migrating(
    request: pytest.FixtureRequest, start_server: Callable[..., RunningServer]
) -> RunningServer:
    return start_server(str(request.param), APP)


@pytest.fixture
def http(migrating: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=migrating.base_url, timeout=10.0) as client:
        yield client


def test_moved_routes_and_flask_fallback(http: httpx.Client) -> None:
    assert http.get("/api/users").json() == [{"name": "ada"}, {"name": "grace"}]
    assert http.post("/api/users", json={"name": "lin"}).json() == {"created": "lin", "by": "flask"}
    assert "Hello, stranger!" in http.get("/").text


def test_login_session_and_static_files(http: httpx.Client) -> None:
    login = http.post("/login", data={"name": "ada"})
    assert (login.status_code, login.headers["location"]) == (302, "/")
    assert "Hello, ada!" in http.get("/").text  # the session cookie came back
    css = http.get("/static/site.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "font-family" in css.text
