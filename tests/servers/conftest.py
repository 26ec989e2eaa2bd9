"""Start `examples.helloworld:api` under real servers (uvicorn, gunicorn) on loopback.

The adapter tests drive the API in-process; these prove the same object
works when a real server owns the socket: uvicorn's interface detection
(ASGI 2 through `API.__call__` with one argument), gunicorn's sync and
gthread workers (WSGI), the `responder run` console script and `api.run()`
honouring `PORT`. Each server is started once per module (a module-scoped,
parametrized fixture), stopped by PID with SIGTERM (SIGKILL only past a
deadline), and checked to have left no process behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from responder.adapters.serve import ServerUnavailableError, resolve_worker_class

ROOT = Path(__file__).resolve().parents[2]
APP = "examples.helloworld:api"
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    """Ask the kernel for a port nobody listens on (the tiny reuse race is acceptable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def responder_script() -> list[str]:
    """The installed `responder` console script, so the entry point itself is tested."""
    name = "responder.exe" if os.name == "nt" else "responder"
    candidate = Path(sysconfig.get_path("scripts")) / name
    found = str(candidate) if candidate.exists() else shutil.which("responder")
    if found is None:
        pytest.fail("The `responder` command is not installed; run `pip install -e .`")
    return [found]


def _uvicorn_worker_available() -> str | None:
    """Why the gunicorn+uvicorn-worker kind cannot run, or None when it can."""
    try:
        resolve_worker_class("uvicorn")
    except ServerUnavailableError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class ServerKind:
    """One way of serving the example app.

    Attributes:
        name: The test id.
        server: The `Server` header the server adds, proving who answered.
        command: Builds the command line for a port.
        port_from_env: Pass the port as `PORT` instead of on the command line;
            the server should then listen on all interfaces.
        skip: A reason to skip this kind on this machine.
    """

    name: str
    server: str
    command: Callable[[int], list[str]]
    port_from_env: bool = False
    skip: str | None = None

    @property
    def listen_host(self) -> str:
        """The interface the server should report listening on."""
        return "0.0.0.0" if self.port_from_env else LOOPBACK


PY = sys.executable
KINDS = [
    ServerKind(
        "uvicorn",
        "uvicorn",
        lambda port: [PY, "-m", "uvicorn", APP, "--host", LOOPBACK, "--port", str(port)],
    ),
    ServerKind(
        "gunicorn-sync",
        "gunicorn",
        lambda port: [PY, "-m", "gunicorn", APP, "-b", f"{LOOPBACK}:{port}", "-w", "1"],
    ),
    ServerKind(
        "gunicorn-gthread",
        "gunicorn",
        lambda port: [
            *(PY, "-m", "gunicorn", APP, "-b", f"{LOOPBACK}:{port}"),
            *("-w", "1", "-k", "gthread", "--threads", "4"),
        ],
    ),
    ServerKind(
        "cli-gunicorn",
        "gunicorn",
        lambda port: [*responder_script(), "run", APP, "--server", "gunicorn", "--port", str(port)],
    ),
    ServerKind(
        "cli-gunicorn-uvicorn-worker",
        "uvicorn",
        lambda port: [
            *responder_script(),
            *("run", APP, "--server", "gunicorn", "--worker-class", "uvicorn"),
            *("--port", str(port)),
        ],
        skip=_uvicorn_worker_available(),
    ),
    ServerKind(
        "api.run-PORT",
        "uvicorn",
        lambda port: [PY, str(ROOT / "examples" / "helloworld.py")],
        port_from_env=True,
    ),
]


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited while we looked
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


class RunningServer:
    """A server subprocess in its own session, with its output in files."""

    def __init__(self, kind: ServerKind, port: int, logs: Path) -> None:
        command = kind.command(port)
        self.kind = kind
        self.port = port
        self.base_url = f"http://{LOOPBACK}:{port}"
        self.stdout_path = logs / "stdout.log"
        self.stderr_path = logs / "stderr.log"
        env = {
            key: value
            for key, value in os.environ.items()
            # The outer environment must not choose ports or workers for us.
            if key not in ("PORT", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS")
        }
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        # gunicorn >= 25 opens a control socket under $XDG_RUNTIME_DIR (else ~/.gunicorn);
        # a private directory keeps parallel runs from sharing one.
        env["XDG_RUNTIME_DIR"] = str(logs)
        if kind.port_from_env:
            env["PORT"] = str(port)
        self._out: IO[bytes] = self.stdout_path.open("wb")
        self._err: IO[bytes] = self.stderr_path.open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=self._err,
            start_new_session=True,  # its own process group: workers are findable
        )
        self.ready_after: float | None = None
        self.graceful: bool | None = None

    def output(self) -> str:
        """Everything the server printed, for failure messages."""
        out = self.stdout_path.read_text(errors="replace")
        err = self.stderr_path.read_text(errors="replace")
        return f"--- stdout ---\n{out}\n--- stderr ---\n{err}"

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll until `/` answers; fail with the server's output if it dies or stalls."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"{self.kind.name} exited with {self.proc.returncode} before answering\n"
                    + self.output()
                )
            try:
                response = httpx.get(self.base_url + "/", timeout=1.0)
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            if response.status_code == 200:
                self.ready_after = time.monotonic() - self.started
                return
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"{self.kind.name} did not answer within {timeout:.0f}s\n" + self.output())

    def stop(self) -> None:
        """SIGTERM the server by PID; SIGKILL it past the deadline. Idempotent."""
        if self.graceful is not None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
                self.graceful = True
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
                self.graceful = False
        else:
            self.graceful = False  # it had died on its own
        self._out.close()
        self._err.close()

    def leftovers(self, timeout: float = 3.0) -> list[int]:
        """PIDs still alive in the server's process group, after a short grace period."""
        deadline = time.monotonic() + timeout
        while (members := _group_members(self.proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return members

    def reap_leftovers(self) -> None:
        """Last resort: SIGKILL anything of ours still alive, one PID at a time."""
        for pid in _group_members(self.proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module", params=KINDS, ids=[kind.name for kind in KINDS])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """The example app, served for real by one kind of server for the whole module."""
    kind: ServerKind = request.param
    if kind.skip:
        pytest.skip(kind.skip)
    running = RunningServer(kind, free_port(), tmp_path_factory.mktemp(kind.name))
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()
        left = running.leftovers()
        if left:
            running.reap_leftovers()
            pytest.fail(f"{kind.name} left processes running: {left}\n" + running.output())


@pytest.fixture
def http(server: RunningServer) -> Iterator[httpx.Client]:
    """An HTTP client for the running server, over a real socket."""
    with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
        yield client


def _kind_for(server: str, app: str, extra: tuple[str, ...]) -> ServerKind:
    if server == "uvicorn":
        base = [PY, "-m", "uvicorn", app, "--host", LOOPBACK]
        return ServerKind(f"uvicorn-{app}", "uvicorn", lambda port: [*base, "--port", str(port)])
    if server == "gunicorn":
        return ServerKind(
            f"gunicorn-{app}{'-'.join(extra)}",
            "gunicorn",
            lambda port: [PY, "-m", "gunicorn", app, "-b", f"{LOOPBACK}:{port}", "-w", "1", *extra],
        )
    if server == "waitress":  # a WSGI-only server, as legacy deployments often run
        return ServerKind(
            f"waitress-{app}",
            "waitress",
            lambda port: [PY, "-m", "waitress", f"--listen={LOOPBACK}:{port}", *extra, app],
        )
    raise ValueError(f"unknown server {server!r}")


@pytest.fixture(scope="module")
def start_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RunningServer]]:
    """Start `start_server("uvicorn"|"gunicorn"|"waitress", "module:app", *extra_args)`.

    Any app, any number of servers for one module; all are stopped at its end
    and must leave no process behind. The app must answer `GET /`.
    """
    started: list[RunningServer] = []

    def start(server: str, app: str, *extra: str) -> RunningServer:
        kind = _kind_for(server, app, extra)
        running = RunningServer(kind, free_port(), tmp_path_factory.mktemp(kind.name[:40]))
        started.append(running)
        running.wait_ready()
        return running

    yield start
    for running in started:
        running.stop()
        left = running.leftovers()
        if left:
            running.reap_leftovers()
            pytest.fail(f"{running.kind.name} left processes running: {left}\n" + running.output())
