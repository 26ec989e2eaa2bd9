"""Shared fixtures: every behaviour test runs once under WSGI and once under ASGI."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import responder
from responder import UploadFile
from responder.adapters.testing import TestClient


@pytest.fixture(params=["wsgi", "asgi"])
def mode(request: pytest.FixtureRequest) -> str:
    """The protocol the test drives the API through."""
    return str(request.param)


@pytest.fixture
def api() -> responder.API:
    """A fresh application for each test."""
    return responder.API()


@pytest.fixture
def client(api: responder.API, mode: str) -> Iterator[TestClient]:
    """A test client for `api` in the current mode, with lifespan run around the test."""
    with api.test_client(mode=mode) as test_client:
        yield test_client


@pytest.fixture
def uploads(monkeypatch: pytest.MonkeyPatch) -> list[UploadFile]:
    """Every `UploadFile` the multipart parser creates, so tests can check each was closed."""
    made: list[UploadFile] = []

    class Recorded(UploadFile):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr("responder.multipart.UploadFile", Recorded)
    return made


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop for a module's raw ASGI calls, closed cleanly at the end."""
    event_loop = asyncio.new_event_loop()
    try:
        yield event_loop
    finally:
        event_loop.run_until_complete(event_loop.shutdown_asyncgens())
        event_loop.run_until_complete(event_loop.shutdown_default_executor())
        event_loop.close()
