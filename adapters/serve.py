"""Serve an `API` with a real server: uvicorn (ASGI) or gunicorn (WSGI, or ASGI workers).

`API.run()` and the `responder run` command both end here. The same `api`
object is handed to either server unchanged: uvicorn calls it with one
argument and gets ASGI 2, gunicorn's sync and gthread workers call it with two
and get WSGI, and the uvicorn worker for gunicorn speaks ASGI again. So this
module only chooses and configures a server; it knows no protocol itself.

Where the server listens follows the PaaS convention (Heroku, Cloud Run,
Render...): an explicit `port` wins, then the `PORT` environment variable
(which also makes the default address `0.0.0.0`, since the platform's router
must reach the process from outside), then 5042 on loopback.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from functools import partial
from importlib.util import find_spec
from typing import Any

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_PORT",
    "SERVERS",
    "ServeConfigError",
    "ServeError",
    "ServerUnavailableError",
    "import_target",
    "resolve_bind",
    "resolve_worker_class",
    "run",
]

DEFAULT_ADDRESS = "127.0.0.1"
PUBLIC_ADDRESS = "0.0.0.0"  # only when a platform sets PORT
DEFAULT_PORT = 5042
SERVERS = ("uvicorn", "gunicorn")

#: gunicorn worker classes known to work with the dual-mode `API`.
_PLAIN_WORKERS = ("sync", "gthread")
#: Names accepted for the ASGI worker; they resolve to whichever is installed.
_UVICORN_WORKER_NAMES = (
    "uvicorn",
    "uvicorn.workers.UvicornWorker",
    "uvicorn_worker.UvicornWorker",
)


class ServeError(Exception):
    """Base of the errors in what was asked of `run()`, as opposed to errors of the app.

    The CLI reports these as one line rather than a traceback, and must not
    confuse them with a `ValueError` raised by the application's own import.
    """


class ServeConfigError(ServeError, ValueError):
    """An option, address, server name or import string that cannot work."""


class ServerUnavailableError(ServeError, RuntimeError):
    """The requested server or gunicorn worker is not installed."""


def import_target(path: str) -> Any:
    """Import the object named by `path`, such as `"package.module:api"`.

    The attribute part may be dotted (`"module:app.api"`) and defaults to
    `api`, the name the docs and examples use. The current directory is put
    on `sys.path` first, as a project is normally run from its root, where
    `python -m` would also find it.

    Raises:
        ServeConfigError: (a `ValueError`) when the module or the attribute cannot be found, with a
            message that says which one, instead of a bare traceback.
    """
    module_name, _, attr_path = path.partition(":")
    if not module_name:
        raise ServeConfigError(f"{path!r} does not name a module; use 'module:attribute'")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise  # the module exists but itself imports something missing
        raise ServeConfigError(f"Could not import module {module_name!r} ({path!r})") from exc
    for attr in (attr_path or "api").split("."):
        try:
            target = getattr(target, attr)
        except AttributeError:
            raise ServeConfigError(
                f"Module {module_name!r} has no attribute {attr_path or 'api'!r} ({path!r})"
            ) from None
    return target


def resolve_bind(address: str | None, port: int | None) -> tuple[str, int]:
    """Decide the listening address and port: explicit values, then `PORT`, then defaults.

    Raises:
        ServeConfigError: (a `ValueError`) when `PORT` or `port` is not a TCP port number.
    """
    if port is None:
        env_port = os.environ.get("PORT", "").strip()
        if env_port:
            if not env_port.isdigit():
                raise ServeConfigError(f"The PORT environment variable is not a port: {env_port!r}")
            port = int(env_port)
            if address is None:
                address = PUBLIC_ADDRESS
        else:
            port = DEFAULT_PORT
    if not 0 <= port <= 65535:
        raise ServeConfigError(f"Port {port} is outside 0-65535")
    return address or DEFAULT_ADDRESS, port


def resolve_worker_class(worker_class: str | None) -> str:
    """Map a worker name to the gunicorn worker class to use.

    The uvicorn worker moved out of uvicorn into the `uvicorn-worker`
    package (`uvicorn.workers` is deprecated), so every spelling of it
    resolves to the package when installed and to the old module otherwise.

    Raises:
        ServeConfigError: (a `ValueError`) for a worker class not known to work with `API`.
        ServerUnavailableError: (a `RuntimeError`) when a uvicorn worker is asked for
            but neither is installed.
    """
    if worker_class is None or worker_class in _PLAIN_WORKERS:
        return worker_class or "sync"
    if worker_class in _UVICORN_WORKER_NAMES:
        if find_spec("uvicorn_worker") is not None:
            return "uvicorn_worker.UvicornWorker"
        try:
            legacy = find_spec("uvicorn.workers")
        except ModuleNotFoundError:  # uvicorn itself is missing
            legacy = None
        if legacy is not None:
            return "uvicorn.workers.UvicornWorker"
        raise ServerUnavailableError(
            "The uvicorn worker for gunicorn is not installed; `pip install uvicorn-worker` "
            "(or use --worker-class sync or gthread)"
        )
    choices = ", ".join((*_PLAIN_WORKERS, *_UVICORN_WORKER_NAMES))
    raise ServeConfigError(
        f"Unsupported gunicorn worker class {worker_class!r}; use one of: {choices}"
    )


def _import_fresh(path: str) -> Any:
    """Import `path` in a new gunicorn worker, dropping the copy the master imported.

    Workers are forked from the master, so without this a reloaded worker
    would inherit the module as it was when the master started. Only the
    application's own module is re-read; modules it imports stay as loaded.
    """
    sys.modules.pop(path.partition(":")[0], None)
    return import_target(path)


def run(
    api: Any,
    *,
    address: str | None = None,
    port: int | None = None,
    server: str = "uvicorn",
    workers: int = 1,
    debug: bool = False,
    reload: bool = False,
    app_path: str | None = None,
    worker_class: str | None = None,
    log_level: str | None = None,
    **server_options: Any,
) -> None:
    """Serve `api` until the server is stopped (SIGINT/SIGTERM).

    Args:
        api: The `API` (any WSGI-and-ASGI callable). May be None when
            `app_path` is given; the server then imports the application itself.
        address: The interface to listen on; `127.0.0.1` by default, or
            `0.0.0.0` when the port comes from the `PORT` environment variable.
        port: The TCP port; else `PORT` from the environment; else 5042.
        server: `"uvicorn"` (ASGI) or `"gunicorn"` (WSGI pre-fork).
        workers: Worker processes. Uvicorn needs `app_path` for more than one,
            because each process imports the application anew.
        debug: Show tracebacks on 500 pages (`api.settings.debug`) and log at
            debug level. Only affects `api` in this process, not workers that
            import `app_path` themselves.
        reload: Restart on code changes (development only); needs `app_path`.
        app_path: The import string of the application, such as `"module:api"`.
        worker_class: gunicorn only: `"sync"` (default), `"gthread"`, or the
            uvicorn worker (`"uvicorn.workers.UvicornWorker"`, or just `"uvicorn"`).
        log_level: The server's log level; `"debug"` if `debug`, else `"info"`.
        **server_options: Passed on unchanged: keyword arguments of
            `uvicorn.run`, or gunicorn settings (`threads=4`, `timeout=60`...).

    Raises:
        ServeConfigError: (a `ValueError`) for an unknown server, a bad option, or a
            missing `app_path`.
        ServerUnavailableError: (a `RuntimeError`) when the requested server or worker
            is not installed.
    """
    if api is None and app_path is None:
        raise ServeConfigError("run() needs the application object or its import string (app_path)")
    if workers < 1:
        raise ServeConfigError(f"workers must be at least 1, not {workers}")
    host, bound_port = resolve_bind(address, port)
    if debug and api is not None and hasattr(api, "settings"):
        api.settings.debug = True
    level = log_level or ("debug" if debug else "info")
    if server == "uvicorn":
        if worker_class is not None:
            raise ServeConfigError(
                "worker_class is a gunicorn option; uvicorn has no worker classes"
            )
        _run_uvicorn(api, host, bound_port, workers, reload, app_path, level, server_options)
    elif server == "gunicorn":
        _run_gunicorn(
            api, host, bound_port, workers, reload, app_path, worker_class, level, server_options
        )
    else:
        raise ServeConfigError(f"Unknown server {server!r}; use one of: {', '.join(SERVERS)}")


def _run_uvicorn(
    api: Any,
    host: str,
    port: int,
    workers: int,
    reload: bool,
    app_path: str | None,
    log_level: str,
    options: dict[str, Any],
) -> None:
    """Run uvicorn, which detects the ASGI 2 interface from `API.__call__`."""
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ServerUnavailableError("uvicorn is not installed; `pip install uvicorn`") from exc
    target: Any = api
    if workers > 1 or reload:
        if app_path is None:
            need = "reload=True" if reload else f"workers={workers}"
            raise ServeConfigError(
                f"uvicorn needs the application as an import string for {need}, because each "
                "process imports it anew; pass app_path='module:api' "
                "(or `responder run module:api`)"
            )
        target = app_path
    elif target is None:
        target = app_path
    uvicorn.run(
        target,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level=log_level,
        **options,
    )


def _run_gunicorn(
    api: Any,
    host: str,
    port: int,
    workers: int,
    reload: bool,
    app_path: str | None,
    worker_class: str | None,
    log_level: str,
    options: dict[str, Any],
) -> None:
    """Run gunicorn in this process, without its command line."""
    try:
        from gunicorn.app.base import BaseApplication
        from gunicorn.config import Config
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ServerUnavailableError("gunicorn is not installed; `pip install gunicorn`") from exc
    if reload and app_path is None:
        raise ServeConfigError(
            "gunicorn's reload needs the application as an import string, so that new "
            "workers import fresh code; pass app_path='module:api'"
        )
    bracketed = f"[{host}]" if ":" in host and not host.startswith("[") else host  # IPv6
    settings: dict[str, Any] = {
        "bind": f"{bracketed}:{port}",
        "workers": workers,
        "worker_class": resolve_worker_class(worker_class),
        "loglevel": log_level,
        "reload": reload,
        **options,
    }
    known = Config().settings
    unknown = sorted(key for key in settings if key.lower() not in known)
    if unknown:
        raise ServeConfigError(f"Unknown gunicorn setting(s): {', '.join(unknown)}")
    load: Callable[[], Any] = lambda: api  # noqa: E731 - forked workers inherit the object
    if app_path is not None and (reload or api is None):
        load = partial(_import_fresh if reload else import_target, app_path)

    class ResponderApplication(BaseApplication):  # type: ignore[misc]
        """gunicorn's programmatic entry: settings from `run()`, no argv parsing."""

        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key.lower(), value)

        def load(self) -> Any:
            return load()

    ResponderApplication().run()
