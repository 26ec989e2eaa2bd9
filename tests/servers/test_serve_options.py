"""How `serve.run()` and the `responder` CLI configure uvicorn and gunicorn, without serving.

The servers' entry points are replaced by recorders, so these run in
milliseconds and pin down what `test_helloworld_servers` cannot cheaply
reach: the error messages, `PORT` precedence, and the exact options each
server receives.
"""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from gunicorn.app.base import BaseApplication

import responder
from responder.adapters import cli, serve


@pytest.fixture(autouse=True)
def no_port_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outer environment must not decide these tests' ports."""
    monkeypatch.delenv("PORT", raising=False)


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    return calls


@pytest.fixture
def gunicorn_apps(monkeypatch: pytest.MonkeyPatch) -> list[BaseApplication]:
    apps: list[BaseApplication] = []
    monkeypatch.setattr(BaseApplication, "run", lambda self: apps.append(self))
    return apps


def test_uvicorn_defaults(uvicorn_calls: list[tuple[Any, dict[str, Any]]]) -> None:
    api = responder.API()
    api.run()
    assert uvicorn_calls == [
        (
            api,
            {"host": "127.0.0.1", "port": 5042, "workers": 1, "reload": False, "log_level": "info"},
        )
    ]


def test_port_env_means_all_interfaces(
    monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[tuple[Any, dict[str, Any]]]
) -> None:
    monkeypatch.setenv("PORT", "8123")
    serve.run(responder.API())
    serve.run(responder.API(), address="127.0.0.1")
    serve.run(responder.API(), port=9000)
    assert [(kw["host"], kw["port"]) for _, kw in uvicorn_calls] == [
        ("0.0.0.0", 8123),
        ("127.0.0.1", 8123),
        ("127.0.0.1", 9000),
    ]


def test_bad_port_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "http")
    with pytest.raises(ValueError, match="PORT"):
        serve.run(responder.API())


def test_uvicorn_workers_and_reload_need_an_import_string(
    uvicorn_calls: list[tuple[Any, dict[str, Any]]],
) -> None:
    api = responder.API()
    for options in ({"workers": 2}, {"reload": True}):
        with pytest.raises(ValueError, match="import string"):
            serve.run(api, **options)
    serve.run(api, workers=2, app_path="examples.helloworld:api")
    assert uvicorn_calls[0][0] == "examples.helloworld:api"


def test_debug_turns_on_tracebacks_and_logging(
    uvicorn_calls: list[tuple[Any, dict[str, Any]]],
) -> None:
    api = responder.API()
    serve.run(api, debug=True)
    assert api.settings.debug is True
    assert uvicorn_calls[0][1]["log_level"] == "debug"


def test_unknown_server_and_misplaced_options() -> None:
    with pytest.raises(ValueError, match="Unknown server 'hypercorn'"):
        serve.run(responder.API(), server="hypercorn")
    with pytest.raises(ValueError, match="gunicorn option"):
        serve.run(responder.API(), worker_class="gthread")
    with pytest.raises(ValueError, match="workers"):
        serve.run(responder.API(), workers=0)


def test_gunicorn_configuration(gunicorn_apps: list[BaseApplication]) -> None:
    api = responder.API()
    serve.run(api, server="gunicorn", port=8001, workers=3, worker_class="gthread", threads=4)
    (app,) = gunicorn_apps
    assert app.cfg.bind == ["127.0.0.1:8001"]
    assert app.cfg.workers == 3
    assert app.cfg.threads == 4
    assert app.cfg.worker_class_str == "gthread"
    assert app.load() is api


def test_gunicorn_ipv6_bind(gunicorn_apps: list[BaseApplication]) -> None:
    serve.run(responder.API(), server="gunicorn", address="::1", port=8002)
    assert gunicorn_apps[0].cfg.bind == ["[::1]:8002"]


def test_gunicorn_rejects_unknown_settings_and_workers() -> None:
    with pytest.raises(ValueError, match="Unknown gunicorn setting"):
        serve.run(responder.API(), server="gunicorn", no_such_option=1)
    with pytest.raises(ValueError, match="Unsupported gunicorn worker class 'gevent'"):
        serve.run(responder.API(), server="gunicorn", worker_class="gevent")


def test_uvicorn_worker_names_resolve_or_explain(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        resolved = serve.resolve_worker_class("uvicorn.workers.UvicornWorker")
    except serve.ServerUnavailableError as exc:
        assert "uvicorn-worker" in str(exc)
    else:
        assert resolved in ("uvicorn_worker.UvicornWorker", "uvicorn.workers.UvicornWorker")
    monkeypatch.setattr(serve, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match="pip install uvicorn-worker"):
        serve.resolve_worker_class("uvicorn")


def test_cli_passes_options_through(uvicorn_calls: list[tuple[Any, dict[str, Any]]]) -> None:
    from examples.helloworld import api

    status = cli.main(["run", "examples.helloworld:api", "--port", "8003", "--address", "::1"])
    assert status == 0
    assert uvicorn_calls == [
        (api, {"host": "::1", "port": 8003, "workers": 1, "reload": False, "log_level": "info"})
    ]


def test_cli_reports_bad_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "no_such_module:api"]) == 2
    assert "Could not import module 'no_such_module'" in capsys.readouterr().err
    assert cli.main(["run", "examples.helloworld:missing"]) == 2
    assert "no attribute 'missing'" in capsys.readouterr().err


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"responder {responder.__version__}"
