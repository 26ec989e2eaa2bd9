"""Conditional requests: 304 and 412 from resp.etag/last_modified, auto_etag, cache helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import responder
from responder.adapters.testing import TestClient
from responder.conditional import format_etag, parse_etag_list

MODIFIED = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
MODIFIED_HTTP = "Thu, 15 Jan 2026 12:00:00 GMT"
EARLIER = "Wed, 14 Jan 2026 12:00:00 GMT"
LATER = "Fri, 16 Jan 2026 12:00:00 GMT"


@pytest.fixture
def versioned(api: responder.API) -> responder.API:
    """A resource with both validators, readable and writable."""

    @api.route("/doc", methods=["GET", "PUT", "POST", "DELETE"])
    def doc(req, resp):
        resp.etag = "v1"
        resp.last_modified = MODIFIED
        resp.headers["Cache-Control"] = "max-age=60"
        resp.media = {"version": 1}

    @api.route("/tagged", methods=["GET", "PUT"])
    def tagged(req, resp):
        resp.etag = req.params.get("tag", "v1")
        resp.text = "tagged"

    @api.route("/dated", methods=["GET", "PUT"])
    def dated(req, resp):
        resp.last_modified = MODIFIED_HTTP
        resp.text = "dated"

    @api.route("/missing")
    def missing(req, resp):
        resp.etag = "v1"
        resp.status_code = 404
        resp.text = "no such thing"

    return api


def test_a_matching_if_none_match_is_304_without_body(
    versioned: responder.API, client: TestClient
) -> None:
    first = client.get("/doc")
    assert first.headers["etag"] == '"v1"'
    assert first.headers["last-modified"] == MODIFIED_HTTP
    r = client.get("/doc", headers={"If-None-Match": '"v1"'})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == '"v1"'
    assert r.headers["cache-control"] == "max-age=60"
    assert "content-type" not in r.headers
    assert "content-length" not in r.headers


@pytest.mark.parametrize(
    ("tag", "header", "status"),
    [
        ("v1", '"v2"', 200),
        ("v1", '"v2", "v1"', 304),
        ("v1", '"v2",, "v1" ', 304),
        ("v1", ', "v1"', 304),  # empty list elements may come first too (RFC 9110 §5.6.1.2)
        ("v1", ' ,, "v2", "v1"', 304),
        ("v1", " , ", 200),  # only empty elements: not a list, so ignored
        ("v1", "*", 304),
        ("v1", 'W/"v1"', 304),  # weak comparison: the core values match
        ('W/"v1"', '"v1"', 304),
        ('W/"v1"', 'W/"v1"', 304),
        ("v1", "v1", 200),  # not an entity tag: the field is ignored
        ("v1", '"v1', 200),
    ],
)
def test_if_none_match_uses_weak_comparison(
    versioned: responder.API, client: TestClient, tag: str, header: str, status: int
) -> None:
    r = client.get("/tagged", params={"tag": tag}, headers={"If-None-Match": header})
    assert r.status_code == status


def test_head_gets_304_too(versioned: responder.API, client: TestClient) -> None:
    assert client.head("/doc", headers={"If-None-Match": '"v1"'}).status_code == 304


@pytest.mark.parametrize(
    ("since", "status"),
    [
        (MODIFIED_HTTP, 304),
        (LATER, 304),
        (EARLIER, 200),
        ("Thursday, 15-Jan-26 12:00:00 GMT", 304),  # RFC 850 form
        ("Thu Jan 15 12:00:00 2026", 304),  # asctime form
        ("yesterday", 200),  # not a date: ignored
        ("", 200),
        ("Thu, 99 Jan 2026 12:00:00 GMT", 200),
    ],
)
def test_if_modified_since(
    versioned: responder.API, client: TestClient, since: str, status: int
) -> None:
    assert client.get("/dated", headers={"If-Modified-Since": since}).status_code == status


def test_last_modified_accepts_a_string_and_reads_back_a_datetime() -> None:
    resp = responder.Response()
    resp.last_modified = MODIFIED_HTTP
    assert resp.last_modified == MODIFIED
    resp.last_modified = datetime(2026, 1, 15, 12, 0, 0)  # naive: taken as UTC
    assert resp.headers["Last-Modified"] == MODIFIED_HTTP
    with pytest.raises(ValueError, match="HTTP-date"):
        resp.last_modified = "last tuesday"
    resp.last_modified = None
    assert resp.last_modified is None


def test_if_none_match_takes_precedence_over_if_modified_since(
    versioned: responder.API, client: TestClient
) -> None:
    r = client.get("/doc", headers={"If-None-Match": '"v2"', "If-Modified-Since": LATER})
    assert r.status_code == 200
    r = client.get("/doc", headers={"If-None-Match": '"v1"', "If-Modified-Since": EARLIER})
    assert r.status_code == 304
    # A malformed If-None-Match is ignored, so the date decides.
    r = client.get("/doc", headers={"If-None-Match": "v2", "If-Modified-Since": LATER})
    assert r.status_code == 304


def test_only_the_validator_that_is_set_is_compared(
    versioned: responder.API, client: TestClient
) -> None:
    assert client.get("/tagged", headers={"If-Modified-Since": LATER}).status_code == 200
    assert client.get("/dated", headers={"If-None-Match": "*"}).status_code == 200
    assert client.put("/dated", headers={"If-Match": '"nope"'}).status_code == 200
    assert client.put("/tagged", headers={"If-Unmodified-Since": EARLIER}).status_code == 200


def test_a_stale_if_match_is_412_with_the_current_tag(
    versioned: responder.API, client: TestClient
) -> None:
    r = client.put("/doc", headers={"If-Match": '"v0"'})
    assert r.status_code == 412
    assert r.headers["etag"] == '"v1"'
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 412


@pytest.mark.parametrize(
    ("tag", "header", "status"),
    [
        ("v1", '"v1"', 200),
        ("v1", '"v0", "v1"', 200),
        ("v1", "*", 200),
        ("v1", 'W/"v1"', 412),  # strong comparison: a weak tag never matches
        ('W/"v1"', '"v1"', 412),
        ('W/"v1"', "*", 200),
        ("v1", "garbage", 200),  # not an entity-tag list: ignored
        ("v1", ', "v0"', 412),  # a leading empty element does not hide the tags after it
    ],
)
def test_if_match_uses_strong_comparison(
    versioned: responder.API, client: TestClient, tag: str, header: str, status: int
) -> None:
    r = client.put("/tagged", params={"tag": tag}, headers={"If-Match": header})
    assert r.status_code == status


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_preconditions_guard_every_unsafe_method(
    versioned: responder.API, client: TestClient, method: str
) -> None:
    r = client.request(method, "/doc", headers={"If-Match": '"v0"'})
    assert r.status_code == 412


def test_if_unmodified_since(versioned: responder.API, client: TestClient) -> None:
    stale = client.put("/dated", headers={"If-Unmodified-Since": EARLIER})
    assert stale.status_code == 412
    assert stale.headers["last-modified"] == MODIFIED_HTTP
    assert client.put("/dated", headers={"If-Unmodified-Since": MODIFIED_HTTP}).status_code == 200
    assert client.put("/dated", headers={"If-Unmodified-Since": "soon"}).status_code == 200


def test_if_unmodified_since_is_consulted_only_without_if_match(
    versioned: responder.API, client: TestClient
) -> None:
    both = {"If-Match": '"v1"', "If-Unmodified-Since": EARLIER}
    assert client.put("/doc", headers=both).status_code == 200
    assert client.put("/doc", headers={"If-Unmodified-Since": EARLIER}).status_code == 412


def test_if_none_match_on_a_write_is_412(versioned: responder.API, client: TestClient) -> None:
    assert client.put("/doc", headers={"If-None-Match": "*"}).status_code == 412
    assert client.post("/doc", headers={"If-None-Match": 'W/"v1"'}).status_code == 412
    assert client.put("/doc", headers={"If-None-Match": '"v2"'}).status_code == 200


def test_only_successful_responses_are_conditional(
    versioned: responder.API, client: TestClient
) -> None:
    r = client.get("/missing", headers={"If-None-Match": '"v1"'})
    assert r.status_code == 404
    assert r.text == "no such thing"


def test_a_file_response_is_conditional(
    api: responder.API, client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_bytes(b"abc")

    @api.route("/a")
    def a(req, resp):
        resp.file(tmp_path / "a.txt")

    first = client.get("/a")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get("/a", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/a", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/a", headers={"If-None-Match": '"other"'}).content == b"abc"


def test_an_explicit_validator_wins_over_the_files(
    api: responder.API, client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_bytes(b"abc")

    @api.route("/a")
    def a(req, resp):
        resp.etag = "mine"
        resp.file(tmp_path / "a.txt")

    assert client.get("/a").headers["etag"] == '"mine"'


def test_auto_etag_tags_get_responses(mode: str) -> None:
    api = responder.API(auto_etag=True)
    calls: list[str] = []

    @api.route("/report", methods=["GET", "POST"])
    def report(req, resp):
        calls.append(req.method)
        resp.media = {"rows": [1, 2, 3]}

    @api.route("/explicit")
    def explicit(req, resp):
        resp.etag = "chosen"
        resp.text = "body"

    @api.route("/stream")
    def stream(req, resp):
        resp.stream(iter([b"a", b"b"]))

    with api.test_client(mode=mode) as client:
        first = client.get("/report")
        etag = first.headers["etag"]
        assert etag.startswith('"') and len(etag) > 10
        assert client.get("/report").headers["etag"] == etag  # stable for the same bytes
        assert client.head("/report").headers["etag"] == etag
        again = client.get("/report", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert calls == ["GET", "GET", "HEAD", "GET"]  # it still runs: bandwidth, not compute
        assert "etag" not in client.post("/report").headers
        assert client.get("/explicit").headers["etag"] == '"chosen"'
        assert "etag" not in client.get("/stream").headers


def test_auto_etag_is_off_by_default(versioned: responder.API, client: TestClient) -> None:
    @versioned.route("/plain")
    def plain(req, resp):
        resp.text = "x"

    assert "etag" not in client.get("/plain").headers


def test_etag_values_are_quoted_once() -> None:
    assert format_etag("abc") == '"abc"'
    assert format_etag('"abc"') == '"abc"'
    assert format_etag('W/"abc"') == 'W/"abc"'
    for bad in ('a"b', "a b", "a\r\nX-Injected: 1"):
        with pytest.raises(ValueError, match="entity tag"):
            format_etag(bad)
    resp = responder.Response()
    resp.set_etag("abc", weak=True)
    assert resp.etag == 'W/"abc"'
    resp.etag = None
    assert resp.etag is None


def test_parse_etag_list() -> None:
    assert parse_etag_list('"a", W/"b"') == ['"a"', 'W/"b"']
    assert parse_etag_list(" * ") == ["*"]
    assert parse_etag_list("a, b") is None
    assert parse_etag_list('"a" "b"') is None
    assert parse_etag_list(', "a",, W/"b",') == ['"a"', 'W/"b"']
    assert parse_etag_list(",") is None
    assert parse_etag_list(None) is None


def test_cache_control_helper(api: responder.API, client: TestClient) -> None:
    @api.route("/cached")
    def cached(req, resp):
        resp.cache_control(public=True, max_age=3600, no_transform=True, private=False)
        resp.text = "ok"

    @api.route("/quoted")
    def quoted(req, resp):
        resp.cache_control(no_cache="Set-Cookie, X-Token", s_maxage=5)

    assert client.get("/cached").headers["cache-control"] == "public, max-age=3600, no-transform"
    assert (
        client.get("/quoted").headers["cache-control"]
        == 'no-cache="Set-Cookie, X-Token", s-maxage=5'
    )


def test_created_sets_status_location_and_body(api: responder.API, client: TestClient) -> None:
    @api.post("/items")
    def create(req, resp):
        resp.created({"id": 7}, location="/items/7")

    @api.post("/notes")
    def note(req, resp):
        resp.created("made")

    r = client.post("/items")
    assert r.status_code == 201
    assert r.headers["location"] == "/items/7"
    assert r.json() == {"id": 7}
    r = client.post("/notes")
    assert (r.status_code, r.text, "location" in r.headers) == (201, "made", False)


def test_no_content_drops_the_body(api: responder.API, client: TestClient) -> None:
    @api.delete("/items/{id:int}")
    def delete(req, resp, *, id):
        resp.media = {"deleted": id}
        resp.no_content()

    r = client.delete("/items/3")
    assert r.status_code == 204
    assert r.content == b""
    assert "content-type" not in r.headers


def test_problem_sends_problem_json(api: responder.API, client: TestClient) -> None:
    @api.post("/items")
    def reject(req, resp):
        resp.problem(409, "Item already exists", type="https://example.com/conflict", id=7)

    @api.get("/plain")
    def plain(req, resp):
        resp.problem(400)

    r = client.post("/items", headers={"Accept": "application/x-yaml"})
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json() == {
        "type": "https://example.com/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Item already exists",
        "id": 7,
        "instance": "/items",
    }
    assert client.get("/plain").json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "instance": "/plain",
    }


def test_problem_goes_through_the_problem_handler(mode: str) -> None:
    def enrich(req, problem):
        problem["trace"] = "t-1"

    api = responder.API(problem_handler=enrich)

    @api.get("/p")
    def p(req, resp):
        resp.problem(422, "bad")

    with api.test_client(mode=mode) as client:
        assert client.get("/p").json()["trace"] == "t-1"
