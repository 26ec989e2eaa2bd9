"""File responses over real sockets: gunicorn (sync and gthread workers, sendfile) and uvicorn.

The in-process tests prove ranges, validators and the jail through both
adapters; these prove that real servers carry them intact: gunicorn sends a
file (or one range of it) from the descriptor the adapter positioned, and
uvicorn streams the chunks read off its event loop.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # conftest is pytest's to import; tests/ is not a package
    from .conftest import RunningServer

pytestmark = pytest.mark.servers

APP = "examples.downloads:api"
SOURCE = Path(__file__).resolve().parents[2] / "examples" / "downloads.py"
SERVERS = {
    "uvicorn": ("uvicorn", ()),
    "gunicorn-sync": ("gunicorn", ()),
    "gunicorn-gthread": ("gunicorn", ("-k", "gthread", "--threads", "4")),
}


@pytest.fixture(scope="module", params=list(SERVERS))
def file_server(
    request: pytest.FixtureRequest, start_server: Callable[..., RunningServer]
) -> RunningServer:
    server, extra = SERVERS[request.param]
    return start_server(server, APP, *extra)


@pytest.fixture
def http(file_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=file_server.base_url, timeout=10.0) as client:
        yield client


@pytest.fixture(params=["/files/", "/async-files/"])
def prefix(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_whole_file(http: httpx.Client, prefix: str) -> None:
    data = SOURCE.read_bytes()
    r = http.get(prefix + "downloads.py")
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["content-length"] == str(len(data))
    assert r.headers["content-type"] == "text/x-python; charset=utf-8"
    assert r.headers["accept-ranges"] == "bytes"


def test_one_range(http: httpx.Client, prefix: str) -> None:
    data = SOURCE.read_bytes()
    r = http.get(prefix + "downloads.py", headers={"Range": "bytes=10-99"})
    assert r.status_code == 206
    assert r.content == data[10:100]
    assert r.headers["content-range"] == f"bytes 10-99/{len(data)}"
    suffix = http.get(prefix + "downloads.py", headers={"Range": "bytes=-20"})
    assert suffix.content == data[-20:]


def test_several_ranges(http: httpx.Client, prefix: str) -> None:
    data = SOURCE.read_bytes()
    r = http.get(prefix + "downloads.py", headers={"Range": "bytes=0-9,100-119"})
    assert r.status_code == 206
    raw = f"Content-Type: {r.headers['content-type']}\r\n\r\n".encode() + r.content
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    payloads = [part.get_payload(decode=True) for part in message.iter_parts()]
    assert payloads == [data[0:10], data[100:120]]


def test_validators_and_refusals(http: httpx.Client, prefix: str) -> None:
    first = http.get(prefix + "downloads.py")
    again = http.get(prefix + "downloads.py", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    unsatisfiable = http.get(prefix + "downloads.py", headers={"Range": "bytes=999999-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{len(SOURCE.read_bytes())}"
    assert http.get(prefix + "..%2fpyproject.toml").status_code == 404
    head = http.head(prefix + "downloads.py", headers={"Range": "bytes=0-4"})
    assert head.status_code == 206 and head.headers["content-length"] == "5"


def test_an_attachment(http: httpx.Client) -> None:
    r = http.get("/download/downloads.py", headers={"Range": "bytes=0-2"})
    assert r.status_code == 206
    assert r.content == SOURCE.read_bytes()[:3]
    assert r.headers["content-disposition"] == 'attachment; filename="copy of downloads.py"'
