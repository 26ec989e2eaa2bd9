"""Property-based fuzzing of the HTTP semantics that interpret client input.

`test_fuzz_requests.py` shows that hostile requests never earn a 5xx. This
module asks more of the parts of HTTP whose answer the request fully decides:
byte ranges and preconditions on a file on disk, the path jail around a
served directory, and typed parameters (`Query`, `Header`, `Cookie`, body
models). For each, the strategies build inputs whose meaning is known by
construction (a range set, a tag list that names the current tag, a date one
second before `Last-Modified`, a query string of known pairs), so the test
can predict the answer from RFC 9110 or from a direct Pydantic coercion and
check the framework gives exactly that. Junk is mixed in everywhere; where a
value's meaning cannot be known, only the invariants are checked: no 5xx, no
traceback, headers that tell the truth about the body, and never a byte the
client should not get.

Every request goes through the WSGI face and the ASGI face of one
application, and the two answers must agree: one object serving both
protocols is the framework's promise.

Examples per property default to a quick run; set `FUZZ_EXAMPLES` for a
deeper one (`FUZZ_EXAMPLES=1500 pytest tests/test_fuzz_http_semantics.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import re
import urllib.parse
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fuzz_support import build, examples, send
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from raw_http import asgi_scope, call_asgi, call_wsgi, wsgi_environ

import responder
from responder import Cookie, Header, Query
from responder.adapters.testing import TestClient
from responder.ranges import MAX_RANGES

# As in test_fuzz_requests.py: hypothesis imports its patch writer only after a
# failure, and that import warns; under `-W error` the warning would hide the
# failure behind an INTERNALERROR.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "mypy_extensions", DeprecationWarning)
    with contextlib.suppress(ImportError):
        import hypothesis.extra._patching  # noqa: F401

MODES = ("wsgi", "asgi")
#: Visible ASCII and tab: a header value any HTTP stack carries unchanged (ends trimmed).
HEADER_CHARS = "".join(chr(c) for c in range(0x20, 0x7F)) + "\t"
PROBLEM_JSON = "application/problem+json"
FUZZ = settings(
    max_examples=examples(100),  # deeper: set FUZZ_EXAMPLES
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# -- the files on disk ------------------------------------------------------------------

#: 1.5 KiB of varied bytes: any slice of it is recognisable, and a wrong offset shows.
DATA = random.Random(20210304).randbytes(1536)
#: What lives outside the served directory; no response may ever contain it.
SECRET = b"SECRET-5d1c0f7e-jail-breach-marker"
#: 2021-03-04 05:06:07.25 UTC. The quarter second is deliberate: `Last-Modified`
#: carries whole seconds, and comparisons must use what the client was told.
MTIME_NS = 1_614_834_367_250_000_000
MODIFIED = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
#: Files inside the jail, by their path below it.
PUBLIC_FILES = {
    "data.bin": DATA,
    "empty.bin": b"",
    "notes.txt": b"plain notes\n",
    "sub/inner.txt": b"inner file\n",
    "spaced name.txt": b"a name with a space\n",
    "\u00fcnicode.txt": b"a name outside ASCII\n",
}
#: Routes that send `data.bin` (or the empty file), each through another code path.
RANGE_TARGETS = {
    "/file": "data.bin",
    "/afile": "data.bin",
    "/static/data.bin": "data.bin",
    "/files/data.bin": "data.bin",
    "/empty": "empty.bin",
}


class Order(BaseModel):
    """The body model of the POST routes: constraints of several kinds to break."""

    name: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1)
    price: float = Field(allow_inf_nan=False)
    tags: list[str] = []
    note: str | None = None
    gift: bool = False


def build_api(public: Path) -> responder.API:
    """Routes that send files, jail client-chosen paths, and read typed parameters."""
    api = responder.API(static_dir=public)
    data = public / "data.bin"

    @api.route("/file")
    def file(req: Any, resp: Any) -> None:
        resp.file(data)

    @api.route("/afile")
    async def afile(req: Any, resp: Any) -> None:
        # An odd chunk size puts chunk boundaries inside ranges.
        resp.stream_file(data, chunk_size=97)

    @api.route("/empty")
    def empty(req: Any, resp: Any) -> None:
        resp.file(public / "empty.bin")

    @api.route("/files/{name:path}")
    def files(req: Any, resp: Any, *, name: str) -> None:
        resp.file(name, root=public)

    @api.route("/download/{name:path}")
    async def download(req: Any, resp: Any, *, name: str) -> None:
        resp.download(name, root=public)

    @api.route("/by-query")
    def by_query(req: Any, resp: Any) -> None:
        resp.file(req.params.get("name", ""), root=public)

    @api.route("/typed", methods=["GET"])
    def typed(
        req: Any,
        resp: Any,
        *,
        q: int = Query(...),
        tags: list[str] = Query([]),
        limit: float = Query(1.5, ge=0, le=100),
        x_count: int = Header(0, ge=0),
        session: str = Cookie("anon", max_length=24),
    ) -> None:
        resp.media = {"q": q, "tags": tags, "limit": limit, "x_count": x_count, "session": session}

    @api.route("/atyped", methods=["GET"])
    async def atyped(
        req: Any,
        resp: Any,
        *,
        q: int = Query(...),
        tags: list[str] = Query([]),
        limit: float = Query(1.5, ge=0, le=100),
        x_count: int = Header(0, ge=0),
        session: str = Cookie("anon", max_length=24),
    ) -> None:
        resp.media = {"q": q, "tags": tags, "limit": limit, "x_count": x_count, "session": session}

    @api.route("/orders", methods=["POST"])
    def orders(req: Any, resp: Any, *, order: Order, dry_run: bool = Query(False)) -> None:
        resp.media = {"order": order.model_dump(mode="json"), "dry_run": dry_run}

    @api.route("/aorders", methods=["POST"])
    async def aorders(req: Any, resp: Any, *, order: Order, dry_run: bool = Query(False)) -> None:
        resp.media = {"order": order.model_dump(mode="json"), "dry_run": dry_run}

    return api


@dataclass
class Site:
    """The application under fuzz, its clients, and what is on disk around it."""

    api: responder.API
    clients: dict[str, TestClient]
    base: Path
    #: `ETag` and `Last-Modified` as the file routes send them, by file name.
    validators: dict[str, tuple[str, str]] = field(default_factory=dict)


def _make_tree(base: Path) -> Path:
    """The served directory, a secret beside it, and symlinks both ways."""
    public = base / "public"
    for name, content in PUBLIC_FILES.items():
        path = public / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.utime(path, ns=(MTIME_NS, MTIME_NS))
    (base / "secret.txt").write_bytes(SECRET)
    # A sibling whose name starts like the jail's: a prefix check would let it through.
    sibling = base / "public-sibling"
    sibling.mkdir()
    (sibling / "secret.txt").write_bytes(SECRET)
    (base / "public.secret").write_bytes(SECRET)
    (public / "leak.txt").symlink_to(base / "secret.txt")
    (public / "sub" / "up").symlink_to(base, target_is_directory=True)
    (public / "inside-link.bin").symlink_to(public / "data.bin")
    assert SECRET not in DATA
    return public


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One app over one directory tree, with a lenient client per protocol.

    Module scope keeps hypothesis fast; `raise_server_exceptions=False` turns a
    server error into a 500 the properties can see.
    """
    base = tmp_path_factory.mktemp("http-semantics")
    public = _make_tree(base)
    api = build_api(public)
    with (
        api.test_client(mode="wsgi", raise_server_exceptions=False) as wsgi,
        api.test_client(mode="asgi", raise_server_exceptions=False) as asgi,
    ):
        found = Site(api, {"wsgi": wsgi, "asgi": asgi}, base)
        for path in ("/file", "/empty"):
            head = wsgi.head(path)
            found.validators[RANGE_TARGETS[path]] = (
                head.headers["etag"],
                head.headers["last-modified"],
            )
        yield found


