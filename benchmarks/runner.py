"""Walks every (contender, workload) cell: build, sanity-check, time, re-check.

Kept apart from the CLI so another script (or a test) can run a subset of
contenders and workloads and get structured results back.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.harness import (
    ASGIDriver,
    Bound,
    Contender,
    Measurement,
    Settings,
    make_driver,
    measure,
)
from benchmarks.workloads import SanityError, Workload

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Cell:
    """A measured (contender, workload) pair."""

    contender: Contender
    workload: Workload
    measurement: Measurement


@dataclass(frozen=True, slots=True)
class Skip:
    """A cell an optional contender could not fill, and why.

    Attributes:
        contender: Who was skipped.
        workload: Which workload, or ``None`` when the whole contender failed
            (build or lifespan startup).
        reason: One-line description of the failure.
    """

    contender: Contender
    workload: Workload | None
    reason: str


@dataclass(slots=True)
class RunResult:
    """Everything a report needs."""

    settings: Settings
    contenders: list[Contender]
    workloads: list[Workload]
    cells: list[Cell] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    elapsed_s: float = 0.0

    def cell(self, key: str, workload: Workload) -> Cell | None:
        """Find the measured cell for contender ``key`` on ``workload``, if any."""
        for cell in self.cells:
            if cell.contender.key == key and cell.workload is workload:
                return cell
        return None

    def skip(self, key: str, workload: Workload) -> Skip | None:
        """Find why contender ``key`` has no cell for ``workload``, if it was skipped."""
        for skip in self.skips:
            if skip.contender.key == key and skip.workload in (None, workload):
                return skip
        return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


class _Runner:
    """Carries the shared loop, the log and the skip policy through one run."""

    def __init__(self, result: RunResult, log: Log, show_tracebacks: bool) -> None:
        self.result = result
        self.log = log
        self.show_tracebacks = show_tracebacks
        self.loop = asyncio.new_event_loop()

    def _tolerate(self, contender: Contender, workload: Workload | None, exc: Exception) -> None:
        """Record a skip for an optional contender; re-raise for a peer.

        Peers are the baseline, so a broken peer must stop the run rather than
        produce a table with a hole that nobody notices.
        """
        if not contender.optional:
            raise exc
        reason = _describe(exc)
        what = contender.label if workload is None else f"{contender.label} / {workload.name}"
        self.log(f"WARNING: skipping {what}: {reason}")
        if self.show_tracebacks:
            self.log("".join(traceback.format_exception(exc)).rstrip())
        self.result.skips.append(Skip(contender, workload, reason))

    def run_contender(self, contender: Contender) -> None:
        """Build the app once, then fill its cells for every workload."""
        try:
            app = contender.build()
            driver = make_driver(contender.mode, app, self.loop)
            driver.start()
        except Exception as exc:
            self._tolerate(contender, None, exc)
            return
        if isinstance(driver, ASGIDriver) and not driver.lifespan_supported:
            self.log(f"note: {contender.label} does not speak ASGI lifespan; continuing")
        try:
            for workload in self.result.workloads:
                self.run_cell(contender, driver.bind(workload), workload)
        finally:
            try:
                driver.stop()
            except Exception as exc:
                if not contender.optional:
                    raise
                self.log(f"WARNING: {contender.label} did not shut down cleanly: {_describe(exc)}")

    def run_cell(self, contender: Contender, bound: Bound, workload: Workload) -> None:
        """Check the answer, time it, then check again before keeping the number."""
        try:
            workload.check(bound.once(), contender.label)
            measurement = measure(bound, self.result.settings)
            # Once more after the load: an app that degrades under repetition
            # (leaks, exhausted streams) must not report a flattering number.
            workload.check(bound.once(), contender.label)
        except Exception as exc:
            self._tolerate(contender, workload, exc)
            return
        self.result.cells.append(Cell(contender, workload, measurement))
        self.log(
            f"  {contender.label:<32} {workload.name:<14} "
            f"{measurement.best_us:9.2f} us/req  (best of {len(measurement.samples_ns)}"
            f" x {measurement.iterations})"
        )

    def close(self) -> None:
        """Close the shared event loop once every ASGI app is done with it."""
        self.loop.close()


def run(
    contenders: list[Contender],
    workloads: list[Workload],
    settings: Settings,
    log: Log,
    *,
    show_tracebacks: bool = False,
) -> RunResult:
    """Measure every contender on every workload.

    Args:
        contenders: Rows, in report order.
        workloads: Workloads, in report order.
        settings: Repeat counts and batch durations.
        log: Receives progress lines and warnings.
        show_tracebacks: Also log full tracebacks for skipped optional rows.

    Returns:
        The measured cells plus the skipped ones with reasons.

    Raises:
        SanityError: If a peer answers a workload wrongly.
    """
    result = RunResult(settings=settings, contenders=list(contenders), workloads=list(workloads))
    runner = _Runner(result, log, show_tracebacks)
    started = time.perf_counter()
    try:
        for contender in contenders:
            runner.run_contender(contender)
    finally:
        runner.close()
    result.elapsed_s = time.perf_counter() - started
    return result


__all__ = ["Cell", "RunResult", "SanityError", "Skip", "run"]
