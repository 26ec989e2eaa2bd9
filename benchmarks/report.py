"""Turns a ``RunResult`` into tables, ratio sentences and a JSON document.

Ratios are always ``peer_us / ours_us`` so a value above 1 means responder is
faster; the sentences flip to "slower" below 1 because "0.8x faster" reads
like a typo.
"""

from __future__ import annotations

import math
import platform
import sys
from importlib import metadata
from typing import Any

from benchmarks.harness import Contender
from benchmarks.runner import RunResult
from benchmarks.workloads import Workload

COMPARISONS: list[tuple[str, str]] = [
    ("responder-wsgi", "flask-wsgi"),
    ("responder-wsgi", "falcon-wsgi"),
    ("responder-asgi", "starlette-asgi"),
    ("responder-asgi", "falcon-asgi"),
    ("responder-asgi", "fastapi-asgi"),
]
"""(ours, peer) contender keys compared in every workload's ratio lines."""

_VERSIONED = (
    "falcon",
    "flask",
    "starlette",
    "fastapi",
    "pydantic",
    "werkzeug",
    "uvicorn",
    "responder",
)


def _micro() -> str:
    """The micro sign if stdout can print it, otherwise ``us``."""
    try:
        "µ".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "u"
    return "µ"


def ratio_sentence(ours: str, peer: str, ratio: float) -> str:
    """Phrase ``ratio = peer_us / ours_us`` as "X is N.NNx faster/slower than Y"."""
    if ratio >= 1:
        return f"{ours} is {ratio:.2f}x faster than {peer}"
    return f"{ours} is {1 / ratio:.2f}x slower than {peer}"


def _ratio(result: RunResult, ours: str, peer: str, workload: Workload) -> float | None:
    mine = result.cell(ours, workload)
    theirs = result.cell(peer, workload)
    if mine is None or theirs is None:
        return None
    return theirs.measurement.best_us / mine.measurement.best_us


def _labels(result: RunResult) -> dict[str, Contender]:
    return {c.key: c for c in result.contenders}


def _table(result: RunResult, workload: Workload, mu: str) -> list[str]:
    """One aligned table; the last column compares with the fastest row of the same mode."""
    fastest: dict[str, float] = {}
    for contender in result.contenders:
        cell = result.cell(contender.key, workload)
        if cell is not None:
            best = cell.measurement.best_us
            fastest[contender.mode] = min(fastest.get(contender.mode, best), best)

    header = ("framework", "mode", f"best {mu}s/req", f"median {mu}s/req", "req/s", "vs fastest")
    rows: list[tuple[str, ...]] = []
    for contender in result.contenders:
        cell = result.cell(contender.key, workload)
        if cell is None:
            skip = result.skip(contender.key, workload)
            reason = skip.reason if skip else "not run"
            if len(reason) > 90:
                reason = reason[:87] + "..."
            rows.append((contender.framework, contender.mode_text, f"skipped: {reason}"))
            continue
        m = cell.measurement
        rows.append(
            (
                contender.framework,
                contender.mode_text,
                f"{m.best_us:.2f}",
                f"{m.median_us:.2f}",
                f"{m.requests_per_s:,.0f}",
                f"{m.best_us / fastest[contender.mode]:.2f}x",
            )
        )

    widths = [len(h) for h in header]
    for row in rows:
        # Skipped rows still size the name columns; their message is free-form.
        for i, value in enumerate(row[: len(header) if len(row) == len(header) else 2]):
            widths[i] = max(widths[i], len(value))

    def fmt(row: tuple[str, ...]) -> str:
        if len(row) < len(header):  # skipped row: the message spans the numeric columns
            return f"  {row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}"
        left = [f"{row[0]:<{widths[0]}}", f"{row[1]:<{widths[1]}}"]
        right = [f"{v:>{w}}" for v, w in zip(row[2:], widths[2:], strict=True)]
        return "  " + "  ".join(left + right)

    rule = "  " + "  ".join("-" * w for w in widths)
    return [fmt(header), rule, *(fmt(r) for r in rows)]