# -- sending ---------------------------------------------------------------------------


def both(site: Site, method: str, url: str, **kwargs: Any) -> dict[str, httpx.Response]:
    """The same request through both adapters, each answer checked for the basics."""
    answers = {}
    for mode in MODES:
        client = site.clients[mode]
        response = send(client, build(client, method, url, **kwargs))
        sane(mode, method, response)
        answers[mode] = response
    statuses = {mode: r.status_code for mode, r in answers.items()}
    assert statuses["wsgi"] == statuses["asgi"], f"{method} {url!r} {kwargs!r}: {statuses}"
    return answers


def sane(mode: str, method: str, response: httpx.Response) -> None:
    """What holds for any answer: no 5xx, no traceback, honest framing, readable problems."""
    status, body = response.status_code, response.content
    where = f"{mode} {method} {response.request.url!r} -> {status}: {body[:200]!r}"
    assert 200 <= status < 500, where
    assert b"Traceback" not in body and b'File "' not in body, where
    if method == "HEAD" or status == 304:
        assert body == b"", where
    elif "content-length" in response.headers:
        assert int(response.headers["content-length"]) == len(body), where
    if response.headers.get("content-type", "").startswith(PROBLEM_JSON) and method != "HEAD":
        problem = json.loads(body)
        assert problem["status"] == status, where
        if status == 422:
            assert isinstance(problem["errors"], list) and problem["errors"], where


# -- 1. ranges and preconditions on a file -----------------------------------------------

Span = tuple[int, int]  # (start, stop), stop exclusive
UNKNOWN = "unknown"  # a value whose meaning the test does not claim to know


@dataclass(frozen=True)
class Spec:
    """One range-spec as written, with what it means.

    `first`/`last` are None where the spec leaves them out; `valid` is False
    for text that is not a range-spec at all; `empty` marks the empty list
    element that `1#range-spec` lets a client write (`bytes=,0-1`).
    """

    text: str
    first: int | None = None
    last: int | None = None
    valid: bool = True
    empty: bool = False


@dataclass(frozen=True)
class RangeHeader:
    """A `Range` value built from parts, or raw text of unknown meaning (`unit_ok` None)."""

    text: str
    unit_ok: bool | None
    specs: tuple[Spec, ...] = ()


#: Positions around the file's edges, the 18-digit cut-off and past any integer type.
POSITIONS = st.one_of(
    st.integers(min_value=0, max_value=1600),
    st.sampled_from(
        (0, 1, 1535, 1536, 1537, 10**18 - 1, 10**18, 10**18 + 1, 2**63 - 1, 2**64, 10**30)
    ),
    st.integers(min_value=0, max_value=10**40),
)
#: Leading zeros are digits like any other: `007` is 7.
ZEROS = st.sampled_from(("", "", "", "0", "00", "0" * 25))
JUNK_SPECS = (
    "-", "1-2-3", "x-1", "1-x", "1 - 2", "+1-2", "0x10-0x20", "\u0661-\u0662", "1.5-2",
    "--1", "1--", "-1-", "\u00bd-1", "1-\u00b2", "1-2;",
)  # fmt: skip


def _int_range(zf: str, first: int, zl: str, last: int) -> Spec:
    return Spec(f"{zf}{first}-{zl}{last}", first, last)


def _int_range_from(zf: str, first: int, zl: str, length: int) -> Spec:
    return _int_range(zf, first, zl, first + length)


good_specs = st.one_of(
    # Ranges whose last-pos is at or after their first-pos, open ranges, suffixes.
    st.builds(_int_range_from, ZEROS, POSITIONS, ZEROS, st.integers(0, 400) | POSITIONS),
    st.builds(_int_range_from, ZEROS, POSITIONS, ZEROS, st.integers(0, 400)),
    st.builds(lambda z, first: Spec(f"{z}{first}-", first), ZEROS, POSITIONS),
    st.builds(lambda z, n: Spec(f"-{z}{n}", None, n), ZEROS, POSITIONS),
    st.builds(lambda z, n: Spec(f"-{z}{n}", None, n), ZEROS, st.integers(0, 1600)),
    st.just(Spec("", empty=True)),
)
#: With junk, and with two independent numbers (often a last-pos before the first-pos).
specs = st.one_of(
    good_specs,
    st.builds(_int_range, ZEROS, POSITIONS, ZEROS, POSITIONS),
    st.sampled_from(JUNK_SPECS).map(lambda t: Spec(t, valid=False)),
)
#: Separators the list rule allows: OWS around commas, and empty elements.
SEPARATORS = st.sampled_from((",", ", ", " ,", " , ", ",\t", ", ,", ",,"))
#: The range unit: mostly right, in any case (units ignore case), sometimes another.
UNITS = st.one_of(
    st.just(("bytes", True)),
    st.just(("bytes", True)),
    st.just(("bytes", True)),
    st.sampled_from((("Bytes", True), ("BYTES", True), ("bYtEs", True))),
    st.sampled_from(
        (("items", False), ("byte", False), ("bytes;q=1", False), ("none", False), ("", False))
    ),
    st.sampled_from(((" bytes", None), ("bytes ", None))),
)


