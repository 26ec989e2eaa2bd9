"""Arguments: what each parameter of a handler, view or provider asks for.

`plan_arguments` reads a signature once, when a route is registered or a
provider first runs, and records per parameter where its value comes from:
the request or response, a path value, a marker (`Query`, `Header` ...), the
validated body, a `Depends`, or a provider looked up by name. Its own module
because both ways of filling those in, the flat plans (`flat_plans`) and the
general `Resolver` (`injection`), start from the same planning, and planning
needs neither. The 422 that bad values raise lives here too, with the
conversion of Pydantic's errors that `validation` shares.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from .errors import HTTPError
from .params import BodyParam, Dependency, Param, PathParam

if TYPE_CHECKING:
    from .request import Request

__all__ = [
    "AT_HAND",
    "EMPTY",
    "MISSING",
    "WRITE_METHODS",
    "ArgPlan",
    "ValidationFailed",
    "needs_resolver",
    "plan_arguments",
    "plans_for",
    "raw_marker",
    "take_marker",
    "validation_errors",
]


EMPTY = inspect.Parameter.empty
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REQUEST_NAMES = frozenset({"req", "request"})
_RESPONSE_NAMES = frozenset({"resp", "response"})
_SOCKET_NAMES = frozenset({"ws", "websocket"})
#: Marker sources read without the body; the others (form, file) are in the form.
AT_HAND = frozenset({"query", "header", "cookie", "path"})


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: What a marker finds when the request does not carry its value.
MISSING: Any = _Missing()


class ValidationFailed(HTTPError):
    """Request values that do not validate: 422 with every error listed."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(422, "The request is not valid.")
        self.errors = errors

    def members(self) -> dict[str, Any]:
        return {"errors": self.errors}


