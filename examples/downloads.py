"""File downloads under any server: ranges, validators and attachments.

Serve it with `uvicorn examples.downloads:api`, or under WSGI with
`gunicorn examples.downloads:api` (gunicorn then sends the files with
`sendfile`), and try `curl -r 0-99 localhost:8000/files/downloads.py`.

- `/files/{name}` sends a file of this directory from a sync handler,
  `/async-files/{name}` from an async one; names cannot leave the directory.
- `/download/{name}` sends the same file as an attachment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import responder

HERE = Path(__file__).resolve().parent

api = responder.API(static_dir=None)


@api.route("/")
def index(req: Any, resp: Any) -> None:
    resp.media = {"files": sorted(path.name for path in HERE.glob("*.py"))}


@api.route("/files/{name:path}")
def serve(req: Any, resp: Any, *, name: str) -> None:
    resp.file(name, root=HERE)


@api.route("/async-files/{name:path}")
async def serve_async(req: Any, resp: Any, *, name: str) -> None:
    resp.file(name, root=HERE)


@api.route("/download/{name}")
def download(req: Any, resp: Any, *, name: str) -> None:
    resp.download(name, root=HERE, filename=f"copy of {name}")


if __name__ == "__main__":
    api.run()