@st.composite
def structured_ranges(draw: st.DrawFn) -> RangeHeader:
    """A range set from known specs: few, or past the limit; odd spacing in between."""
    unit, unit_ok = draw(UNITS)
    many = draw(st.booleans()) and draw(st.booleans())
    empty = not draw(st.integers(0, 15))
    count = 0 if empty else draw(st.integers(1, MAX_RANGES + 6 if many else 4))
    junk = draw(st.booleans()) and draw(st.booleans())
    drawn = draw(st.lists(specs if junk else good_specs, min_size=count, max_size=count))
    text = draw(st.sampled_from(("", ",", " ,", ", ")))
    for index, spec in enumerate(drawn):
        text += (draw(SEPARATORS) if index else "") + spec.text
    text += draw(st.sampled_from(("", "", ",", " ")))
    return RangeHeader(f"{unit}={text}", unit_ok, tuple(drawn))


def _many_ranges(count: int) -> RangeHeader:
    """`count` one-byte ranges with gaps between them: near, at and past the limit."""
    parts = tuple(Spec(f"{2 * i}-{2 * i}", 2 * i, 2 * i) for i in range(count))
    return RangeHeader("bytes=" + ",".join(spec.text for spec in parts), True, parts)


RANGE_TEXT_CHARS = "bytes=0123456789-, \t;*xX/"
ranges = st.one_of(
    structured_ranges(),
    structured_ranges(),
    structured_ranges(),
    st.text(alphabet=RANGE_TEXT_CHARS, max_size=40).map(lambda t: RangeHeader(t, None)),
    st.text(alphabet=RANGE_TEXT_CHARS, max_size=40).map(lambda t: RangeHeader("bytes=" + t, None)),
    st.integers(min_value=1, max_value=3 * MAX_RANGES).map(_many_ranges),
)


def satisfiable(header: RangeHeader, size: int) -> list[Span] | str | None:
    """What RFC 9110 §14 makes of `header` for `size` bytes.

    Returns:
        The satisfiable spans (empty: 416); None when the field must be
        ignored (another unit, an invalid set, more ranges than the
        documented limit); UNKNOWN for text built without known meaning.
    """
    if header.unit_ok is None:
        return UNKNOWN
    items = [spec for spec in header.specs if not spec.empty]
    if not header.unit_ok or not items or len(items) > MAX_RANGES:
        return None
    spans: list[Span] = []
    for spec in items:
        if not spec.valid:
            return None
        first, last = spec.first, spec.last
        if first is not None and last is not None and last < first:
            return None  # a last-pos before its first-pos invalidates the whole set
        if first is not None:
            stop = size if last is None else min(last + 1, size)
            if first < stop:
                spans.append((first, stop))
        elif last:
            spans.append((max(size - last, 0), size))
    return [span for span in spans if span[0] < span[1]]


def runs(spans: list[Span]) -> list[Span]:
    """The maximal runs of contiguous bytes the spans cover, in order."""
    merged: list[Span] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


@dataclass(frozen=True)
class TagList:
    """An `If-Match`/`If-None-Match` value built from kinds of tags.

    Kinds: `current` (the file's own tag), `weak` (it, marked weak), `other`,
    `weak-other`, `star`, and malformed ones: `bare` (unquoted), `open`
    (unterminated), `lower-w` (`w/` instead of `W/`).
    """

    kinds: tuple[str, ...]
    separators: tuple[str, ...]
    lead: str
    trail: str

    WELL_FORMED = ("current", "weak", "other", "weak-other")

    def render(self, etag: str) -> str:
        forms = {
            "current": etag,
            "weak": "W/" + etag,
            "other": '"not-the-tag"',
            "weak-other": 'W/"also-not"',
            "star": "*",
            "bare": etag.strip('"'),
            "open": etag[:-1],
            "lower-w": "w/" + etag,
        }
        text = self.lead
        for index, kind in enumerate(self.kinds):
            text += (self.separators[index - 1] if index else "") + forms[kind]
        return text + self.trail

    def valid(self) -> bool:
        """Whether RFC 9110 reads it as a list; an invalid field is ignored."""
        if self.kinds == ("star",):
            return not (self.lead.strip() or self.trail.strip())
        return bool(self.kinds) and all(kind in self.WELL_FORMED for kind in self.kinds)

    def weak_match(self) -> str:
        """`If-None-Match`: ignore, or whether the current tag is listed (weakly)."""
        if not self.valid():
            return "ignore"
        return "match" if {"current", "weak", "star"} & set(self.kinds) else "miss"

    def strong_match(self) -> str:
        """`If-Match`: ignore, or whether the current tag is listed (strongly)."""
        if not self.valid():
            return "ignore"
        return "match" if {"current", "star"} & set(self.kinds) else "miss"


tag_lists = st.builds(
    TagList,
    st.one_of(
        st.just(("star",)),
        st.lists(
            st.sampled_from(
                ("current", "weak", "other", "weak-other", "star", "bare", "open", "lower-w")
            ),
            max_size=4,
        ).map(tuple),
    ),
    st.lists(SEPARATORS, min_size=4, max_size=4).map(tuple),
    st.sampled_from(("", "", " ", "\t", ",", ", ", " , ")),
    st.sampled_from(("", "", " ", ",", ", ")),
)

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class DateValue:
    """An HTTP-date `offset` seconds from `Last-Modified`, in one of RFC 9110's formats."""

    offset: int
    style: str  # imf | rfc850 | asctime

    @property
    def moment(self) -> datetime:
        return MODIFIED + timedelta(seconds=self.offset)

    def render(self) -> str:
        at = self.moment
        clock = f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}"
        month = MONTHS[at.month - 1]
        if self.style == "rfc850":
            return f"{DAYS[at.weekday()]}, {at.day:02d}-{month}-{at.year % 100:02d} {clock} GMT"
        if self.style == "asctime":
            return f"{DAYS[at.weekday()][:3]} {month} {at.day:2d} {clock} {at.year}"
        return f"{DAYS[at.weekday()][:3]}, {at.day:02d} {month} {at.year} {clock} GMT"


