"""`API(max_request_size=...)`: 413 for a body over the limit, however it is read.

A declared `Content-Length` over the limit is refused before the handler
runs; a chunked body (no length) is counted as it is read and refused the
moment it passes the limit. Both must hold for every way of reading a body,
in sync and async handlers, under both protocols.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

import responder
from responder import File, Form, UploadFile
from responder.adapters.testing import TestClient

LIMIT = 4096
PROBLEM_JSON = "application/problem+json"
BOUNDARY = "size-limit-boundary"


class Note(BaseModel):
    text: str


def _json(size: int) -> bytes:
    return json.dumps({"text": "x" * size}).encode()


def _urlencoded(size: int) -> bytes:
    return b"text=" + b"x" * size


def _multipart(size: int) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="doc"; filename="d.bin"\r\n\r\n'
        ).encode()
        + b"d" * size
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


JSON = ("application/json", _json)
URLENCODED = ("application/x-www-form-urlencoded", _urlencoded)
MULTIPART = (f"multipart/form-data; boundary={BOUNDARY}", _multipart)


async def _content_async(req: Any, resp: Any) -> None:
    resp.media = {"n": len(await req.content)}


def _content(req: Any, resp: Any) -> None:
    resp.media = {"n": len(req.content_sync())}


async def _text_async(req: Any, resp: Any) -> None:
    resp.media = {"n": len(await req.text)}


def _text(req: Any, resp: Any) -> None:
    resp.media = {"n": len(req.text_sync())}


async def _media_async(req: Any, resp: Any) -> None:
    resp.media = {"n": len((await req.media())["text"])}


def _media(req: Any, resp: Any) -> None:
    resp.media = {"n": len(req.media_sync()["text"])}


async def _form_async(req: Any, resp: Any) -> None:
    resp.media = {"n": len((await req.form())["text"])}


def _form(req: Any, resp: Any) -> None:
    resp.media = {"n": len(req.form_sync()["text"])}


async def _stream_async(req: Any, resp: Any) -> None:
    resp.media = {"n": sum([len(chunk) async for chunk in req.stream()])}


def _stream(req: Any, resp: Any) -> None:
    resp.media = {"n": sum(len(chunk) for chunk in req.stream_sync())}


async def _multipart_async(req: Any, resp: Any) -> None:
    resp.media = {"n": (await req.files())["doc"].size}


def _multipart_sync(req: Any, resp: Any) -> None:
    resp.media = {"n": req.files_sync()["doc"].size}


async def _file_marker_async(req: Any, resp: Any, *, doc: UploadFile = File(...)) -> None:
    resp.media = {"n": doc.size}


def _file_marker(req: Any, resp: Any, *, doc: UploadFile = File(...)) -> None:
    resp.media = {"n": doc.size}


async def _form_marker_async(req: Any, resp: Any, *, text: str = Form(...)) -> None:
    resp.media = {"n": len(text)}


def _form_marker(req: Any, resp: Any, *, text: str = Form(...)) -> None:
    resp.media = {"n": len(text)}


async def _model_async(req: Any, resp: Any, *, note: Note) -> None:
    resp.media = {"n": len(note.text)}


def _model(req: Any, resp: Any, *, note: Note) -> None:
    resp.media = {"n": len(note.text)}


#: Every way of reading a body: (sync handler, async handler, (content type, body maker)).
READERS: dict[str, tuple[Callable[..., Any], Callable[..., Any], Any]] = {
    "content": (_content, _content_async, JSON),
    "text": (_text, _text_async, JSON),
    "media": (_media, _media_async, JSON),
    "form": (_form, _form_async, URLENCODED),
    "stream": (_stream, _stream_async, JSON),
    "multipart": (_multipart_sync, _multipart_async, MULTIPART),
    "file-marker": (_file_marker, _file_marker_async, MULTIPART),
    "form-marker": (_form_marker, _form_marker_async, URLENCODED),
    "body-model": (_model, _model_async, JSON),
}


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
def api(calls: list[str]) -> responder.API:
    """Every reader as a sync and an async route, behind a small size limit."""
    api = responder.API(max_request_size=LIMIT)

    @api.route(before_request=True)
    def count(req: Any, resp: Any) -> None:
        calls.append(req.path)

    for name, (sync, async_, _) in READERS.items():
        api.add_route(f"/sync/{name}", sync, methods=["POST"])
        api.add_route(f"/async/{name}", async_, methods=["POST"])
    return api


def chunked(data: bytes, size: int = 1000) -> Iterator[bytes]:
    """Send `data` without a Content-Length, as a streaming client would."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def assert_413(response: Any) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert str(LIMIT) in response.json()["detail"]


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("name", sorted(READERS))
def test_a_body_within_the_limit_is_read(client: TestClient, kind: str, name: str) -> None:
    content_type, make = READERS[name][2]
    body = make(LIMIT - 300)
    headers = {"Content-Type": content_type}
    for content in (body, chunked(body)):
        response = client.post(f"/{kind}/{name}", content=content, headers=headers)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("name", sorted(READERS))
def test_a_declared_length_over_the_limit_is_refused_before_the_handler(
    client: TestClient, calls: list[str], uploads: list[UploadFile], kind: str, name: str
) -> None:
    content_type, make = READERS[name][2]
    response = client.post(
        f"/{kind}/{name}", content=make(LIMIT + 1), headers={"Content-Type": content_type}
    )
    assert_413(response)
    assert calls == []  # refused before any hook or handler ran
    assert uploads == []


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("name", sorted(READERS))
def test_a_chunked_body_over_the_limit_is_refused_while_read(
    client: TestClient, uploads: list[UploadFile], kind: str, name: str
) -> None:
    content_type, make = READERS[name][2]
    response = client.post(
        f"/{kind}/{name}",
        content=chunked(make(LIMIT * 3)),
        headers={"Content-Type": content_type},
    )
    assert_413(response)
    assert all(upload.closed for upload in uploads)


def test_the_limit_is_exact(client: TestClient) -> None:
    exactly = b"x" * LIMIT
    assert client.post("/sync/content", content=exactly).json() == {"n": LIMIT}
    assert client.post("/async/content", content=chunked(exactly)).json() == {"n": LIMIT}
    assert_413(client.post("/async/content", content=chunked(exactly + b"x")))