@dataclass(slots=True)
class ArgPlan:
    """Where one parameter's value comes from."""

    name: str
    kind: str  # request|response|socket|path|marker|body|depends|named
    default: Any = EMPTY
    marker: Param | None = None
    key: str = ""
    adapter: TypeAdapter[Any] | None = None
    many: bool = False
    provider: Callable[..., Any] | None = None
    annotation: Any = None
    #: For a body: whether it is a Pydantic model, which only an object can be.
    model: bool = False


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    target = func if inspect.isroutine(func) else getattr(func, "__call__", func)  # noqa: B004
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # noqa: BLE001 - forward references we cannot see: treat as unannotated
        return {}


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_many(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin in (list, tuple, set, frozenset)


def _adapter(annotation: Any, marker: Param | None) -> TypeAdapter[Any]:
    if annotation is None or annotation is EMPTY:
        annotation = Any
    if marker is not None and marker.constraints:
        return TypeAdapter(Annotated[annotation, Field(**marker.constraints)])
    return TypeAdapter(annotation)


def _split_annotated(annotation: Any) -> tuple[Any, Any]:
    """Return (type, marker found inside `Annotated[...]` or None)."""
    if typing.get_origin(annotation) is Annotated:
        base, *extras = typing.get_args(annotation)
        for extra in extras:
            if isinstance(extra, Param | Dependency):
                return base, extra
        return base, None
    return annotation, None


def _marker_key(name: str, marker: Param) -> str:
    if marker.alias:
        return marker.alias
    return name.replace("_", "-") if marker.source == "header" else name


def plan_arguments(func: Callable[..., Any], *, skip: int) -> tuple[ArgPlan, ...]:
    """Decide, once, where each parameter of `func` gets its value.

    Args:
        func: The handler, view method or provider.
        skip: Leading positional parameters the caller passes itself
            (2 for `(req, resp)`, 1 for `(ws)`, 0 for providers).

    Raises:
        TypeError: for a parameter that cannot be planned (`*args`).
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return ()
    hints = _hints(func)
    plans = []
    for index, param in enumerate(signature.parameters.values()):
        if index < skip or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        annotation, marker = _split_annotated(hints.get(param.name, param.annotation))
        default = param.default
        if isinstance(default, Param | Dependency):
            marker, default = default, EMPTY
        elif isinstance(marker, Param) and not marker.required and default is EMPTY:
            default = marker.default
        plans.append(_plan_one(param.name, annotation, marker, default))
    return tuple(plans)


def _plan_one(name: str, annotation: Any, marker: Any, default: Any) -> ArgPlan:
    if isinstance(marker, Dependency):
        return ArgPlan(name, "depends", provider=marker.dependency)
    if isinstance(marker, Param):
        if isinstance(marker, BodyParam):
            return ArgPlan(
                name,
                "body",
                annotation=annotation,
                adapter=_adapter(annotation, None),
                model=_is_model(annotation),
            )
        default = marker.default if default is EMPTY and not marker.required else default
        return ArgPlan(
            name,
            "path" if isinstance(marker, PathParam) else "marker",
            default=default,
            marker=marker,
            key=_marker_key(name, marker),
            adapter=_adapter(annotation, marker),
            many=_is_many(annotation),
            annotation=annotation,
        )
    if name in _REQUEST_NAMES or annotation is _request_type():
        return ArgPlan(name, "request")
    if name in _RESPONSE_NAMES:
        return ArgPlan(name, "response")
    if name in _SOCKET_NAMES or annotation is _websocket_type():
        return ArgPlan(name, "socket")
    if _is_model(annotation) and default is EMPTY:
        return ArgPlan(
            name, "body", annotation=annotation, adapter=TypeAdapter(annotation), model=True
        )
    return ArgPlan(name, "named", default=default, annotation=annotation)


def _websocket_type() -> Any:
    from .websocket import WebSocket

    return WebSocket


def _request_type() -> Any:
    from .request import Request

    return Request


def needs_resolver(plans: tuple[ArgPlan, ...]) -> bool:
    """Tell whether a callable needs more than path values."""
    return any(p.kind != "named" for p in plans)


_PLANS: dict[Any, tuple[ArgPlan, ...]] = {}


def plans_for(func: Callable[..., Any]) -> tuple[ArgPlan, ...]:
    """A provider's plan, computed on first use and kept."""
    plans = _PLANS.get(func)
    if plans is None:
        plans = _PLANS[func] = plan_arguments(func, skip=0)
    return plans


def validation_errors(exc: ValidationError, prefix: list[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as a 422 lists them: each `loc` under `prefix`, plain inputs only."""
    return [
        {
            "type": error["type"],
            "loc": [*prefix, *error["loc"]],
            "msg": error["msg"],
            **({"input": error["input"]} if _plain(error.get("input")) else {}),
        }
        for error in exc.errors(include_url=False)
    ]


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and not (
        isinstance(value, str) and len(value) > 200
    )


def raw_marker(plan: ArgPlan, req: Request, path_params: dict[str, Any]) -> Any:
    """A marker's raw value from the query, headers, cookies or path; `MISSING` if absent."""
    assert plan.marker is not None
    source = plan.marker.source
    if source == "query":
        if plan.many:
            return req.args.getlist(plan.key)
        return req.args.get(plan.key, MISSING)
    if source == "header":
        found = req.headers.getlist(plan.key)
        if plan.many:
            return found
        return found[0] if found else MISSING
    if source == "cookie":
        return req.cookies.get(plan.key, MISSING)
    return path_params.get(plan.key, MISSING)


def take_marker(plan: ArgPlan, raw: Any, errors: list[dict[str, Any]]) -> Any:
    """Coerce a marker's raw value: the value, its default, or `MISSING` with `errors` added."""
    marker = plan.marker
    assert marker is not None and plan.adapter is not None
    if raw is MISSING or (plan.many and raw == [] and not marker.required):
        if plan.default is EMPTY:
            errors.append(
                {"type": "missing", "loc": [marker.source, plan.key], "msg": "Field required"}
            )
            return MISSING
        return plan.default
    try:
        return plan.adapter.validate_python(raw)
    except ValidationError as exc:
        errors.extend(validation_errors(exc, [marker.source, plan.key]))
        return MISSING