YEAR = 365 * 24 * 3600
dates = st.builds(
    DateValue,
    st.one_of(
        st.sampled_from((0, 0, -1, 1, -3600, 3600)),
        st.integers(min_value=-20 * YEAR, max_value=20 * YEAR),
    ),
    st.sampled_from(("imf", "imf", "rfc850", "asctime")),
)
JUNK_DATES = (
    "", "yesterday", "0", "-1", "\t",
    "Thu, 32 Mar 2021 05:06:07 GMT",
    "Thu, 04 Mar 2021 25:06:07 GMT",
    "Thu, 04 Mar 99999 05:06:07 GMT",
    "Thu, 04 Mar 2021 05:06:07 +0100",
)  # fmt: skip
#: A conditional header: absent, known parts, known junk, or random text.
Cond = TagList | DateValue | str | None
tag_headers = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    tag_lists,
    tag_lists,
    st.text(alphabet='W/"*, \t-abc0123456789', max_size=30),
)
date_headers = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    dates,
    dates,
    st.sampled_from(JUNK_DATES),
    st.text(alphabet=HEADER_CHARS, max_size=30),
)
IF_RANGE_JUNK = ("", "garbage", "W/", '"', "*", 'W/"x"', '"stale"')
if_ranges = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    st.none(),
    st.sampled_from(("current", "weak", "modified")),
    dates,
    st.sampled_from(IF_RANGE_JUNK),
    st.text(alphabet=HEADER_CHARS, max_size=30),
)


def _render(value: Cond | str, etag: str, modified: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, TagList):
        return value.render(etag)
    if isinstance(value, DateValue):
        return value.render()
    return {"current": etag, "weak": "W/" + etag, "modified": modified}.get(value, value)


def _date_meaning(value: Cond) -> str:
    """For `If-(Un)Modified-Since`: absent, or whether the date is at or after the stamp."""
    if value is None:
        return "absent"
    if isinstance(value, DateValue):
        return "match" if value.offset >= 0 else "miss"
    return UNKNOWN  # junk usually does not parse, but the test does not claim to know


def _tag_meaning(value: Cond, *, strong: bool) -> str:
    if value is None:
        return "absent"
    if isinstance(value, TagList):
        return value.strong_match() if strong else value.weak_match()
    return UNKNOWN


def _safe_outcome(inm: Cond, ims: Cond) -> int | str | None:
    """GET/HEAD: 304 or go on (None), per RFC 9110 §13.2.2 steps 3-4."""
    none_match = _tag_meaning(inm, strong=False)
    if none_match == UNKNOWN:
        return UNKNOWN
    if none_match == "match":
        return 304
    if none_match == "miss":
        return None  # If-Modified-Since is not read when If-None-Match is
    since = _date_meaning(ims)
    if since == UNKNOWN:
        return UNKNOWN
    return 304 if since == "match" else None


def _unsafe_outcome(inm: Cond, im: Cond, ius: Cond) -> int | str | None:
    """Other methods: 412 or go on (None), per RFC 9110 §13.2.2 steps 1-3."""
    if_match = _tag_meaning(im, strong=True)
    if if_match == UNKNOWN:
        return UNKNOWN
    if if_match == "miss":
        return 412
    if if_match in ("absent", "ignore"):
        unmodified = _date_meaning(ius)
        if unmodified == UNKNOWN:
            return UNKNOWN
        if unmodified == "miss":
            return 412
    none_match = _tag_meaning(inm, strong=False)
    if none_match == UNKNOWN:
        return UNKNOWN
    return 412 if none_match == "match" else None


def _if_range_holds(value: str | DateValue | None) -> bool | str:
    """Whether `If-Range` lets the range apply: only the exact, strong validator does."""
    if value is None or value == "current" or value == "modified":
        return True
    if isinstance(value, DateValue):
        return value.offset == 0
    if value in ("weak", *IF_RANGE_JUNK):
        return False
    return UNKNOWN


@dataclass
class Expected:
    """The predicted status (None: not predicted) and, for a 206, the spans."""

    statuses: set[int] | None
    spans: list[Span] | None = None


def predict(
    method: str,
    size: int,
    range_header: RangeHeader | None,
    if_range: str | DateValue | None,
    conds: dict[str, Cond],
) -> Expected:
    """The answer RFC 9110 (and the documented choices) gives to this request."""
    if method not in ("GET", "HEAD"):
        outcome = _unsafe_outcome(
            conds["If-None-Match"], conds["If-Match"], conds["If-Unmodified-Since"]
        )
        if outcome == UNKNOWN:
            return Expected(None)
        return Expected({412} if outcome == 412 else {200})
    outcome = _safe_outcome(conds["If-None-Match"], conds["If-Modified-Since"])
    # If-Match and If-Unmodified-Since guard writes only: the spec has them evaluated
    # on "anything but GET/HEAD" (docs/conditional-requests.md says the same), so a
    # read never answers 412, whatever they hold.
    if outcome == UNKNOWN:
        return Expected(None)
    if outcome == 304:
        return Expected({304})
    if range_header is None:
        return Expected({200})
    holds = _if_range_holds(if_range)
    if holds == UNKNOWN:
        return Expected(None)
    if not holds:
        return Expected({200})
    spans = satisfiable(range_header, size)
    if spans == UNKNOWN:
        return Expected(None)
    if spans is None:
        return Expected({200})
    assert not isinstance(spans, str)
    if size == 0:
        # RFC 9110 counts a suffix range as satisfiable on an empty file, yet no
        # Content-Range can describe zero bytes: 200 and 416 are both fair.
        return Expected({200, 416})
    return Expected({206} if spans else {416}, spans)


CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def byteranges(response: httpx.Response, size: int) -> list[tuple[Span, bytes]]:
    """Split a multipart/byteranges body by its own framing: ((start, stop), data) per part."""
    media_type = response.headers["content-type"]
    match = re.fullmatch(
        r"multipart/byteranges; boundary=([0-9A-Za-z'()+_,./:=?-]{1,70})", media_type
    )
    assert match, media_type
    delimiter = b"--" + match.group(1).encode()
    body, at, parts = response.content, 0, []
    while True:
        assert body.startswith(delimiter, at), (at, body[at : at + 80])
        at += len(delimiter)
        if body[at:] == b"--\r\n":
            return parts
        assert body.startswith(b"\r\n", at), body[at : at + 80]
        end = body.index(b"\r\n\r\n", at)
        fields = dict(
            line.split(": ", 1) for line in body[at + 2 : end].decode("latin-1").split("\r\n")
        )
        found = CONTENT_RANGE.fullmatch(fields["Content-Range"])
        assert found and int(found.group(3)) == size, fields
        start, stop = int(found.group(1)), int(found.group(2)) + 1
        at = end + 4
        parts.append(((start, stop), body[at : at + stop - start]))
        at += stop - start
        assert body.startswith(b"\r\n", at), body[at : at + 80]
        at += 2


def check_file_answer(
    mode: str, method: str, response: httpx.Response, content: bytes, expected: Expected
) -> Any:
    """Check one answer from a file route; return what must be the same in both modes."""
    status, body, headers = response.status_code, response.content, response.headers
    size = len(content)
    where = f"{mode} {method} {dict(response.request.headers)!r} -> {status} {dict(headers)!r}"
    if expected.statuses is not None:
        assert status in expected.statuses, where
    assert status in (200, 206, 304, 412, 416), where
    if status in (200, 206):
        assert headers["accept-ranges"] == "bytes", where
    if status == 200:
        assert headers["content-length"] == str(size), where
        assert method == "HEAD" or body == content, where
        return None
    if status == 304:
        assert body == b"" and "content-range" not in headers, where
        return None
    if status in (412, 416):
        assert headers["content-type"] == PROBLEM_JSON, where
        if status == 416:
            assert headers["content-range"] == f"bytes */{size}", where
        return None
    if "content-range" in headers:  # one range
        found = CONTENT_RANGE.fullmatch(headers["content-range"])
        assert found and int(found.group(3)) == size, where
        start, stop = int(found.group(1)), int(found.group(2)) + 1
        assert 0 <= start < stop <= size, where
        assert headers["content-length"] == str(stop - start), where
        assert method == "HEAD" or body == content[start:stop], where
        got = [(start, stop)]
    else:
        assert method == "HEAD" or len(body) == int(headers["content-length"]), where
        if method == "HEAD":
            return headers["content-length"]
        parts = byteranges(response, size)
        assert len(parts) >= 2, where
        for (start, stop), data in parts:
            assert 0 <= start < stop <= size and data == content[start:stop], where
        got = [span for span, _ in parts]
        assert runs(got) == sorted(got), f"{where}: parts overlap or touch: {got}"
    if expected.spans is not None:
        assert runs(got) == runs(expected.spans), f"{where}: {got} for {expected.spans}"
        if len(got) > 1 and runs(expected.spans) == sorted(expected.spans):
            assert got == expected.spans, f"{where}: parts out of the client's order"
    return got


@FUZZ
@given(
    target=st.sampled_from(sorted(RANGE_TARGETS)),
    method=st.sampled_from(("GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE")),
    range_header=st.one_of(st.none(), ranges, ranges, ranges),
    if_range=if_ranges,
    inm=tag_headers,
    im=tag_headers,
    ims=date_headers,
    ius=date_headers,
)
def test_ranges_and_preconditions_on_files(
    site: Site,
    target: str,
    method: str,
    range_header: RangeHeader | None,
    if_range: str | DateValue | None,
    inm: Cond,
    im: Cond,
    ims: Cond,
    ius: Cond,
) -> None:
    """Hostile and well-formed `Range`/`If-*` fields get exactly the RFC's answer.

    The answer is predicted from what each field means; the file routes cover
    a sync handler, an async one streaming in odd chunks, the static route,
    a jailed path route and an empty file.
    """
    name = RANGE_TARGETS[target]
    content = PUBLIC_FILES[name]
    if target.startswith("/static/") and method not in ("GET", "HEAD"):
        method = "GET"  # the static route serves GET and HEAD only (405 is tested elsewhere)
    etag, modified = site.validators[name]
    conds: dict[str, Cond] = {
        "If-None-Match": inm,
        "If-Match": im,
        "If-Modified-Since": ims,
        "If-Unmodified-Since": ius,
    }
    headers = {
        field_name: text
        for field_name, value in (
            *conds.items(),
            ("If-Range", if_range),
            ("Range", range_header.text if range_header else None),
        )
        if (text := _render(value, etag, modified)) is not None
    }
    expected = predict(method, len(content), range_header, if_range, conds)
    event(f"predicted {sorted(expected.statuses) if expected.statuses else 'nothing'}")
    if range_header is not None and method == "GET":
        spans = satisfiable(range_header, len(content))
        event(f"range {spans if spans in (None, UNKNOWN) else len(spans)}")
    answers = both(site, method, target, headers=headers)
    seen = {
        mode: check_file_answer(mode, method, answer, content, expected)
        for mode, answer in answers.items()
    }
    assert seen["wsgi"] == seen["asgi"], f"{method} {target} {headers!r}: {seen}"


# -- 2. the path jail --------------------------------------------------------------------

JAIL_SEGMENTS = (
    # dot segments, however spelled or encoded (twice, overlong UTF-8, look-alikes)
    "..", ".", "", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "..%2f", "..%5c",
    "..\\", "\\..", "%c0%ae%c0%ae", "%e0%80%ae%e0%80%ae", "\u2025", "\uff0e\uff0e",
    "\u2024\u2024",
    # NUL, names outside the jail and symlinks out of it, drive letters, separators
    "%00", "\x00", "secret.txt", "public-sibling", "public.secret", "public", "leak.txt",
    "sub", "up", "inner.txt", "data.bin", "inside-link.bin", "etc", "passwd", "~", "C:",
    "C:\\", "//", "%2f", "%5c", ";", "?", "#", "%3f", "%23",
)  # fmt: skip
JOINERS = ("/", "/", "/", "//", "%2f", "%2F", "\\", "%5c", "/./")
jail_segments = st.one_of(
    st.sampled_from(JAIL_SEGMENTS),
    st.sampled_from(JAIL_SEGMENTS),
    st.text(alphabet="./\\%25e2fc0a", max_size=8),
    st.builds(lambda n: "a" * n, st.integers(min_value=200, max_value=5000)),
    st.text(max_size=6),
)


