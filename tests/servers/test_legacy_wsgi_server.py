"""A responder API embedded in a legacy WSGI deployment, served by real WSGI servers.

`examples.legacy_wsgi:application` puts the API under `/api` with werkzeug's
`DispatcherMiddleware`, next to a Flask site. gunicorn (sync and gthread
workers) and waitress serve it over loopback sockets; the API must behave
as it does alone, with the mount point in every URL it builds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # conftest is pytest's to import; tests/ is not a package
    from .conftest import RunningServer

pytestmark = pytest.mark.servers

APP = "examples.legacy_wsgi:application"
SERVERS = {
    "gunicorn-sync": ("gunicorn", APP),
    "gunicorn-gthread": ("gunicorn", APP, "-k", "gthread", "--threads", "4"),
    "waitress": ("waitress", APP),
}


@pytest.fixture(scope="module", params=list(SERVERS))
def legacy(
    request: pytest.FixtureRequest, start_server: Callable[..., RunningServer]
) -> RunningServer:
    """The combined Flask + responder application under one real WSGI server."""
    return start_server(*SERVERS[str(request.param)])


@pytest.fixture
def http(legacy: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=legacy.base_url, timeout=10.0) as client:
        yield client


def test_the_flask_site_keeps_its_paths(legacy: RunningServer, http: httpx.Client) -> None:
    response = http.get("/")
    assert response.text == "the legacy site"
    assert response.headers["server"].startswith(legacy.kind.server)


def test_the_api_answers_under_its_mount_point(http: httpx.Client) -> None:
    for path in ("/api", "/api/"):
        assert http.get(path).json() == {"service": "api", "root_path": "/api", "started": True}
    assert http.get("/api/items/7").json() == {"id": 7, "url": "/api/items/7"}


def test_sync_body_and_async_handlers(http: httpx.Client) -> None:
    assert http.post("/api/echo", json={"n": [1, 2]}).json() == {"echo": {"n": [1, 2]}}
    assert http.get("/api/async").json() == {"async": True}


def test_redirects_keep_the_mount_point(http: httpx.Client) -> None:
    response = http.get("/api/items/7/?full=1")
    assert response.status_code == 307
    assert response.headers["location"] == "/api/items/7?full=1"


def test_errors_are_the_apis_own(http: httpx.Client) -> None:
    response = http.get("/api/missing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert json.loads(response.content)["status"] == 404
    assert http.get("/missing").headers["content-type"].startswith("text/html")  # Flask's
