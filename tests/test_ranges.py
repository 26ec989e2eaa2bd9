"""Range requests on file responses: 206, multipart/byteranges, 416, If-Range."""

from __future__ import annotations

import email.parser
import email.policy
from pathlib import Path

import httpx
import pytest

import responder
from responder.adapters.testing import TestClient
from responder.ranges import MAX_RANGES, parse_byte_ranges

DATA = bytes(range(256)) * 4  # 1024 bytes whose every slice is recognisable


@pytest.fixture
def served(api: responder.API, tmp_path: Path) -> responder.API:
    (tmp_path / "data.bin").write_bytes(DATA)

    @api.route("/data", methods=["GET", "POST"])
    def data(req, resp):
        resp.file(tmp_path / "data.bin")

    @api.route("/teapot")
    def teapot(req, resp):
        resp.status_code = 418
        resp.file(tmp_path / "data.bin")

    return api


def _parts(response: httpx.Response) -> list[tuple[str, str, bytes]]:
    """Split a multipart/byteranges body into (Content-Type, Content-Range, data)."""
    head = f"Content-Type: {response.headers['content-type']}\r\n\r\n"
    raw = head.encode() + response.content
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    return [
        (part["Content-Type"], part["Content-Range"], part.get_payload(decode=True))
        for part in message.iter_parts()
    ]


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=1000-", 1000, 1024),
        ("bytes=-24", 1000, 1024),
        ("bytes=-5000", 0, 1024),
        ("bytes=1020-9999", 1020, 1024),
        ("Bytes=5-5", 5, 6),
        ("bytes=1023-,-1", 1023, 1024),  # the same byte twice is one range
        # Leading zeros are not significant, however many there are.
        ("bytes=0-00000000000000000000000009", 0, 10),
        ("bytes=00000000000000000000000100-199", 100, 200),
        ("bytes=-00000000000000000000000024", 1000, 1024),
    ],
)
def test_a_single_range_is_206_with_content_range(
    served: responder.API, client: TestClient, header: str, start: int, stop: int
) -> None:
    r = client.get("/data", headers={"Range": header})
    assert r.status_code == 206
    assert r.content == DATA[start:stop]
    assert r.headers["content-range"] == f"bytes {start}-{stop - 1}/1024"
    assert r.headers["content-length"] == str(stop - start)
    assert r.headers["accept-ranges"] == "bytes"


def test_several_ranges_are_multipart_byteranges(served: responder.API, client: TestClient) -> None:
    r = client.get("/data", headers={"Range": "bytes=500-509, 0-9, -4"})
    assert r.status_code == 206
    assert r.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert r.headers["content-length"] == str(len(r.content))
    assert _parts(r) == [
        ("application/octet-stream", "bytes 500-509/1024", DATA[500:510]),
        ("application/octet-stream", "bytes 0-9/1024", DATA[0:10]),
        ("application/octet-stream", "bytes 1020-1023/1024", DATA[1020:]),
    ]


def test_overlapping_ranges_are_merged(served: responder.API, client: TestClient) -> None:
    r = client.get("/data", headers={"Range": "bytes=0-9,5-19,20-29"})
    assert r.status_code == 206
    assert r.headers["content-range"] == "bytes 0-29/1024"
    assert r.content == DATA[:30]
    r = client.get("/data", headers={"Range": "bytes=100-199,0-9,150-300"})
    assert [p[1] for p in _parts(r)] == ["bytes 0-9/1024", "bytes 100-300/1024"]


def test_unsatisfiable_ranges_are_416_with_the_size(
    served: responder.API, client: TestClient
) -> None:
    for header in ("bytes=1024-", "bytes=5000-6000", "bytes=-0", "bytes=2000-,-0"):
        r = client.get("/data", headers={"Range": header})
        assert r.status_code == 416, header
        assert r.headers["content-range"] == "bytes */1024"
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 416


def test_satisfiable_ranges_win_over_unsatisfiable_ones(
    served: responder.API, client: TestClient
) -> None:
    r = client.get("/data", headers={"Range": "bytes=5000-,0-1"})
    assert r.status_code == 206
    assert r.content == DATA[:2]


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "bytes=5-2",
        "bytes=-",
        "bytes=",
        "bytes 0-5",
        "items=0-5",
        "bytes=0-5;x",
        "bytes=0 - 5",
        "bytes=1-2-3",
        "bytes=0x10-20",
        "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES + 1)),
        "bytes=0-1, bytes=2-3",  # two Range fields, joined as a WSGI server would
        # Reversed, in numbers too long to convert: still reversed, still ignored.
        "bytes=20000000000000000000-10000000000000000000",
        pytest.param("bytes=" + "9" * 5000 + "-" + "9" * 4999, id="reversed-5000-digits"),
    ],
)
def test_a_malformed_range_is_ignored(
    served: responder.API, client: TestClient, header: str
) -> None:
    r = client.get("/data", headers={"Range": header})
    assert r.status_code == 200
    assert r.content == DATA