@st.composite
def jail_paths(draw: st.DrawFn) -> str:
    """A client-chosen path: dot segments however encoded, separators, names from outside."""
    parts = draw(st.lists(jail_segments, min_size=1, max_size=7))
    text = parts[0]
    for part in parts[1:]:
        text += draw(st.sampled_from(JOINERS)) + part
    return draw(st.sampled_from(("", "", "/", "%2f", "\\"))) + text


ABSOLUTE = ("{base}/secret.txt", "{base}/public/../secret.txt", "{base}/public/data.bin")
#: Names inside the jail, spelled oddly but harmlessly, and the file each one is:
#: a jail that refuses these is broken too, only in the other direction.
INSIDE = {
    "data.bin": "data.bin",
    "./data.bin": "data.bin",
    "sub/inner.txt": "sub/inner.txt",
    "sub//inner.txt": "sub/inner.txt",
    "sub/./inner.txt": "sub/inner.txt",
    "inside-link.bin": "data.bin",
    "notes.txt": "notes.txt",
    "spaced name.txt": "spaced name.txt",
    "\u00fcnicode.txt": "\u00fcnicode.txt",
    "empty.bin": "empty.bin",
}
hostile_paths = st.one_of(jail_paths(), jail_paths(), st.sampled_from(ABSOLUTE + tuple(INSIDE)))
JAIL_PREFIXES = ("/static/", "/files/", "/download/", "/by-query?name=")


def check_jail(where: str, method: str, path: str, status: int, body: bytes) -> None:
    """Nothing from outside the jail; a 200 is one whole file inside it; inside names work."""
    assert status in (200, 301, 302, 307, 308, 400, 404, 405), where
    assert SECRET not in body, where
    if path in INSIDE:
        assert status == 200, where
        assert method == "HEAD" or body == PUBLIC_FILES[INSIDE[path]], where
    elif status == 200 and method == "GET":
        assert body in PUBLIC_FILES.values(), where


@FUZZ
@given(
    prefix=st.sampled_from(JAIL_PREFIXES),
    path=hostile_paths,
    encode=st.booleans(),
    method=st.sampled_from(("GET", "GET", "HEAD")),
)
def test_path_jail_holds(site: Site, prefix: str, path: str, encode: bool, method: str) -> None:
    """Hostile paths through the static route, path parameters and a query parameter.

    httpx resolves literal `..` segments before sending; encoded ones, and
    anything in a query string, reach the application as written.
    """
    sent = path.replace("{base}", str(site.base))
    if encode:
        sent = urllib.parse.quote(sent, safe="/")
    answers = both(site, method, prefix + sent)
    event(f"status {answers['wsgi'].status_code}")
    for mode, response in answers.items():
        where = f"{mode} {method} {prefix + sent!r} -> {response.status_code}"
        check_jail(where, method, path, response.status_code, response.content)
    assert answers["wsgi"].content == answers["asgi"].content


def _environ(method: str, raw_path: bytes) -> dict[str, Any]:
    """The environ a WSGI server builds for `raw_path`: decoded bytes as latin-1."""
    path, _, query = raw_path.partition(b"?")
    return wsgi_environ(
        method,
        urllib.parse.unquote_to_bytes(path).decode("latin-1"),
        query=query.decode("latin-1"),
        HTTP_HOST="testserver",
    )


def _scope(method: str, raw_path: bytes) -> dict[str, Any]:
    """The scope an ASGI server builds for `raw_path`, decoding the path as UTF-8."""
    path, _, query = raw_path.partition(b"?")
    decoded = urllib.parse.unquote_to_bytes(path).decode("utf-8", "replace")
    return asgi_scope(method, decoded, raw_path=path, query=query)


@pytest.fixture(scope="module")
def raw_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[responder.API, Path]]:
    """A second app over its own tree, driven without an HTTP client in between."""
    base = tmp_path_factory.mktemp("raw-jail")
    api = build_api(_make_tree(base))
    with api.wsgi_lifespan():
        yield api, base


@FUZZ
@given(
    prefix=st.sampled_from(JAIL_PREFIXES),
    path=hostile_paths,
    method=st.sampled_from(("GET", "HEAD")),
)
def test_path_jail_holds_for_raw_paths(
    raw_site: tuple[responder.API, Path],
    loop: asyncio.AbstractEventLoop,
    prefix: str,
    path: str,
    method: str,
) -> None:
    """Literal `../`, NUL and non-ASCII bytes, as a server passes them on unresolved.

    Servers such as gunicorn and uvicorn do not resolve dot segments, so the
    jail, not the client, must stop `/static/../secret.txt`.
    """
    api, base = raw_site
    raw = (prefix + path.replace("{base}", str(base))).encode("utf-8", "surrogateescape")
    raw = raw.replace(b" ", b"%20").replace(b"#", b"%23")
    if prefix.startswith("/by-query"):
        head, _, rest = raw.partition(b"?")
        raw = head + b"?" + rest.replace(b"?", b"%3F")
    results = {
        "wsgi": call_wsgi(api, _environ(method, raw)),
        "asgi": call_asgi(api, loop, _scope(method, raw)),
    }
    for mode, (status, body) in results.items():
        check_jail(
            f"{mode} {method} {raw!r} -> {status}: {body[:120]!r}", method, path, status, body
        )
    assert results["wsgi"][0] == results["asgi"][0], f"{raw!r}: {results}"
    event(f"status {results['wsgi'][0]}")


# -- 3. typed markers and body models ----------------------------------------------------

#: The coercions the handlers declare, rebuilt independently as the oracle.
ORACLE_Q = TypeAdapter(int)
ORACLE_TAGS = TypeAdapter(list[str])
ORACLE_LIMIT: TypeAdapter[float] = TypeAdapter(Annotated[float, Field(ge=0, le=100)])
ORACLE_COUNT: TypeAdapter[int] = TypeAdapter(Annotated[int, Field(ge=0)])
ORACLE_SESSION: TypeAdapter[str] = TypeAdapter(Annotated[str, Field(max_length=24)])
ORACLE_DRY_RUN = TypeAdapter(bool)

