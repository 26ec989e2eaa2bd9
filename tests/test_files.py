"""Serving files: resp.file, resp.stream_file, resp.download, the root= jail, flat memory."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

import responder
from responder.adapters.testing import TestClient
from responder.files import FileBody, content_disposition, locate

TEXT = b"The quick brown fox jumps over the lazy dog.\n"


@pytest.fixture
def public(tmp_path: Path) -> Path:
    """A served directory with a few files, next to a secret that must stay out of reach."""
    root = tmp_path / "public"
    (root / "sub").mkdir(parents=True)
    (root / "notes.txt").write_bytes(TEXT)
    (root / "sub" / "page.html").write_bytes(b"<p>hi</p>")
    (root / "blob").write_bytes(bytes(range(256)))
    (root / "archive.tar.gz").write_bytes(b"\x1f\x8b fake")
    (tmp_path / "secret.txt").write_bytes(b"top secret")
    return root


@pytest.fixture
def jailed(api: responder.API, public: Path) -> responder.API:
    """Routes that pass untrusted names (query and path) to resp.file with a root."""

    @api.route("/q")
    def by_query(req, resp):
        resp.file(req.params.get("name", ""), root=public)

    @api.route("/files/{name:path}")
    def by_path(req, resp, *, name):
        resp.file(name, root=str(public))

    return api


def test_file_is_sent_with_type_length_and_validators(
    api: responder.API, client: TestClient, public: Path
) -> None:
    @api.route("/notes")
    def notes(req, resp):
        resp.file(public / "notes.txt")

    r = client.get("/notes")
    assert r.status_code == 200
    assert r.content == TEXT
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-length"] == str(len(TEXT))
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["etag"].startswith('"') and r.headers["etag"].endswith('"')
    assert r.headers["last-modified"].endswith(" GMT")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sub/page.html", "text/html; charset=utf-8"),
        ("blob", "application/octet-stream"),
        ("archive.tar.gz", "application/gzip"),
    ],
)
def test_content_type_is_guessed_from_the_name(
    jailed: responder.API, client: TestClient, name: str, expected: str
) -> None:
    assert client.get("/q", params={"name": name}).headers["content-type"] == expected


def test_content_type_can_be_overridden(
    api: responder.API, client: TestClient, public: Path
) -> None:
    @api.route("/blob")
    def blob(req, resp):
        resp.file(public / "blob", content_type="image/x-test")

    r = client.get("/blob")
    assert r.headers["content-type"] == "image/x-test"
    assert r.content == bytes(range(256))


def test_stream_file_sends_in_chunks(api: responder.API, client: TestClient, public: Path) -> None:
    @api.route("/blob")
    def blob(req, resp):
        resp.stream_file(public / "blob", chunk_size=10)

    with client.stream("GET", "/blob") as r:
        chunks = list(r.iter_raw())
    assert b"".join(chunks) == bytes(range(256))
    assert len(chunks) > 1


def test_async_handlers_send_files_too(
    api: responder.API, client: TestClient, public: Path
) -> None:
    @api.route("/notes")
    async def notes(req, resp):
        resp.file("notes.txt", root=public)

    assert client.get("/notes").content == TEXT
    assert client.get("/notes", headers={"Range": "bytes=4-8"}).content == TEXT[4:9]


def test_a_symlinked_download_keeps_the_name_asked_for(
    api: responder.API, client: TestClient, public: Path
) -> None:
    (public / "latest.txt").symlink_to(public / "notes.txt")

    @api.route("/latest")
    def latest(req, resp):
        resp.download("latest.txt", root=public)

    r = client.get("/latest")
    assert r.headers["content-disposition"] == 'attachment; filename="latest.txt"'
    assert r.content == TEXT


def test_head_describes_the_file_without_sending_it(
    api: responder.API, client: TestClient, public: Path
) -> None:
    @api.route("/notes")
    def notes(req, resp):
        resp.file(public / "notes.txt")

    r = client.head("/notes")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(TEXT))
    assert r.headers["etag"] == client.get("/notes").headers["etag"]


def test_another_body_replaces_the_file(
    api: responder.API, client: TestClient, public: Path
) -> None:
    @api.route("/changed")
    def changed(req, resp):
        resp.file(public / "notes.txt")
        resp.text = "never mind"

    r = client.get("/changed")
    assert r.text == "never mind"
    assert "etag" not in r.headers
    assert "accept-ranges" not in r.headers


def test_download_names_the_attachment(
    api: responder.API, client: TestClient, public: Path
) -> None:
    @api.route("/export")
    def export(req, resp):
        resp.download(public / "notes.txt", filename="Annual Report.txt")

    @api.route("/plain")
    def plain(req, resp):
        resp.download(public / "blob")

    r = client.get("/export")
    assert r.content == TEXT
    assert r.headers["content-disposition"] == 'attachment; filename="Annual Report.txt"'
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.get("/plain").headers["content-disposition"] == 'attachment; filename="blob"'


def test_download_type_falls_back_to_the_attachment_name(
    api: responder.API, client: TestClient, public: Path
) -> None:
    @api.route("/export")
    def export(req, resp):
        resp.download(public / "blob", filename="data.csv")

    assert client.get("/export").headers["content-type"] == "text/csv; charset=utf-8"


def test_download_with_a_non_ascii_name_has_both_forms(
    api: responder.API, client: TestClient, public: Path
) -> None:
    @api.route("/export")
    def export(req, resp):
        resp.download(public / "notes.txt", filename="R\u00e9sum\u00e9 \u2013 2024.pdf")

    value = client.get("/export").headers["content-disposition"]
    assert value == (
        'attachment; filename="Resume  2024.pdf"; '
        "filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%80%93%202024.pdf"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            'say "hi".txt',
            "attachment; filename=\"say _hi_.txt\"; filename*=UTF-8''say%20%22hi%22.txt",
        ),
        (
            "evil\r\nSet-Cookie: x=1",
            'attachment; filename="evilSet-Cookie: x=1"; '
            "filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20x%3D1",
        ),
        ("../../etc/passwd", 'attachment; filename="passwd"'),
        (
            "\u65e5\u672c\u8a9e",
            "attachment; filename=\"download\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E",
        ),
    ],
)
def test_content_disposition_cannot_be_broken_by_the_name(name: str, expected: str) -> None:
    assert content_disposition(name) == expected


def test_a_missing_file_is_a_404_problem(
    api: responder.API, client: TestClient, tmp_path: Path
) -> None:
    @api.route("/gone")
    def gone(req, resp):
        resp.file(tmp_path / "nope.txt")

    r = client.get("/gone")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 404


@pytest.mark.parametrize(
    "name",
    [
        "../secret.txt",
        "sub/../../secret.txt",
        "%2e%2e/secret.txt",  # decoded by the query parser into ../
        "sub/%2e%2e/%2e%2e/secret.txt",
        "..%2fsecret.txt",
        "/etc/passwd",
        "//etc/passwd",
        "\\..\\secret.txt",
        "notes.txt%00.png",
        "notes.txt\x00",
        "",
        ".",
        "sub",
        "sub/",
        "missing.txt",
        "x" * 5000,
    ],
)
def test_the_root_jail_answers_404(
    jailed: responder.API, client: TestClient, tmp_path: Path, name: str
) -> None:
    # Names with % go into the query as they are, so the query parser decodes them.
    r = client.get("/q?name=" + name) if "%" in name else client.get("/q", params={"name": name})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert b"secret" not in r.content


def test_an_absolute_path_inside_the_root_is_refused_too(
    jailed: responder.API, client: TestClient, public: Path
) -> None:
    assert client.get("/q", params={"name": str(public / "notes.txt")}).status_code == 404


def test_the_jail_also_holds_for_path_segments(jailed: responder.API, client: TestClient) -> None:
    assert client.get("/files/sub/page.html").content == b"<p>hi</p>"
    for url in ("/files/%2e%2e/secret.txt", "/files/sub/%2E%2E/%2e%2e/secret.txt"):
        assert client.get(url).status_code == 404


def test_symlinks_may_not_leave_the_root(
    jailed: responder.API, client: TestClient, public: Path, tmp_path: Path
) -> None:
    (public / "escape.txt").symlink_to(tmp_path / "secret.txt")
    (public / "escape-dir").symlink_to(tmp_path, target_is_directory=True)
    (public / "alias.txt").symlink_to(public / "notes.txt")
    assert client.get("/q", params={"name": "escape.txt"}).status_code == 404
    assert client.get("/q", params={"name": "escape-dir/secret.txt"}).status_code == 404
    assert client.get("/q", params={"name": "alias.txt"}).content == TEXT


def test_a_missing_root_is_a_404(api: responder.API, client: TestClient, tmp_path: Path) -> None:
    @api.route("/x")
    def x(req, resp):
        resp.file("notes.txt", root=tmp_path / "nowhere")

    assert client.get("/x").status_code == 404


def test_locate_refuses_what_the_jail_refuses(public: Path) -> None:
    path, info = locate("sub/page.html", public)
    assert path == str(public / "sub" / "page.html")
    assert info.st_size == len(b"<p>hi</p>")
    with pytest.raises(responder.HTTPError) as refused:
        locate("../secret.txt", public)
    assert refused.value.status == 404


def test_a_file_that_shrinks_while_sent_aborts_the_body(public: Path) -> None:
    target, info = locate("blob", public)
    body = FileBody(target, info, chunk_size=64)
    (public / "blob").write_bytes(b"short")
    with pytest.raises(OSError, match="shrank"):
        b"".join(body)


def test_a_gibibyte_streams_in_flat_memory(
    api: responder.API, client: TestClient, tmp_path: Path
) -> None:
    """A 1 GiB sparse file goes out with memory bounded by the chunks in flight.

    1 MiB chunks keep the test quick; the bound (64 MiB) would be broken by
    any buffering of the whole file, whatever the chunk size.
    """
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        f.truncate(1 << 30)

    @api.route("/big")
    def send_big(req, resp):
        resp.stream_file(big, chunk_size=1 << 20)

    total = 0
    tracemalloc.start()
    try:
        with client.stream("GET", "/big") as r:
            assert r.headers["content-length"] == str(1 << 30)
            for chunk in r.iter_raw():
                total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 1 << 30
    assert peak < 64 << 20, f"peak {peak / 2**20:.1f} MiB"


def test_closing_the_response_early_closes_the_file(
    api: responder.API, client: TestClient, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        f.truncate(64 << 20)

    @api.route("/big")
    def send_big(req, resp):
        resp.stream_file(big)

    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        with client.stream("GET", "/big") as r:
            next(r.iter_raw())
    assert len(os.listdir("/proc/self/fd")) <= before + 1
