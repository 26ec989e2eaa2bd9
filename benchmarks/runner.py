"""Walks every (contender, workload) cell: build, sanity-check, time, re-check.

Apps are built and started once; then, per workload, every row is checked and
calibrated and the timed batches are taken round-robin across rows.

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
    Driver,
    Measurement,
    Settings,
    calibrate,
    make_driver,
    sample,
)
from benchmarks.workloads import Workload

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


@dataclass(slots=True)
class _Prepared:
    """A calibrated cell waiting for its turn in the interleaved repeats."""

    contender: Contender
    bound: Bound
    iterations: int
    samples: list[float] = field(default_factory=list)
    failed: bool = False


class _Runner:
    """Carries the shared loop, the log and the skip policy through one run."""

    def __init__(self, result: RunResult, log: Log, show_tracebacks: bool) -> None:
        self.result = result
        self.log = log
        self.show_tracebacks = show_tracebacks
        self.loop = asyncio.new_event_loop()
        self.started: list[tuple[Contender, Driver]] = []

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

    def start(self, contender: Contender) -> None:
        """Build the app and start its driver; untimed, done once per run."""
        try:
            app = contender.build()
            driver = make_driver(contender.mode, app, self.loop)
            driver.start()
        except Exception as exc:  # noqa: BLE001 - _tolerate re-raises for peers
            self._tolerate(contender, None, exc)
            return
        if isinstance(driver, ASGIDriver) and not driver.lifespan_supported:
            self.log(f"note: {contender.label} does not speak ASGI lifespan; continuing")
        self.started.append((contender, driver))

    def run_workload(self, workload: Workload) -> None:
        """Check and calibrate every row, then time their batches round-robin.

        Interleaving means a burst of outside load costs every row one batch
        instead of costing one unlucky row all of its batches.
        """
        prepared: list[_Prepared] = []
        for contender, driver in self.started:
            bound = driver.bind(workload)
            try:
                workload.check(bound.once(), contender.label)
                prepared.append(_Prepared(contender, bound, calibrate(bound, self.settings)))
            except Exception as exc:  # noqa: BLE001 - _tolerate re-raises for peers
                self._tolerate(contender, workload, exc)

        for _ in range(self.settings.repeats):
            for cell in prepared:
                if cell.failed:
                    continue
                try:
                    cell.samples.append(sample(cell.bound, cell.iterations))
                except Exception as exc:  # noqa: BLE001 - _tolerate re-raises for peers
                    cell.failed = True
                    self._tolerate(cell.contender, workload, exc)

        for cell in prepared:
            if cell.failed:
                continue
            try:
                # Once more after the load: an app that degrades under repetition
                # (leaks, exhausted streams) must not report a flattering number.
                workload.check(cell.bound.once(), cell.contender.label)
            except Exception as exc:  # noqa: BLE001 - _tolerate re-raises for peers
                self._tolerate(cell.contender, workload, exc)
                continue
            measurement = Measurement(cell.iterations, tuple(cell.samples))
            self.result.cells.append(Cell(cell.contender, workload, measurement))
            self.log(
                f"  {cell.contender.label:<32} {workload.name:<14} "
                f"{measurement.best_us:9.2f} us/req  (best of {len(cell.samples)}"
                f" x {cell.iterations})"
            )

    @property
    def settings(self) -> Settings:
        """The run's timing settings."""
        return self.result.settings

    def close(self) -> None:
        """Shut every app down, then close the shared event loop."""
        try:
            for contender, driver in self.started:
                try:
                    driver.stop()
                except Exception as exc:
                    if not contender.optional:
                        raise
                    self.log(f"WARNING: {contender.label} did not shut down cleanly: {exc!r}")
        finally:
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
        SanityError: If a peer answers a workload wrongly (peers are never skipped).
    """
    result = RunResult(settings=settings, contenders=list(contenders), workloads=list(workloads))
    runner = _Runner(result, log, show_tracebacks)
    started = time.perf_counter()
    try:
        for contender in contenders:
            runner.start(contender)
        for workload in workloads:
            runner.run_workload(workload)
    finally:
        runner.close()
    result.elapsed_s = time.perf_counter() - started
    return result


__all__ = ["Cell", "RunResult", "Skip", "run"]
