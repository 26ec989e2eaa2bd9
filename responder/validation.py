"""Response models and whole-query models: validation at the edges of a route.

A response model validates and coerces what a handler put in `resp.media`
and strips fields the model does not declare, so a handler cannot leak a
field by accident. A response that breaks its model fails closed: 500, or the
exception itself under `debug=True`.
"""

from __future__ import annotations

import inspect
import typing
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from .errors import HTTPError

if TYPE_CHECKING:
    from .api import API
    from .request import Request
    from .response import Response
    from .routing import Route

__all__ = [
    "ResponseValidationError",
    "apply_response_model",
    "list_fields",
    "response_adapter",
    "validate_params",
]


class ResponseValidationError(HTTPError):
    """The handler's response does not match its declared model (500)."""

    def __init__(self, cause: ValidationError) -> None:
        super().__init__(500, "The response did not match its declared model.")
        self.cause = cause


def _return_annotation(func: Any) -> Any:
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # noqa: BLE001 - unresolvable forward references: no model
        return None
    return hints.get("return")


def response_adapter(explicit: Any, endpoint_funcs: list[Any]) -> TypeAdapter[Any] | None:
    """Decide a route's response model once, at registration.

    `response_model=` wins (False switches it off); otherwise a handler's
    return annotation counts when it is a single Pydantic model. A bare
    `-> list[Model]` is documentation only, so loose data keeps working.
    """
    if explicit is False:
        return None
    if explicit is not None:
        return TypeAdapter(explicit)
    for func in endpoint_funcs:
        annotation = _return_annotation(func)
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            return TypeAdapter(annotation)
    return None


def apply_response_model(api: API, route: Route, resp: Response) -> None:
    """Validate `resp.media` through the route's model and keep the plain result.

    Raises:
        ResponseValidationError: when the media breaks the model (500).
        ValidationError: the same failure, unwrapped, under `debug=True`.
    """
    adapter = route.response_adapter
    if adapter is None or not resp.has_media or resp.status_code >= 300:
        return
    media = resp.media
    if not isinstance(media, dict | list | tuple | BaseModel):
        return  # a raw ORM object is the handler's to wrap
    try:
        value = adapter.validate_python(
            media.model_dump() if isinstance(media, BaseModel) else media,
            from_attributes=True,
        )
    except ValidationError as exc:
        if api.settings.debug:
            raise
        raise ResponseValidationError(exc) from exc
    resp.media = adapter.dump_python(value, mode="json")


def list_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of a query model that collect repeated keys."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if typing.get_origin(field.annotation) in (list, tuple, set, frozenset)
    )


def validate_params(plan: tuple[type[BaseModel], frozenset[str]], req: Request) -> Any:
    """Validate the whole query string against a model; repeated keys become lists.

    Raises:
        ValidationFailed: 422 with every error.
    """
    from .arguments import ValidationFailed, validation_errors

    model, many = plan
    # The first value of a repeated key, as `req.params.get` and `Query` read it.
    data = {key: values if key in many else values[0] for key, values in req.args.lists()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(validation_errors(exc, ["query"])) from None
