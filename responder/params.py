"""Parameter markers: `Query`, `Header`, `Cookie`, `Path`, `Form`, `File`, `Depends`.

A marker says where a handler argument comes from and how to validate it. It
works as a default value (`limit: int = Query(10)`) or inside `Annotated`
(`limit: Annotated[int, Query(ge=1)] = 10`). `...` as the default marks the
value required.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

__all__ = [
    "Body",
    "BodyParam",
    "Cookie",
    "CookieParam",
    "Dependency",
    "Depends",
    "File",
    "FileParam",
    "Form",
    "FormParam",
    "Header",
    "HeaderParam",
    "Param",
    "Path",
    "PathParam",
    "Query",
    "QueryParam",
]

#: Keyword arguments a marker passes on to `pydantic.Field` as constraints.
CONSTRAINTS = frozenset(
    {
        "gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern",
        "strict", "allow_inf_nan", "max_digits", "decimal_places",
    }
)  # fmt: skip


class Param:
    """Base of the markers: a default, an optional alias, and constraints.

    Args:
        default: The value when the client sends none; `...` makes it required.
        alias: The name to read instead of the parameter's own name.
        description: Documentation for the generated OpenAPI parameter.
        **constraints: Pydantic field constraints (`ge`, `le`, `max_length` ...).

    Raises:
        TypeError: for a keyword that is not a known constraint.
    """

    source: ClassVar[str] = ""

    def __init__(
        self,
        default: Any = ...,
        *,
        alias: str | None = None,
        description: str | None = None,
        **constraints: Any,
    ) -> None:
        unknown = set(constraints) - CONSTRAINTS
        if unknown:
            raise TypeError(f"Unknown constraint(s) for {type(self).__name__}: {sorted(unknown)}")
        self.default = default
        self.alias = alias
        self.description = description
        self.constraints = constraints

    @property
    def required(self) -> bool:
        return self.default is ...

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default!r})"


class QueryParam(Param):
    """A query-string value; a `list[...]` annotation collects repeated keys."""

    source = "query"


class HeaderParam(Param):
    """A request header, named after the parameter with `_` turned into `-`."""

    source = "header"


class CookieParam(Param):
    """A request cookie."""

    source = "cookie"


class PathParam(Param):
    """A path segment, re-validated, or renamed with `alias=`."""

    source = "path"


class FormParam(Param):
    """A field of a urlencoded or multipart form body."""

    source = "form"


class FileParam(Param):
    """An uploaded file from a multipart body."""

    source = "file"


class BodyParam(Param):
    """The whole body, validated against the annotation."""

    source = "body"


class Dependency:
    """A one-off dependency: the argument is what `dependency` provides.

    Args:
        dependency: A function, generator or async function/generator;
            its own parameters are resolved the same way.
    """

    def __init__(self, dependency: Callable[..., Any]) -> None:
        if not callable(dependency):
            raise TypeError(f"Depends() needs a callable, got {dependency!r}")
        self.dependency = dependency

    def __repr__(self) -> str:
        return f"Depends({getattr(self.dependency, '__qualname__', self.dependency)!r})"


# The public spellings are factories typed to return `Any`, so that
# `limit: int = Query(10)` type-checks in user code the way it reads; the
# objects they build are the marker classes above.

MarkerFactory = Callable[..., Any]


def _factory(cls: type[Param]) -> MarkerFactory:
    def make(default: Any = ..., **options: Any) -> Any:
        return cls(default, **options)

    make.__name__ = make.__qualname__ = cls.__name__.removesuffix("Param")
    make.__doc__ = cls.__doc__
    return make


Query: MarkerFactory = _factory(QueryParam)
Header: MarkerFactory = _factory(HeaderParam)
Cookie: MarkerFactory = _factory(CookieParam)
Path: MarkerFactory = _factory(PathParam)
Form: MarkerFactory = _factory(FormParam)
File: MarkerFactory = _factory(FileParam)
Body: MarkerFactory = _factory(BodyParam)


def Depends(dependency: Callable[..., Any]) -> Any:
    """A one-off dependency: the argument is what `dependency` provides."""
    return Dependency(dependency)