def test_ranges_apply_only_to_get_and_head_and_success(
    served: responder.API, client: TestClient
) -> None:
    post = client.post("/data", headers={"Range": "bytes=0-9"})
    assert post.status_code == 200 and post.content == DATA
    teapot = client.get("/teapot", headers={"Range": "bytes=0-9"})
    assert teapot.status_code == 418 and teapot.content == DATA
    head = client.head("/data", headers={"Range": "bytes=0-9"})
    assert head.status_code == 206
    assert head.headers["content-length"] == "10"
    assert head.content == b""


def test_if_range_with_the_current_etag_keeps_the_range(
    served: responder.API, client: TestClient
) -> None:
    etag = client.get("/data").headers["etag"]
    r = client.get("/data", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert r.status_code == 206
    assert r.content == DATA[:10]


@pytest.mark.parametrize("if_range", ['"stale"', 'W/"{etag}"', "garbage", "", "W/"])
def test_if_range_that_does_not_match_sends_everything(
    served: responder.API, client: TestClient, if_range: str
) -> None:
    etag = client.get("/data").headers["etag"].strip('"')
    r = client.get("/data", headers={"Range": "bytes=0-9", "If-Range": if_range.format(etag=etag)})
    assert r.status_code == 200
    assert r.content == DATA


def test_if_range_with_a_date(served: responder.API, client: TestClient) -> None:
    modified = client.get("/data").headers["last-modified"]
    exact = client.get("/data", headers={"Range": "bytes=0-9", "If-Range": modified})
    assert exact.status_code == 206
    older = client.get(
        "/data", headers={"Range": "bytes=0-9", "If-Range": "Mon, 01 Jan 1990 00:00:00 GMT"}
    )
    assert older.status_code == 200 and older.content == DATA


def test_an_empty_file_has_no_satisfiable_range(
    api: responder.API, client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "empty").write_bytes(b"")

    @api.route("/empty")
    def empty(req, resp):
        resp.file(tmp_path / "empty")

    assert client.get("/empty").content == b""
    assert client.get("/empty", headers={"Range": "bytes=-5"}).status_code == 416


def test_multipart_parts_carry_the_files_type(
    api: responder.API, client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "page.html").write_bytes(b"<p>" + b"x" * 100 + b"</p>")

    @api.route("/page")
    def page(req, resp):
        resp.file(tmp_path / "page.html")

    r = client.get("/page", headers={"Range": "bytes=0-2,-4"})
    parts = _parts(r)
    assert [(content_range, data) for _, content_range, data in parts] == [
        ("bytes 0-2/107", b"<p>"),
        ("bytes 103-106/107", b"</p>"),
    ]
    assert all(content_type.startswith("text/html") for content_type, _, _ in parts)


def test_parse_byte_ranges_edges() -> None:
    assert parse_byte_ranges("bytes=0-", 0) == []
    assert parse_byte_ranges("bytes=99999999999999999999999-", 10) == []
    assert parse_byte_ranges("bytes=0-99999999999999999999999", 10) == [(0, 10)]
    assert parse_byte_ranges("bytes=" + "9" * 5000 + "-", 10) == []
    assert parse_byte_ranges("bytes=1-2,,4-5", 10) == [(1, 3), (4, 6)]
    assert parse_byte_ranges("bytes=\u00e9-1", 10) is None
    assert parse_byte_ranges("bytes=\u0663-5", 10) is None  # an Arabic-Indic digit is no DIGIT
    assert parse_byte_ranges("bytes=5-6,1-2", 10) == [(5, 7), (1, 3)]  # the client's order
    assert parse_byte_ranges("bytes=1-2,3-4", 10) == [(1, 5)]  # touching: one range
    assert parse_byte_ranges("bytes=" + "0" * 30 + "5-" + "0" * 30 + "6", 10) == [(5, 7)]
    assert parse_byte_ranges("bytes=" + "0" * 30 + "-5", 10) == [(0, 6)]
    assert parse_byte_ranges("bytes=10000000000000000000-20000000000000000000", 10) == []
    assert parse_byte_ranges("bytes=20000000000000000000-10000000000000000000", 10) is None
