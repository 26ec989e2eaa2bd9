"""WSGI: file bodies go to the server's `wsgi.file_wrapper` when it offers one.

gunicorn's wrapper sends with `sendfile` from the descriptor's current offset
for `Content-Length` bytes; other servers call `read()`. These tests hand the
adapter an environ as a server would and look at what comes back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.util import FileWrapper

import pytest
from gunicorn.http.wsgi import FileWrapper as GunicornFileWrapper
from gunicorn.util import has_fileno
from raw_http import wsgi_environ

import responder

DATA = bytes(range(256)) * 64  # 16 KiB


class RecordingWrapper(FileWrapper):
    """wsgiref's wrapper, remembering every instance the application asked for."""

    made: list[RecordingWrapper] = []

    def __init__(self, filelike: Any, blksize: int = 8192) -> None:
        super().__init__(filelike, blksize)
        self.blksize = blksize
        RecordingWrapper.made.append(self)


class Call:
    """One WSGI call: the status and headers given to start_response, and the body."""

    def __init__(self, api: responder.API, method: str, path: str, **environ: Any) -> None:
        full = wsgi_environ(method, path, **environ)
        self.headers: dict[str, str] = {}
        self.status = 0

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
            self.status = int(status.split()[0])
            self.headers = {k.lower(): v for k, v in headers}
            return lambda data: None

        self.result: Iterable[bytes] = api(full, start_response)

    def body(self) -> bytes:
        """Consume and close the body, as a server does."""
        try:
            return b"".join(self.result)
        finally:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[responder.API]:
    (tmp_path / "data.bin").write_bytes(DATA)
    api = responder.API()
    api.state.done = []

    @api.route("/data")
    def data(req, resp):
        resp.file(tmp_path / "data.bin")

    @api.route("/tasked")
    def tasked(req, resp):
        resp.file(tmp_path / "data.bin")
        resp.background(api.state.done.append, "task")

    @api.route("/stream")
    def stream(req, resp):
        resp.stream(iter([b"a", b"b"]))

    RecordingWrapper.made = []
    with api.test_client(mode="wsgi"):  # runs the lifespan, so no atexit hook is left
        yield api


def test_a_whole_file_goes_to_the_file_wrapper(api: responder.API) -> None:
    call = Call(api, "GET", "/data", **{"wsgi.file_wrapper": RecordingWrapper})
    assert call.status == 200
    assert RecordingWrapper.made == [call.result]
    span = RecordingWrapper.made[0].filelike
    assert has_fileno(span)
    assert os.lseek(span.fileno(), 0, os.SEEK_CUR) == 0
    assert call.headers["content-length"] == str(len(DATA))
    assert call.body() == DATA


def test_a_single_range_goes_to_the_wrapper_positioned_and_bounded(api: responder.API) -> None:
    call = Call(
        api, "GET", "/data", HTTP_RANGE="bytes=1000-1999", **{"wsgi.file_wrapper": RecordingWrapper}
    )
    assert call.status == 206
    span = RecordingWrapper.made[0].filelike
    # What gunicorn's sendfile reads: the descriptor's offset and Content-Length.
    assert os.lseek(span.fileno(), 0, os.SEEK_CUR) == 1000
    assert call.headers["content-length"] == "1000"
    # What a server without sendfile reads: read() stops at the range's end.
    assert call.body() == DATA[1000:2000]


def test_gunicorns_own_wrapper_can_sendfile_the_span(api: responder.API) -> None:
    call = Call(
        api, "GET", "/data", HTTP_RANGE="bytes=-100", **{"wsgi.file_wrapper": GunicornFileWrapper}
    )
    assert isinstance(call.result, GunicornFileWrapper)
    span = call.result.filelike
    offset = os.lseek(span.fileno(), 0, os.SEEK_CUR)
    length = int(call.headers["content-length"])
    assert os.pread(span.fileno(), length, offset) == DATA[-100:]
    assert call.body() == DATA[-100:]


def test_without_a_wrapper_the_file_is_read_in_chunks(api: responder.API) -> None:
    call = Call(api, "GET", "/data")
    assert not hasattr(call.result, "filelike")
    assert call.body() == DATA


def test_multipart_ranges_do_not_use_the_wrapper(api: responder.API) -> None:
    call = Call(
        api, "GET", "/data", HTTP_RANGE="bytes=0-9,20-29", **{"wsgi.file_wrapper": RecordingWrapper}
    )
    assert call.status == 206
    assert RecordingWrapper.made == []
    body = call.body()
    assert DATA[0:10] in body and DATA[20:30] in body


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        ("HEAD", {}, 200),
        ("GET", {"HTTP_RANGE": "bytes=99999-"}, 416),
    ],
)
def test_bodies_that_are_not_the_file_do_not_use_the_wrapper(
    api: responder.API, method: str, headers: dict[str, str], status: int
) -> None:
    call = Call(api, method, "/data", **headers, **{"wsgi.file_wrapper": RecordingWrapper})
    assert call.status == status
    assert RecordingWrapper.made == []
    call.body()


def test_a_304_does_not_open_the_file(api: responder.API) -> None:
    etag = Call(api, "GET", "/data").headers["etag"]
    call = Call(
        api, "GET", "/data", HTTP_IF_NONE_MATCH=etag, **{"wsgi.file_wrapper": RecordingWrapper}
    )
    assert call.status == 304
    assert RecordingWrapper.made == []
    assert call.body() == b""


def test_streams_never_use_the_wrapper(api: responder.API) -> None:
    call = Call(api, "GET", "/stream", **{"wsgi.file_wrapper": RecordingWrapper})
    assert call.body() == b"ab"
    assert RecordingWrapper.made == []


def test_background_tasks_run_when_the_server_closes_the_wrapper(api: responder.API) -> None:
    call = Call(api, "GET", "/tasked", **{"wsgi.file_wrapper": RecordingWrapper})
    assert b"".join(call.result) == DATA
    assert api.state.done == []  # sent, but not yet closed
    call.result.close()  # type: ignore[attr-defined]
    assert api.state.done == ["task"]
    call.result.close()  # type: ignore[attr-defined]
    assert api.state.done == ["task"]  # once only


def test_a_file_gone_before_sending_falls_back_and_still_runs_tasks(
    api: responder.API, tmp_path: Path
) -> None:
    @api.route("/vanishing")
    def vanishing(req, resp):
        resp.file(tmp_path / "data.bin")
        resp.background(api.state.done.append, "task")
        (tmp_path / "data.bin").unlink()

    call = Call(api, "GET", "/vanishing", **{"wsgi.file_wrapper": RecordingWrapper})
    assert RecordingWrapper.made == []
    with pytest.raises(FileNotFoundError):
        call.body()
    assert api.state.done == ["task"]