NUMBERISH = st.one_of(
    st.integers().map(str),
    st.floats().map(str),
    st.sampled_from((
        "", " ", "0", "-0", "+7", " 7 ", "1_000", "0x10", "1e2", "1.0", "1.5", "nan", "-inf",
        "Infinity", "\u0665", "\uff15", "100.0000000001", "9" * 4300, "9" * 4301,
    )),
    st.builds(lambda n: "1" + "0" * n, st.integers(min_value=15, max_value=30)),
)  # fmt: skip
QUERY_KEYS = st.sampled_from(("q", "q", "tags", "tags", "limit", "other", "Q", "q ", "tags[]"))
#: Values that fit each key, so that a valid request is common enough to check echoes.
FITTING = {
    "q": st.integers().map(str),
    "tags": st.text(max_size=8),
    "limit": st.floats(min_value=0, max_value=100).map(str),
}
query_pairs = st.lists(
    st.one_of(
        st.tuples(QUERY_KEYS, st.one_of(NUMBERISH, st.text(max_size=12))),
        *(st.tuples(st.just(key), value) for key, value in FITTING.items()),
        st.tuples(st.just("q"), st.integers().map(str)),
    ),
    max_size=8,
).map(lambda pairs: pairs if any(k == "q" for k, _ in pairs) else [("q", "0"), *pairs])
#: cookie-octet (RFC 6265) minus `%`: values a Cookie header carries verbatim.
COOKIE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\%')


def _first(pairs: list[tuple[str, str]], key: str) -> str | None:
    return next((value for name, value in pairs if name == key), None)


def _coerce(adapter: TypeAdapter[Any], raw: Any, loc: tuple[str, str], out: dict[str, Any]) -> Any:
    """Validate one raw value; record its location in `out["failed"]` when it fails."""
    try:
        return adapter.validate_python(raw)
    except ValidationError:
        out["failed"].add(loc)
        return None


def predict_markers(
    pairs: list[tuple[str, str]], count: str | None, session: str | None
) -> dict[str, Any]:
    """What the typed route must echo, or which locations must be in its 422."""
    out: dict[str, Any] = {"failed": set()}
    q = _first(pairs, "q")
    if q is None:
        out["failed"].add(("query", "q"))
    else:
        out["q"] = _coerce(ORACLE_Q, q, ("query", "q"), out)
    tags = [value for name, value in pairs if name == "tags"]
    out["tags"] = _coerce(ORACLE_TAGS, tags, ("query", "tags"), out)
    limit = _first(pairs, "limit")
    out["limit"] = 1.5 if limit is None else _coerce(ORACLE_LIMIT, limit, ("query", "limit"), out)
    out["x_count"] = (
        0 if count is None else _coerce(ORACLE_COUNT, count, ("header", "x-count"), out)
    )
    out["session"] = (
        "anon" if session is None else _coerce(ORACLE_SESSION, session, ("cookie", "session"), out)
    )
    return out


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] == "Unprocessable Entity"
    errors: list[dict[str, Any]] = problem["errors"]
    for error in errors:
        assert {"type", "loc", "msg"} <= error.keys(), error
    return errors


@FUZZ
@given(
    path=st.sampled_from(("/typed", "/atyped")),
    pairs=query_pairs,
    count=st.one_of(st.none(), NUMBERISH, st.text(alphabet=HEADER_CHARS, max_size=12)),
    session=st.one_of(st.none(), st.text(alphabet=COOKIE_CHARS, max_size=30)),
    other_cookies=st.booleans(),
)
def test_typed_markers_coerce_like_pydantic(
    site: Site,
    path: str,
    pairs: list[tuple[str, str]],
    count: str | None,
    session: str | None,
    other_cookies: bool,
) -> None:
    """Well-encoded, hostile values: exactly Pydantic's coercion, or a 422 naming each refusal.

    The query string is built from known pairs, so which value counts (the
    first of a repeated key, all of them for a list) is known too.
    """
    if count is not None:
        count = count.strip(" \t")  # what a server hands on: the field value without OWS
    headers: dict[str, str] = {}
    if count is not None:
        headers["X-Count"] = count
    if session is not None:
        cookie = f"session={session}"
        headers["Cookie"] = f"a=1; {cookie}; z=2" if other_cookies else cookie
    query = urllib.parse.urlencode(pairs)
    predicted = predict_markers(pairs, count, session)
    answers = both(site, "GET", f"{path}?{query}", headers=headers)
    event(f"status {answers['wsgi'].status_code}")
    documents = {}
    for mode, response in answers.items():
        where = (
            f"{mode} {path}?{query} {headers!r} -> {response.status_code}: {response.text[:300]}"
        )
        if predicted["failed"]:
            assert response.status_code == 422, where
            errors = _errors(response)
            assert {tuple(e["loc"]) for e in errors} == predicted["failed"], where
            documents[mode] = errors
        else:
            assert response.status_code == 200, where
            echoed = response.json()
            wanted = {key: predicted[key] for key in echoed}
            assert echoed == wanted and echoed.keys() == predicted.keys() - {"failed"}, where
            documents[mode] = echoed
    assert documents["wsgi"] == documents["asgi"]


def _check_typed_echo(where: str, echoed: dict[str, Any]) -> None:
    """A 200 from the typed routes holds values of the declared types and bounds."""
    assert isinstance(echoed["q"], int) and not isinstance(echoed["q"], bool), where
    assert isinstance(echoed["tags"], list), where
    assert all(isinstance(tag, str) for tag in echoed["tags"]), where
    limit = echoed["limit"]
    assert isinstance(limit, float | int) and math.isfinite(limit), where
    assert 0 <= limit <= 100, where
    assert isinstance(echoed["x_count"], int) and echoed["x_count"] >= 0, where
    assert isinstance(echoed["session"], str) and len(echoed["session"]) <= 24, where


RAW_QUERY_PIECES = ("q=", "q=1", "&", "=", "tags=", "limit=", "%", "%zz", "%00", "%ff", "+", ";")


