"""Multipart uploads: fields as text, files as `UploadFile`, parsed as the body arrives.

Every test runs under WSGI and ASGI, with sync and async handlers where the
two read differently, because the parser is fed from `Body.iter_sync` in one
case and `Body.aiter` in the other.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

import responder
from responder import File, Form, UploadFile
from responder.adapters.testing import TestClient

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class Profile(BaseModel):
    name: str
    avatar: UploadFile


def test_form_gives_text_fields_and_upload_files(api: responder.API, client: TestClient) -> None:
    def describe(form: dict[str, Any]) -> dict[str, Any]:
        doc = form["doc"]
        assert isinstance(doc, UploadFile)
        return {
            "name": form["name"],
            "tags": form["tag"],
            "doc": [doc.filename, doc.content_type, doc.size, doc.name, doc.read().decode()],
            "header": doc.headers["Content-Type"],
        }

    @api.route("/sync", methods=["POST"])
    def sync_form(req, resp):  # type: ignore[no-untyped-def]
        resp.media = describe(req.form_sync())

    @api.route("/async", methods=["POST"])
    async def async_form(req, resp):  # type: ignore[no-untyped-def]
        resp.media = describe(await req.form())

    for path in ("/sync", "/async"):
        response = client.post(
            path,
            data={"name": "Ada", "tag": ["a", "b"]},
            files={"doc": ("notes.txt", b"hello", "text/plain")},
        )
        assert response.json() == {
            "name": "Ada",
            "tags": ["a", "b"],
            "doc": ["notes.txt", "text/plain", 5, "doc", "hello"],
            "header": "text/plain",
        }


def test_media_and_files_read_multipart(api: responder.API, client: TestClient) -> None:
    @api.route("/sync", methods=["POST"])
    def sync_files(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"media": req.media_sync(), "files": req.files_sync()}

    @api.route("/async", methods=["POST"])
    async def async_files(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"media": await req.media(), "files": await req.media("files")}

    upload = {"filename": "a.png", "content_type": "image/png", "size": len(PNG)}
    for path in ("/sync", "/async"):
        got = client.post(path, data={"x": "1"}, files={"pic": ("a.png", PNG, "image/png")}).json()
        # An UploadFile echoed as media shows its facts, never its bytes.
        assert got == {"media": {"x": "1", "pic": upload}, "files": {"pic": upload}}
        assert client.post(path, data={"x": "1"}).json()["files"] == {}


def test_file_marker_saves_the_upload(
    api: responder.API, client: TestClient, tmp_path: Path
) -> None:
    @api.route("/avatar", methods=["POST"])
    async def avatar(req, resp, *, image: UploadFile = File(...)):  # type: ignore[no-untyped-def]
        path = await image.save(tmp_path / "srv" / "uploads" / "avatar.bin", create_parents=True)
        resp.media = {"saved": str(path)}

    @api.route("/avatar-sync", methods=["POST"])
    def avatar_sync(req, resp, *, image: UploadFile = File(...)):  # type: ignore[no-untyped-def]
        path = image.save_sync(tmp_path / "sync" / "avatar.bin", create_parents=True)
        resp.media = {"saved": str(path)}

    saved = client.post("/avatar", files={"image": ("me.png", PNG, "image/png")}).json()["saved"]
    assert Path(saved) == tmp_path / "srv" / "uploads" / "avatar.bin"
    assert Path(saved).read_bytes() == PNG
    saved = client.post("/avatar-sync", files={"image": ("me.png", PNG)}).json()["saved"]
    assert Path(saved).read_bytes() == PNG


def test_file_markers_take_lists_optionals_and_report_missing_files(
    api: responder.API, client: TestClient
) -> None:
    @api.route("/many", methods=["POST"])
    def many(req, resp, *, docs: list[UploadFile] = File(...)):  # type: ignore[no-untyped-def]
        resp.media = {"names": [doc.filename for doc in docs]}

    @api.route("/maybe", methods=["POST"])
    async def maybe(req, resp, *, doc: UploadFile | None = File(None)):  # type: ignore[no-untyped-def]
        resp.media = {"doc": doc.filename if doc else None}

    @api.route("/one", methods=["POST"])
    def one(req, resp, *, doc: UploadFile = File(...)):  # type: ignore[no-untyped-def]
        resp.media = {"doc": doc.filename}

    files = [("docs", ("a.txt", b"a")), ("docs", ("b.txt", b"b"))]
    assert client.post("/many", files=files).json() == {"names": ["a.txt", "b.txt"]}
    assert client.post("/many", files=files[:1]).json() == {"names": ["a.txt"]}
    assert client.post("/maybe", data={"other": "x"}).json() == {"doc": None}
    assert client.post("/maybe", files={"doc": ("c.txt", b"c")}).json() == {"doc": "c.txt"}
    # A plain field is no file, and a JSON body holds no files at all.
    for kwargs in ({"data": {"doc": "not a file"}}, {"json": {"doc": "x"}}):
        response = client.post("/one", **kwargs)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["file", "doc"]


def test_markers_handler_and_body_model_share_one_parse(
    api: responder.API, client: TestClient
) -> None:
    @api.route("/post", methods=["POST"])
    async def post(  # type: ignore[no-untyped-def]
        req, resp, *, title: str = Form(...), image: UploadFile = File(...)
    ):
        form = await req.form()
        resp.media = {
            "title": title,
            "same": form["image"] is image,
            "bytes": len(await image.read()),
        }

    @api.route("/profile", methods=["POST"])
    def profile(req, resp, *, data: Profile):  # type: ignore[no-untyped-def]
        resp.media = {"name": data.name, "avatar": data.avatar.filename, "again": req.form_sync()}

    body = client.post("/post", data={"title": "hi"}, files={"image": ("i.png", PNG)}).json()
    assert body == {"title": "hi", "same": True, "bytes": len(PNG)}
    got = client.post("/profile", data={"name": "Ada"}, files={"avatar": ("a.png", b"x")}).json()
    assert got["name"] == "Ada"
    assert got["avatar"] == "a.png"
    assert got["again"]["avatar"]["filename"] == "a.png"
    assert TypeAdapter(UploadFile).json_schema() == {"type": "string", "format": "binary"}


def test_upload_file_reads_like_a_file_in_sync_and_async_code(
    api: responder.API, client: TestClient, tmp_path: Path
) -> None:
    @api.route("/sync", methods=["POST"])
    def sync_read(req, resp):  # type: ignore[no-untyped-def]
        doc = req.files_sync()["doc"]
        head = doc.read(4)
        doc.seek(0)
        whole = b"".join(doc)
        doc.seek(2)
        copy = doc.save_sync(tmp_path / "sync.bin")
        resp.media = {
            "head": head.decode(),
            "whole": hashlib.sha256(whole).hexdigest(),
            "copy": hashlib.sha256(copy.read_bytes()).hexdigest(),
            "position": doc.tell(),
        }

    @api.route("/async", methods=["POST"])
    async def async_read(req, resp):  # type: ignore[no-untyped-def]
        doc = (await req.files())["doc"]
        head = await doc.read(4)
        await doc.seek(0)
        whole = b"".join([chunk async for chunk in doc])
        await doc.seek(2)
        copy = await doc.save(tmp_path / "async.bin")
        resp.media = {
            "head": head.decode(),
            "whole": hashlib.sha256(whole).hexdigest(),
            "copy": hashlib.sha256(copy.read_bytes()).hexdigest(),
            "position": doc.tell(),
        }

    data = b"abcd" + bytes(range(256)) * 1000
    digest = hashlib.sha256(data).hexdigest()
    for path in ("/sync", "/async"):
        got = client.post(path, files={"doc": ("d.bin", data)}).json()
        assert got == {"head": "abcd", "whole": digest, "copy": digest, "position": 2}


def test_large_uploads_spill_to_disk(api: responder.API, client: TestClient) -> None:
    @api.route("/big", methods=["POST"])
    async def big(req, resp, *, doc: UploadFile = File(...)):  # type: ignore[no-untyped-def]
        digest = hashlib.sha256()
        async for chunk in doc:
            digest.update(chunk)
        resp.media = {"in_memory": doc.in_memory, "size": doc.size, "sha": digest.hexdigest()}

    @api.route("/small", methods=["POST"])
    def small(req, resp, *, doc: UploadFile = File(...)):  # type: ignore[no-untyped-def]
        resp.media = {"in_memory": doc.in_memory}

    data = bytes(range(256)) * (3 * 4096)  # 3 MiB
    got = client.post("/big", files={"doc": ("big.bin", data)}).json()
    assert got == {"in_memory": False, "size": len(data), "sha": hashlib.sha256(data).hexdigest()}
    assert client.post("/small", files={"doc": ("s.bin", b"tiny")}).json() == {"in_memory": True}


def test_uploads_are_closed_after_the_response_and_tasks(
    api: responder.API, client: TestClient, uploads: list[UploadFile]
) -> None:
    read_later: list[bytes] = []

    def process(doc: UploadFile) -> None:
        doc.seek(0)
        read_later.append(doc.read())

    @api.route("/keep", methods=["POST"])
    async def keep(req, resp, *, doc: UploadFile = File(...)):  # type: ignore[no-untyped-def]
        resp.background(process, doc)
        resp.media = {"open": not doc.closed}

    data = b"z" * (2 * 1024 * 1024)
    assert client.post("/keep", files={"doc": ("z.bin", data)}).json() == {"open": True}
    assert read_later == [data]
    assert len(uploads) == 1
    assert uploads[0].closed


def test_epilogue_and_preamble_are_ignored(api: responder.API, client: TestClient) -> None:
    @api.route("/form", methods=["POST"])
    def form(req, resp):  # type: ignore[no-untyped-def]
        resp.media = req.form_sync()

    body = (
        b"a preamble nobody reads\r\n"
        b'--b\r\nContent-Disposition: form-data; name="k"\r\n\r\nv\r\n'
        b"--b--\r\n" + b"epilogue " * 50_000
    )
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    assert client.post("/form", content=body, headers=headers).json() == {"k": "v"}
    empty = client.post("/form", content=b"", headers=headers)
    assert empty.json() == {}
