"""Media formats: encoding, decoding and choosing one from an `Accept` header.

JSON is the default. YAML and MessagePack are negotiated from `Accept` with
q-values. orjson is used for JSON when it is installed; anything orjson refuses
(integers past 64 bits, `json_ensure_ascii=True`, a `json.JSONEncoder`
subclass as encoder) goes through the standard library, so nothing that the
standard library can encode stops working.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any

import msgpack
import yaml
from pydantic import BaseModel
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .errors import HTTPError
from .uploads import UploadFile

orjson: Any
try:  # orjson is an optional extra
    import orjson
except ImportError:  # pragma: no cover - the test set-up installs it
    orjson = None

__all__ = [
    "JSON",
    "MSGPACK",
    "YAML",
    "Codec",
    "MalformedBody",
    "format_for_content_type",
    "negotiate",
    "to_plain",
]

JSON = "application/json"
YAML = "application/yaml"
YAML_LEGACY = "application/x-yaml"
MSGPACK = "application/x-msgpack"

#: Response types `resp.media` can be rendered as, in server preference order.
RENDERABLE = (JSON, YAML, YAML_LEGACY, MSGPACK)
_FORMAT_BY_TYPE = {
    JSON: "json",
    YAML: "yaml",
    YAML_LEGACY: "yaml",
    "text/yaml": "yaml",
    MSGPACK: "msgpack",
    "application/msgpack": "msgpack",
    "application/vnd.msgpack": "msgpack",
    "application/x-www-form-urlencoded": "form",
    "multipart/form-data": "form",
}

Default = Callable[[Any], Any]


class MalformedBody(HTTPError):
    """A request body that does not parse as the format it claims (400)."""

    def __init__(self, fmt: str, reason: str) -> None:
        super().__init__(400, f"Malformed {fmt} body: {reason}")


def to_plain(obj: Any, default: Callable[[Any], Any] | None = None) -> Any:
    """Turn the values `resp.media` may hold into JSON-like builtins.

    Pydantic models, dataclasses, dates, UUIDs, decimals, enums, paths, sets
    and uploaded files are what handlers commonly return; YAML and MessagePack
    know none of them.

    Raises:
        TypeError: for a value with no known plain form.
    """
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_plain(dataclasses.asdict(obj), default)
    if isinstance(obj, Mapping):
        return {
            str(k) if not isinstance(k, str) else k: to_plain(v, default) for k, v in obj.items()
        }
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_plain(v, default) for v in obj]
    if isinstance(obj, enum.Enum):
        return to_plain(obj.value, default)
    if isinstance(obj, datetime.date | datetime.time):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID | PurePath | decimal.Decimal):
        return str(obj)
    if isinstance(obj, UploadFile):  # a decoded form echoed back: its facts, not its bytes
        return obj.describe()
    if obj is None or isinstance(obj, str | int | float | bool | bytes):
        return obj
    if default is not None:
        return to_plain(default(obj))
    raise TypeError(f"Object of type {type(obj).__name__} is not serializable")


_INT64 = range(-(2**63), 2**64)


def _plain_key(key: Any) -> str:
    if isinstance(key, str):
        return sanitize(key)  # type: ignore[no-any-return]
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    if isinstance(key, datetime.date | datetime.time):
        return key.isoformat()
    return str(key)


def sanitize(obj: Any, *, wide_ints: bool = True, finite: bool = False) -> Any:
    """Convert decoded data to values every format can carry.

    Keys become strings, bytes and lone surrogates become text, timestamps
    and dates become ISO strings, (unless `wide_ints`) integers past 64
    bits become strings, and (if `finite`) NaN and infinities become None.
    Anything else is returned unchanged, so an object no format knows still
    fails loudly.
    """
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            return obj.encode("utf-8", "replace").decode("utf-8")
        return obj
    if isinstance(obj, dict):
        return {
            _plain_key(k): sanitize(v, wide_ints=wide_ints, finite=finite) for k, v in obj.items()
        }
    if isinstance(obj, list | tuple):
        return [sanitize(v, wide_ints=wide_ints, finite=finite) for v in obj]
    if finite and isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, msgpack.Timestamp):
        return obj.to_datetime().isoformat()
    if isinstance(obj, datetime.date | datetime.time):
        return obj.isoformat()
    if isinstance(obj, int) and not isinstance(obj, bool) and not wide_ints and obj not in _INT64:
        return str(obj)
    return obj


def _leaf_default(obj: Any) -> Any:
    """Encode one value that a JSON encoder met and does not know."""
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, msgpack.Timestamp):
        return obj.to_datetime().isoformat()
    return to_plain(obj)


#: Digits enough to spell an integer past 64 bits (2**64 has 20, -2**63 - 1 has 19).
_WIDE_DIGITS = re.compile(rb"[0-9]{19}")


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number is infinity when parsed as double: {text[:40]}")
    return value


def _load_exact_json(data: bytes) -> Any:
    """The standard library's JSON, keeping wide integers exact, with orjson's strictness.

    UTF-8 only (the standard library would also guess UTF-16 and UTF-32),
    and neither `NaN`/`Infinity` nor numbers too large for a double.
    """
    return json.loads(data.decode("utf-8"), parse_constant=_not_json, parse_float=_finite_float)


class Codec:
    """Encodes and decodes media for one API, honouring its JSON settings.

    Args:
        ensure_ascii: Escape non-ASCII in JSON (forces the standard library).
        encoder: A `json.JSONEncoder` subclass, or a `default` callable used
            for values no encoder knows.
    """

    def __init__(self, *, ensure_ascii: bool = False, encoder: Any = None) -> None:
        self.ensure_ascii = ensure_ascii
        self._encoder_cls: type[json.JSONEncoder] | None = None
        self._default: Default = _leaf_default
        self._user_default: Default | None = None
        if isinstance(encoder, type) and issubclass(encoder, json.JSONEncoder):
            self._encoder_cls = encoder
        elif encoder is not None:
            user_default: Default = encoder
            self._user_default = user_default

            def chained(obj: Any) -> Any:
                try:
                    return user_default(obj)
                except TypeError:
                    return _leaf_default(obj)

            self._default = chained
        self._use_orjson = orjson is not None and not ensure_ascii and self._encoder_cls is None

    def dump_json(self, obj: Any) -> bytes:
        """Encode `obj` as UTF-8 JSON."""
        if self._use_orjson:
            try:
                return orjson.dumps(obj, default=self._default)  # type: ignore[no-any-return,unused-ignore]
            except TypeError:  # orjson.JSONEncodeError: e.g. an int past 64 bits
                # The standard library takes what orjson cannot, but keeps orjson's
                # null for NaN and infinities: a huge integer in a document must not
                # turn the floats beside it into literals that are not JSON.
                return self._stdlib_json(sanitize(obj, finite=True))
        try:
            return self._stdlib_json(obj)
        except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
            return self._stdlib_json(sanitize(obj))

    def _stdlib_json(self, obj: Any) -> bytes:
        text = json.dumps(
            obj,
            ensure_ascii=self.ensure_ascii,
            cls=self._encoder_cls,
            default=None if self._encoder_cls else self._default,
            separators=(",", ":"),
        )
        return text.encode("utf-8")

    def encode(self, obj: Any, mimetype: str) -> bytes:
        """Encode `obj` as the media type chosen by negotiation.

        Data decoded from one format does not always fit another (YAML dates
        as keys, MessagePack timestamps, integers past 64 bits, lone
        surrogates); such values are converted to their plain form rather
        than failing the response. Objects no format knows still raise.
        """
        fmt = _FORMAT_BY_TYPE.get(mimetype, "json")
        if fmt == "yaml":
            try:
                plain = to_plain(obj, self._user_default)
                return yaml.safe_dump(plain, allow_unicode=True, sort_keys=False).encode()
            except (ValueError, yaml.YAMLError):
                plain = sanitize(to_plain(obj, self._user_default))
                return yaml.safe_dump(plain, allow_unicode=True, sort_keys=False).encode()
        if fmt == "msgpack":
            try:
                return msgpack.packb(obj, default=self._default, use_bin_type=True)  # type: ignore[no-any-return]
            except (TypeError, ValueError, OverflowError):
                packed = sanitize(obj, wide_ints=False)
                return msgpack.packb(packed, default=self._default, use_bin_type=True)  # type: ignore[no-any-return]
        return self.dump_json(obj)

    @staticmethod
    def load_json(data: bytes) -> Any:
        """Decode a JSON body; raise `MalformedBody` (400) on bad input.

        orjson reads an integer outside [-2**63, 2**64) as a float, silently
        rounding it; a body that may hold one (a run of 19 digits or more)
        goes to the standard library instead, held to orjson's rules. Without
        orjson every body takes that path, so what is valid JSON does not
        depend on whether orjson is installed.
        """
        try:
            if orjson is not None and _WIDE_DIGITS.search(data) is None:
                return orjson.loads(data)
            return _load_exact_json(data)
        except (ValueError, RecursionError) as exc:
            raise MalformedBody(
                "JSON", str(exc).splitlines()[0] if str(exc) else "invalid"
            ) from None

    @staticmethod
    def load_yaml(data: bytes) -> Any:
        """Decode a YAML body with the safe loader; raise `MalformedBody` on bad input."""
        try:
            return yaml.safe_load(data)
        except (yaml.YAMLError, RecursionError, UnicodeDecodeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else "invalid"
            raise MalformedBody("YAML", reason) from None

    @staticmethod
    def load_msgpack(data: bytes) -> Any:
        """Decode a MessagePack body; raise `MalformedBody` on bad input."""
        try:
            return msgpack.unpackb(data, raw=False, strict_map_key=False)
        except (
            ValueError,
            TypeError,
            msgpack.ExtraData,
            msgpack.FormatError,
            msgpack.StackError,
            RecursionError,
        ) as exc:
            raise MalformedBody("MessagePack", type(exc).__name__) from None


#: Deepest nesting a decoded body may have. Far beyond real documents, and
#: below the depth at which encoders (orjson stops at 255) and recursive
#: code give up, so a hostile body is refused with a 400 up front.
MAX_DEPTH = 200
#: Bodies shorter than this cannot nest past `MAX_DEPTH` (two bytes per level).
SHALLOW = 2 * MAX_DEPTH


def check_depth(value: Any, size: int) -> Any:
    """Refuse a decoded body nested deeper than `MAX_DEPTH` (400).

    A body of `size` bytes cannot nest deeper than `size // 2` levels, so
    small bodies, the common case, skip the walk.
    """
    if size < SHALLOW:
        return value
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MalformedBody("media", f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return value


def format_for_content_type(mimetype: str) -> str | None:
    """Map a request `Content-Type` (without parameters) to a format name."""
    fmt = _FORMAT_BY_TYPE.get(mimetype)
    if fmt is None and mimetype.endswith("+json"):
        return "json"
    return fmt


def parse_accept(header: str | None) -> MIMEAccept:
    """Parse an `Accept` header, tolerating junk the way browsers expect."""
    return parse_accept_header(header, MIMEAccept)


def negotiate(accept_header: str | None, candidates: tuple[str, ...] | list[str]) -> str | None:
    """Pick the candidate the client ranks highest; ties keep candidate order.

    Returns the first candidate when there is no `Accept` header, and None when
    the client accepts none of them.
    """
    if not accept_header:
        return candidates[0] if candidates else None
    return parse_accept(accept_header).best_match(candidates)