@FUZZ
@given(
    path=st.sampled_from(("/typed", "/atyped")),
    query=st.one_of(
        st.text(max_size=40),
        st.lists(st.sampled_from(RAW_QUERY_PIECES + tuple("19.-e")), max_size=12).map("".join),
        st.text(max_size=40).map(lambda junk: f"q=1&{junk}"),
        st.text(alphabet=HEADER_CHARS, max_size=40).map(lambda junk: f"{junk}&q=2"),
    ),
    count=st.one_of(st.none(), st.none(), st.text(alphabet=HEADER_CHARS, max_size=30)),
    cookie=st.one_of(
        st.none(),
        st.none(),
        st.text(alphabet=HEADER_CHARS, max_size=40),
        st.lists(
            st.sampled_from(('session="', '"', "session=", ";", "=", "\\", "x", " ", ",")),
            max_size=10,
        ).map("".join),
    ),
)
def test_hostile_marker_inputs(
    site: Site, path: str, query: str, count: str | None, cookie: str | None
) -> None:
    """Raw query strings, header and cookie text: 200 with well-typed values, or a 422."""
    headers = {
        name: value for name, value in (("X-Count", count), ("Cookie", cookie)) if value is not None
    }
    answers = both(site, "GET", f"{path}?{query}", headers=headers)
    event(f"status {answers['wsgi'].status_code}")
    bodies = {}
    for mode, response in answers.items():
        where = (
            f"{mode} {path}?{query!r} {headers!r} -> {response.status_code}: {response.text[:300]}"
        )
        assert response.status_code in (200, 422), where
        if response.status_code == 200:
            _check_typed_echo(where, response.json())
            bodies[mode] = response.json()
        else:
            bodies[mode] = _errors(response)
    assert bodies["wsgi"] == bodies["asgi"]


#: JSON values that fit, nearly fit or do not fit each field of `Order`.
field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=45),
    NUMBERISH,
    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
valid_orders = st.fixed_dictionaries(
    {
        "name": st.text(min_size=1, max_size=40),
        "quantity": st.integers(min_value=1),
        "price": st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
    },
    optional={
        "tags": st.lists(st.text(max_size=6), max_size=3),
        "note": st.none() | st.text(max_size=10),
        "gift": st.booleans(),
    },
)
order_documents = st.one_of(
    valid_orders,
    valid_orders,
    st.fixed_dictionaries(
        {"name": st.text(min_size=1, max_size=40), "quantity": st.integers(min_value=1)},
        optional={
            "price": field_values,
            "tags": field_values,
            "note": field_values,
            "gift": field_values,
            "extra": field_values,
        },
    ),
    st.dictionaries(
        st.sampled_from(("name", "quantity", "price", "tags", "note", "gift", "extra")),
        field_values,
        max_size=7,
    ),
    st.lists(st.integers(), max_size=3),
    st.text(max_size=10),
    st.none(),
)


@FUZZ
@given(
    path=st.sampled_from(("/orders", "/aorders")),
    document=order_documents,
    dry_run=st.one_of(st.none(), NUMBERISH, st.sampled_from(("true", "off", "yes", "1", "2"))),
)
def test_body_model_validates_like_pydantic(
    site: Site, path: str, document: Any, dry_run: str | None
) -> None:
    """A JSON body is validated exactly as `Order.model_validate` would, query included."""
    body = json.dumps(document, allow_nan=False).encode()
    url = path if dry_run is None else f"{path}?{urllib.parse.urlencode({'dry_run': dry_run})}"
    failed: set[tuple[str, ...]] = set()
    expected: dict[str, Any] = {}
    if not isinstance(document, dict):
        failed.add(("body",))
    else:
        try:
            expected["order"] = Order.model_validate(document).model_dump(mode="json")
        except ValidationError as exc:
            failed |= {("body", *map(str, e["loc"])) for e in exc.errors()}
    try:
        expected["dry_run"] = False if dry_run is None else ORACLE_DRY_RUN.validate_python(dry_run)
    except ValidationError:
        failed.add(("query", "dry_run"))
    answers = both(site, "POST", url, content=body, headers={"Content-Type": "application/json"})
    event(f"status {answers['wsgi'].status_code}")
    documents = {}
    for mode, response in answers.items():
        where = f"{mode} POST {url} {body[:200]!r} -> {response.status_code}: {response.text[:300]}"
        if failed:
            assert response.status_code == 422, where
            errors = _errors(response)
            assert {tuple(map(str, e["loc"])) for e in errors} == failed, where
            documents[mode] = errors
        else:
            assert response.status_code == 200, where
            assert response.json() == expected, where
            documents[mode] = response.json()
    assert documents["wsgi"] == documents["asgi"]


@FUZZ
@given(
    path=st.sampled_from(("/orders", "/aorders")),
    body=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=100).map(str.encode),
        st.sampled_from(
            (
                b'{"name": "a", "quantity": NaN, "price": 1}',
                b'{"name": "a", "quantity": 1, "price": 1e400}',
                b'{"name": "a", "quantity": 1, "price": Infinity}',
                b'{"name": "\\ud800", "quantity": 1, "price": 1}',
                b'{"name": "a", "quantity": 1, "price": 1, "name": ""}',
                b'{"name": "a", "quantity": 1.5, "price": 1}',
                b'{"name": "a", "quantity": "1", "price": "1"}',
                b'{"name": 1, "quantity": true, "price": false}',
                b"[" * 300 + b"]" * 300,
                b'{"a":' * 300 + b"1" + b"}" * 300,
            )
        ),
    ),
    content_type=st.sampled_from(
        (
            "application/json",
            "application/json; charset=utf-8",
            "application/problem+json",
            "application/x-www-form-urlencoded",
            "application/yaml",
            "application/x-msgpack",
            "text/plain",
            "",
        )
    ),
)
def test_hostile_bodies_for_a_model(site: Site, path: str, body: bytes, content_type: str) -> None:
    """Junk bytes under any declared type: a 4xx problem, or a 200 echoing a valid order.

    The lone surrogate, duplicate keys, NaN, 1e400 and deep nesting are the
    places where JSON decoders disagree; both adapters must still agree.
    """
    answers = both(site, "POST", path, content=body, headers={"Content-Type": content_type})
    event(f"status {answers['wsgi'].status_code}")
    for mode, response in answers.items():
        where = f"{mode} POST {path} {content_type!r} {body[:120]!r} -> {response.status_code}"
        assert response.status_code in (200, 400, 413, 415, 422), where
        if response.status_code == 200:
            order = Order.model_validate(response.json()["order"])
            assert response.json()["order"] == order.model_dump(mode="json"), where
        else:
            assert response.headers["content-type"] == PROBLEM_JSON, where
    assert answers["wsgi"].content == answers["asgi"].content
