"""The mount table: which foreign application answers under which path prefix.

`api.mount("/flask", flask_app)` hands every request under `/flask` that no
route of the API claims to another application. The core only records the
decision, prefix to application, and keeps the application opaque: whether
it is WSGI or ASGI, and how to call it, is for the adapters
(`responder.adapters.mount`), which are the only code that knows either
protocol.

The rules, in one place:

- A request goes to the API when one of its routes serves that method at
  that path; routes always win over mounts.
- Otherwise it goes to the mount with the longest prefix covering the path.
  A prefix covers itself and what lies below it: `/flask` covers `/flask`
  and `/flask/x`, not `/flasky`. The empty prefix covers every path, which
  makes the mounted application a fallback for the whole site.
- Otherwise the API answers itself (404, 405, a trailing-slash redirect).
- Two mounts on the same prefix are refused: one of them could never answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .routing import normalize_prefix

__all__ = ["INTERFACES", "Mount", "MountTable"]

#: What `interface=` may declare; None lets the adapter tell from the object.
INTERFACES = ("wsgi", "asgi")


@dataclass(frozen=True, eq=False)
class Mount:
    """One mounted application.

    Attributes:
        prefix: Where it is mounted, normalized (`""` or `/a/b`).
        app: The application, opaque to the core.
        interface: "wsgi" or "asgi" when the caller said so; None to let the
            adapter detect it.
    """

    prefix: str
    app: Any
    interface: str | None = None

    def covers(self, path: str) -> bool:
        """Tell whether `path` is at or below this mount's prefix."""
        prefix = self.prefix
        return not prefix or path == prefix or path.startswith(prefix + "/")

    def sub_path(self, path: str) -> str:
        """The part of `path` the mounted application routes on (`""` at the prefix itself)."""
        return path[len(self.prefix) :]


class MountTable:
    """The mounts of one application, kept longest prefix first."""

    def __init__(self) -> None:
        self._mounts: list[Mount] = []

    def add(self, prefix: str, app: Any, interface: str | None = None) -> Mount:
        """Mount `app` at `prefix`.

        Raises:
            TypeError: when `app` is not callable.
            ValueError: for a malformed or already mounted prefix, or an
                unknown interface.
        """
        if not callable(app):
            raise TypeError(f"A mounted application must be callable, not {type(app).__name__}")
        if interface is not None and interface not in INTERFACES:
            raise ValueError(f"interface must be 'wsgi', 'asgi' or None, not {interface!r}")
        normalized = normalize_prefix(prefix)
        if "{" in normalized:
            raise ValueError(f"Mount prefixes are literal paths, without parameters: {prefix!r}")
        if any(mount.prefix == normalized for mount in self._mounts):
            raise ValueError(f"An application is already mounted at {normalized or '/'!r}")
        mount = Mount(normalized, app, interface)
        self._mounts.append(mount)
        self._mounts.sort(key=lambda m: len(m.prefix), reverse=True)
        return mount

    def match(self, path: str) -> Mount | None:
        """The mount with the longest prefix covering `path`, if any."""
        for mount in self._mounts:
            if mount.covers(path):
                return mount
        return None

    def __iter__(self) -> Iterator[Mount]:
        return iter(self._mounts)

    def __len__(self) -> int:
        return len(self._mounts)

    def __bool__(self) -> bool:
        return bool(self._mounts)
