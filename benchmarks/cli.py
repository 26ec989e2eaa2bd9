"""Command line for ``python -m benchmarks``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks import apps, peers
from benchmarks.harness import DEFAULT, QUICK, Contender
from benchmarks.report import render, to_json
from benchmarks.runner import run
from benchmarks.workloads import WORKLOADS, SanityError, select

CONTENDERS: list[Contender] = [
    *peers.WSGI_PEERS,
    *apps.WSGI_APPS,
    *peers.ASGI_PEERS,
    *apps.ASGI_APPS,
]
"""Report order: WSGI rows then ASGI rows, responder last in each group."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="In-process micro-benchmarks: responder vs Falcon, Flask, Starlette, FastAPI.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer, shorter repeats (whole run well under 30 s); numbers are noisier",
    )
    parser.add_argument(
        "--filter",
        action="append",
        metavar="SUBSTR",
        help="only workloads whose name or title contains SUBSTR (repeatable)",
    )
    parser.add_argument(
        "--contender",
        action="append",
        metavar="SUBSTR",
        help="only rows whose key (e.g. flask-wsgi, responder-asgi) contains SUBSTR (repeatable)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="print full tracebacks for skipped responder rows",
    )
    return parser


def _log(line: str) -> None:
    # Progress goes to stderr so stdout carries only the report.
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the selected cells, print the report.

    Returns:
        Process exit status: 0 on success, 1 if a peer failed its sanity check
        or the selection is empty.
    """
    args = _parser().parse_args(argv)
    workloads = select(WORKLOADS, args.filter)
    if not workloads:
        _log(f"no workload matches {args.filter}; known: {', '.join(w.name for w in WORKLOADS)}")
        return 1
    contenders = CONTENDERS
    if args.contender:
        contenders = [c for c in CONTENDERS if any(p in c.key for p in args.contender)]
        if not contenders:
            _log(
                f"no contender matches {args.contender}; known: "
                f"{', '.join(c.key for c in CONTENDERS)}"
            )
            return 1

    try:
        result = run(
            contenders,
            workloads,
            QUICK if args.quick else DEFAULT,
            _log,
            show_tracebacks=args.traceback,
        )
    except SanityError as exc:
        _log(f"FAILED sanity check, nothing timed is trustworthy: {exc}")
        return 1

    print(render(result))
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(result), indent=2) + "\n", encoding="utf-8")
        _log(f"wrote {args.json}")
    return 0
