"""Content negotiation from Accept, and the JSON encoders."""

from __future__ import annotations

import datetime
import json
import uuid

import msgpack
import pytest
import yaml

import responder
from responder.adapters.testing import TestClient


@pytest.fixture
def data_api(api: responder.API) -> responder.API:
    @api.route("/data")
    def data(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"key": "value"}

    return api


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/yaml", "application/yaml"),
        ("application/x-yaml", "application/x-yaml"),
        ("application/x-msgpack", "application/x-msgpack"),
        ("application/yaml;q=0.9, application/json;q=0.1", "application/yaml"),
        ("application/json;q=0.5, application/x-msgpack", "application/x-msgpack"),
        ("text/html, */*;q=0.1", "application/json"),
    ],
)
def test_accept_picks_the_format(
    data_api: responder.API, client: TestClient, accept: str | None, expected: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/data", headers=headers)
    assert response.headers["content-type"] == expected
    if "yaml" in expected:
        assert yaml.safe_load(response.text) == {"key": "value"}
    elif "msgpack" in expected:
        assert msgpack.unpackb(response.content) == {"key": "value"}
    else:
        assert response.json() == {"key": "value"}


def test_preferred_media_type(api: responder.API, client: TestClient) -> None:
    @api.route("/export")
    def export(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"choice": req.preferred_media_type(["application/json", "text/csv"])}

    def choice(accept: str) -> str | None:
        return client.get("/export", headers={"Accept": accept}).json()["choice"]  # type: ignore[no-any-return]

    assert choice("text/csv") == "text/csv"
    assert choice("text/csv;q=0.2, application/json;q=0.8") == "application/json"
    assert choice("*/*") == "application/json"
    assert choice("image/png") is None


def test_json_defaults_and_big_ints(api: responder.API, client: TestClient) -> None:
    when = datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC)
    ident = uuid.UUID(int=1)

    @api.route("/values")
    def values(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"when": when, "id": ident, "big": 2**70, "text": "ünï"}

    response = client.get("/values")
    assert json.loads(response.content) == {
        "when": when.isoformat(),
        "id": str(ident),
        "big": 2**70,
        "text": "ünï",
    }
    assert "ünï".encode() in response.content


def test_a_huge_integer_does_not_change_how_nan_and_infinities_are_written(
    api: responder.API, client: TestClient
) -> None:
    """orjson writes NaN and infinities as null; its fallback for wide integers must too."""

    @api.route("/floats")
    def floats(req, resp):  # type: ignore[no-untyped-def]
        huge = 2**70 if req.params.get("huge") else 1
        resp.media = {"huge": huge, "values": [float("inf"), float("nan"), 1.5]}

    for query in ("", "?huge=1"):
        body = client.get(f"/floats{query}").content
        assert b"Infinity" not in body and b"NaN" not in body, body
        document = json.loads(body, parse_constant=lambda name: pytest.fail(name))
        assert document["values"] == [None, None, 1.5]


def test_ensure_ascii_and_custom_encoder(mode: str) -> None:
    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

    def encode(obj: object) -> object:
        if isinstance(obj, Money):
            return f"{obj.cents / 100:.2f}"
        raise TypeError

    api = responder.API(json_ensure_ascii=True, encoder=encode)

    @api.route("/price")
    def price(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"price": Money(1250), "name": "café"}

    with api.test_client(mode=mode) as client:
        response = client.get("/price")
    assert response.content == b'{"price":"12.50","name":"caf\\u00e9"}'


def test_custom_encoder_serves_every_format(mode: str) -> None:
    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

    api = responder.API(encoder=lambda obj: f"{obj.cents / 100:.2f}")

    @api.route("/price")
    def price(req, resp):  # type: ignore[no-untyped-def]
        resp.media = {"price": Money(250)}

    with api.test_client(mode=mode) as client:
        as_yaml = client.get("/price", headers={"Accept": "application/yaml"})
        as_msgpack = client.get("/price", headers={"Accept": "application/x-msgpack"})
    assert yaml.safe_load(as_yaml.text) == {"price": "2.50"}
    assert msgpack.unpackb(as_msgpack.content) == {"price": "2.50"}
