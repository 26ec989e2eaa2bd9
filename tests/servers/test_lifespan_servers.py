"""Startup and shutdown under real servers: ASGI lifespan, and the WSGI equivalent."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:  # conftest is pytest's to import; tests/ is not a package
    from .conftest import RunningServer

pytestmark = pytest.mark.servers

APP = "examples.lifespan_probe:api"


@pytest.fixture
def probe_dir(tmp_path: Path) -> Iterator[Path]:
    previous = os.environ.get("LIFESPAN_PROBE_DIR")
    os.environ["LIFESPAN_PROBE_DIR"] = str(tmp_path)
    try:
        yield tmp_path
    finally:
        if previous is None:
            os.environ.pop("LIFESPAN_PROBE_DIR", None)
        else:
            os.environ["LIFESPAN_PROBE_DIR"] = previous


def events(folder: Path) -> list[str]:
    path = folder / "events.log"
    return (
        [line.split(" ", 1)[1] for line in path.read_text().splitlines()] if path.exists() else []
    )


@pytest.mark.parametrize(
    ("server", "extra"),
    [("uvicorn", ()), ("gunicorn", ()), ("gunicorn", ("-k", "gthread", "--threads", "2"))],
    ids=["uvicorn", "gunicorn-sync", "gunicorn-gthread"],
)
def test_startup_before_serving_and_shutdown_on_exit(
    start_server: Callable[..., RunningServer], probe_dir: Path, server: str, extra: tuple[str, ...]
) -> None:
    running = start_server(server, APP, *extra)
    assert httpx.get(running.base_url + "/", timeout=10).text == "probe"
    assert events(probe_dir) == ["enter", "startup"]
    running.stop()
    assert events(probe_dir) == ["enter", "startup", "shutdown", "exit"], running.output()
