"""The Pydantic model and the by-hand helpers every app shares.

Defined once so each framework validates against the very same model class:
a per-app copy could drift (a default here, a strict flag there) and the
``validated-post`` comparison would quietly stop being like for like.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


class ItemIn(BaseModel):
    """The body of ``POST /items``."""

    name: str
    price: float
    tags: list[str] = []


def validate_item(data: Any) -> tuple[int, dict[str, Any]]:
    """Validate a parsed body by hand; return the status and JSON document.

    For the peers without body injection (Falcon, Flask, Starlette). The 422
    branch is never timed, but it is there so the peers do what a real app
    must -- turn a validation error into a client error -- instead of letting
    it escape as a 500.
    """
    try:
        item = ItemIn.model_validate(data)
    except ValidationError as exc:
        return 422, {"detail": exc.errors(include_url=False, include_context=False)}
    return 200, {**item.model_dump(), "valid": True}


def settings() -> dict[str, str]:
    """The plain dependency of ``GET /deps``, called by hand in the peers."""
    return {"region": "eu"}


def session(settings: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The generator dependency of ``GET /deps``: yields, then tears down.

    The teardown flips ``open`` so a framework that ran it before building the
    response would answer ``"open": false`` and fail the sanity check.
    """
    s = {"open": True, "region": settings["region"]}
    yield s
    s["open"] = False


#: The download workloads' files: name -> size in bytes.
FILE_SIZES = {"64k": 64 * 1024, "1m": 1024 * 1024}


@cache
def _files_dir() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="responder-bench-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


def file_bytes(name: str) -> bytes:
    """The exact content of download file ``name``: a repeating, checkable pattern."""
    size = FILE_SIZES[name]
    return (bytes(range(256)) * (size // 256 + 1))[:size]


@cache
def bench_file(name: str) -> Path:
    """The download file ``name`` on disk, written once per run.

    Every app sends this same path, so the page cache serves all of them
    alike and the comparison measures the frameworks, not the disk.
    """
    path = _files_dir() / f"{name}.bin"
    path.write_bytes(file_bytes(name))
    return path
