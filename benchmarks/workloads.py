"""The requests every framework must serve, and what a correct answer looks like.

A workload describes one HTTP exchange independently of any framework, so the
WSGI and ASGI drivers can both build their native request from it and every
contender is held to the same expected response. To add a workload, append a
``Workload`` to ``WORKLOADS`` and register a matching route in every app in
``peers.py`` and ``apps.py``; the sanity check will refuse to time any app that
does not answer it correctly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from benchmarks.models import file_bytes

_NO_JSON: Any = object()
"""Sentinel meaning "do not compare the body as JSON" (``None`` is valid JSON)."""


class SanityError(AssertionError):
    """An app answered a workload wrongly, so its timing would be meaningless."""


@dataclass(frozen=True, slots=True)
class Response:
    """What a driver collected from one request, enough to judge correctness."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Workload:
    """One request plus the response every framework has to produce for it.

    Attributes:
        name: Short identifier used by ``--filter`` and in the JSON dump.
        title: Human heading for the report table.
        method: HTTP method.
        path: Request path without the query string.
        query: Raw query string (no leading ``?``).
        body: Raw request body.
        content_type: Request Content-Type, only sent when there is one.
        expect_status: Status code a correct app returns.
        expect_json: Parsed JSON the response body must equal; leave unset for
            non-JSON workloads such as file downloads.
        expect_body: Exact bytes the response body must equal, for non-JSON
            workloads.
        expect_content_type: Prefix the response Content-Type must start with.
    """

    name: str
    title: str
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    content_type: str | None = None
    expect_status: int = 200
    expect_json: Any = field(default=_NO_JSON)
    expect_body: bytes | None = None
    expect_content_type: str | None = None

    def check(self, response: Response, who: str) -> None:
        """Raise ``SanityError`` unless ``response`` is the correct answer.

        Args:
            response: What the app returned.
            who: Contender label, so the error names the culprit.

        Raises:
            SanityError: On a wrong status, content type or body.
        """
        where = f"{who} / {self.name}"
        if response.status != self.expect_status:
            raise SanityError(
                f"{where}: status {response.status}, expected {self.expect_status}; "
                f"body={response.body[:200]!r}"
            )
        if self.expect_content_type is not None:
            got = response.headers.get("content-type", "")
            if not got.startswith(self.expect_content_type):
                raise SanityError(
                    f"{where}: content-type {got!r}, expected {self.expect_content_type!r}"
                )
        if self.expect_body is not None and response.body != self.expect_body:
            raise SanityError(f"{where}: body {response.body[:200]!r} differs from expected")
        if self.expect_json is not _NO_JSON:
            try:
                parsed = json.loads(response.body)
            except ValueError as exc:
                raise SanityError(f"{where}: body is not JSON: {response.body[:200]!r}") from exc
            if parsed != self.expect_json:
                raise SanityError(f"{where}: JSON {parsed!r}, expected {self.expect_json!r}")


_ECHO_DOC = {"name": "widget", "price": 9.5, "tags": ["a", "b"]}

WORKLOADS: list[Workload] = [
    Workload(
        name="hello",
        title="GET /hello -> static JSON",
        method="GET",
        path="/hello",
        expect_json={"hello": "world"},
        expect_content_type="application/json",
    ),
    Workload(
        name="path-query",
        title="GET /items/42?q=abc -> int path param + query param",
        method="GET",
        path="/items/42",
        query="q=abc",
        expect_json={"id": 42, "q": "abc"},
        expect_content_type="application/json",
    ),
    Workload(
        name="echo-json",
        title="POST /echo -> parse JSON body, echo it back",
        method="POST",
        path="/echo",
        body=json.dumps(_ECHO_DOC).encode(),
        content_type="application/json",
        expect_json=_ECHO_DOC,
        expect_content_type="application/json",
    ),
    Workload(
        name="validated-post",
        title="POST /items -> JSON body validated by a Pydantic model",
        method="POST",
        path="/items",
        body=json.dumps(_ECHO_DOC).encode(),
        content_type="application/json",
        expect_json={**_ECHO_DOC, "valid": True},
        expect_content_type="application/json",
    ),
    Workload(
        name="dependencies",
        title="GET /deps -> two dependencies, one a generator with teardown",
        method="GET",
        path="/deps",
        # "open": true proves the teardown ran after the response was built.
        expect_json={"region": "eu", "open": True},
        expect_content_type="application/json",
    ),
    Workload(
        name="file-64k",
        title="GET /file-64k -> send a 64 KiB file from disk",
        method="GET",
        path="/file-64k",
        expect_body=file_bytes("64k"),
        expect_content_type="application/octet-stream",
    ),
    Workload(
        name="file-1m",
        title="GET /file-1m -> send a 1 MiB file from disk",
        method="GET",
        path="/file-1m",
        expect_body=file_bytes("1m"),
        expect_content_type="application/octet-stream",
    ),
]
"""Workloads in report order; others append here (e.g. download)."""


def select(workloads: list[Workload], patterns: list[str] | None) -> list[Workload]:
    """Keep workloads whose name or title contains any of ``patterns``.

    Matching the title too lets ``--filter POST`` or ``--filter /items`` work
    without anyone needing to remember the short names.
    """
    if not patterns:
        return list(workloads)
    lowered = [p.lower() for p in patterns]
    return [
        w for w in workloads if any(p in w.name.lower() or p in w.title.lower() for p in lowered)
    ]