def _ratio_lines(result: RunResult, workload: Workload) -> list[str]:
    labels = _labels(result)
    lines = []
    for ours, peer in COMPARISONS:
        if ours not in labels or peer not in labels:
            continue
        ratio = _ratio(result, ours, peer, workload)
        if ratio is None:
            lines.append(f"  {labels[ours].label} vs {labels[peer].label}: n/a (row missing)")
        else:
            lines.append("  " + ratio_sentence(labels[ours].label, labels[peer].label, ratio))
    return lines


def geometric_means(result: RunResult) -> list[tuple[str, str, float, int]]:
    """Per comparison, the geometric mean ratio over workloads where both rows exist.

    The geometric mean is the right average for ratios: a 2x win and a 2x loss
    cancel out to 1x instead of averaging to 1.25x.
    """
    labels = _labels(result)
    out = []
    for ours, peer in COMPARISONS:
        if ours not in labels or peer not in labels:
            continue
        ratios = [r for w in result.workloads if (r := _ratio(result, ours, peer, w)) is not None]
        if ratios:
            mean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
            out.append((labels[ours].label, labels[peer].label, mean, len(ratios)))
    return out


def render(result: RunResult) -> str:
    """The full human-readable report."""
    mu = _micro()
    s = result.settings
    lines = [
        f"responder micro-benchmarks: in-process, {s.repeats} repeats x ~{s.target_s:g} s, "
        f"best repeat shown ({platform.python_implementation()} {platform.python_version()})",
    ]
    for workload in result.workloads:
        lines += ["", f"[{workload.name}] {workload.title}", *_table(result, workload, mu)]
        ratio_lines = _ratio_lines(result, workload)
        if ratio_lines:
            lines += ["", *ratio_lines]

    if len(result.workloads) > 1:
        means = geometric_means(result)
        if means:
            lines += ["", f"overall (geometric mean of best {mu}s/req ratios):"]
            for ours, peer, mean, count in means:
                lines.append(f"  {ratio_sentence(ours, peer, mean)}  [{count} workloads]")

    if result.skips:
        lines += ["", "skipped:"]
        for skip in result.skips:
            what = skip.workload.name if skip.workload else "all workloads"
            lines.append(f"  {skip.contender.label} / {what}: {skip.reason}")

    lines += ["", f"total time {result.elapsed_s:.1f} s"]
    return "\n".join(lines)


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def to_json(result: RunResult) -> dict[str, Any]:
    """A self-describing document: enough context to compare two runs later."""
    s = result.settings
    labels = _labels(result)
    return {
        "environment": {
            "python": sys.version,
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "versions": _versions(),
        },
        "settings": {"repeats": s.repeats, "target_s": s.target_s, "warmup_s": s.warmup_s},
        "elapsed_s": result.elapsed_s,
        "results": [
            {
                "workload": cell.workload.name,
                "contender": cell.contender.key,
                "framework": cell.contender.framework,
                "mode": cell.contender.mode,
                "label": cell.contender.label,
                "best_us": cell.measurement.best_us,
                "median_us": cell.measurement.median_us,
                "requests_per_s": cell.measurement.requests_per_s,
                "iterations": cell.measurement.iterations,
                "samples_us": [ns / 1000 for ns in cell.measurement.samples_ns],
            }
            for cell in result.cells
        ],
        "ratios": [
            {
                "workload": workload.name,
                "ours": ours,
                "peer": peer,
                "peer_us_over_ours_us": _ratio(result, ours, peer, workload),
            }
            for workload in result.workloads
            for ours, peer in COMPARISONS
            if ours in labels and peer in labels
        ],
        "skipped": [
            {
                "contender": skip.contender.key,
                "workload": skip.workload.name if skip.workload else None,
                "reason": skip.reason,
            }
            for skip in result.skips
        ],
    }
