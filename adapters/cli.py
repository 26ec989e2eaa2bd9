"""The `responder` command: serve an application with uvicorn (ASGI) or gunicorn (WSGI).

    responder run examples.helloworld:api
    responder run examples.helloworld:api --server gunicorn --workers 4
    responder run examples.helloworld:api --server gunicorn --worker-class gthread --threads 8
    responder --version

It is a thin argparse layer over `responder.adapters.serve.run`, so a
deployment can switch between `api.run()`, this command and the servers' own
command lines without the application behaving differently. Installed as a
console script by pyproject's `[project.scripts]`; `python -m
responder.adapters.cli` runs the same `main`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .serve import SERVERS, ServeError, import_target, run

__all__ = ["build_parser", "main"]

#: Exit status for a usage or configuration error, as argparse uses.
USAGE_ERROR = 2


def _version() -> str:
    """Read the installed version, falling back to the package's own constant."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("responder")
    except PackageNotFoundError:  # running from a source tree that is not installed
        from responder import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (kept separate so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="responder",
        description="Serve a responder API with uvicorn (ASGI) or gunicorn (WSGI).",
    )
    parser.add_argument("--version", action="version", version=f"responder {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "run",
        help="serve an application",
        description="Serve an application; the address and port follow PORT like api.run().",
    )
    serve.add_argument("app", metavar="MODULE:ATTR", help="the application, such as 'app:api'")
    serve.add_argument("--server", choices=SERVERS, default="uvicorn", help="default: uvicorn")
    serve.add_argument(
        "--address",
        default=None,
        help="interface to listen on (default: 127.0.0.1, or 0.0.0.0 when PORT is set)",
    )
    serve.add_argument(
        "--port", type=int, default=None, help="TCP port (default: $PORT, else 5042)"
    )
    serve.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    serve.add_argument(
        "--worker-class",
        default=None,
        help="gunicorn only: sync (default), gthread, or uvicorn.workers.UvicornWorker",
    )
    serve.add_argument(
        "--threads", type=int, default=None, metavar="N", help="gunicorn only: threads per worker"
    )
    serve.add_argument("--log-level", default=None, help="server log level (default: info)")
    serve.add_argument(
        "--debug", action="store_true", help="tracebacks on 500 pages and debug logging"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Errors in what the user asked for (a module that does not import, an
    option a server does not support) are reported as one line on stderr with
    status 2, not as a traceback. A server that starts runs until it is
    stopped; gunicorn then ends the process itself with its own status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "run":
        parser.print_help(sys.stderr)
        return USAGE_ERROR
    options: dict[str, int] = {}
    if args.threads is not None:
        if args.server != "gunicorn":
            parser.error("--threads is a gunicorn option")
        options["threads"] = args.threads
    try:
        # With reload, the server's own processes import the code, fresh each
        # time; importing it here as well would only pin the old version.
        api = None if args.reload else import_target(args.app)
        run(
            api,
            address=args.address,
            port=args.port,
            server=args.server,
            workers=args.workers,
            debug=args.debug,
            reload=args.reload,
            app_path=args.app,
            worker_class=args.worker_class,
            log_level=args.log_level,
            **options,
        )
    except ServeError as exc:
        print(f"responder: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
