"""Injection: plan a callable's parameters once, resolve them per request.

`plan_arguments` reads a signature when a route is registered and decides,
per parameter, where its value comes from: the request or response, a path
value, a marker (`Query`, `Header` ...), the validated body, a `Depends`, or a
provider looked up by name. `Resolver` then fills those in for one request,
memoizing providers, collecting validation errors into one 422, and keeping
the generator teardowns for after the response is sent.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from types import AsyncGeneratorType
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from .call import Call
from .dependencies import (
    DependencyCycleError,
    DependencyResolutionError,
    DependencyScopeError,
    Provider,
    Registry,
)
from .errors import HTTPError
from .params import BodyParam, Dependency, Param, PathParam

if TYPE_CHECKING:
    from .request import Request
    from .response import Response

__all__ = [
    "ENDED",
    "START",
    "ArgPlan",
    "FlatPlan",
    "Resolver",
    "Step",
    "ValidationFailed",
    "closing_call",
    "flat_plan",
    "plan_arguments",
    "teardown_call",
]


EMPTY = inspect.Parameter.empty
#: The value to pass `Resolver.next_call` first: no call has run yet.
START: Any = object()
#: What stepping a generator dependency returns when it ends instead of yielding.
NO_VALUE: Any = object()
ENDED: Any = object()
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REQUEST_NAMES = frozenset({"req", "request"})
_RESPONSE_NAMES = frozenset({"resp", "response"})
_SOCKET_NAMES = frozenset({"ws", "websocket"})


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


class Resolver:
    """Resolves arguments for one request (or one WebSocket connection).

    Args:
        registry: The application's providers.
        req: The request.
        resp: The response, None for WebSocket connections.
        path_params: The values the router matched.
        socket: The WebSocket, for WebSocket routes.
    """

    __slots__ = (
        "_at", "_bodies", "_errors", "_form", "_gen", "_resolving", "cache", "path_params",
        "registry", "req", "resp", "socket", "teardown",
    )  # fmt: skip
    #: Where `next_call` is in its plan.
    _at: int

    def __init__(
        self,
        registry: Registry,
        req: Request,
        resp: Response | None,
        path_params: dict[str, Any],
        socket: Any = None,
    ) -> None:
        self.registry = registry
        self.req = req
        self.resp = resp
        self.path_params = path_params
        self.socket = socket
        self.cache: dict[Any, Any] = {}
        #: The calls closing this request's generator dependencies, oldest first.
        self.teardown: list[Call] = []
        self._resolving: list[Any] = []
        self._bodies: dict[Any, Any] = {}
        self._form: dict[str, Any] | None = None
        #: The flat path's state: the generator of the provider running, and 422 errors.
        self._gen: Any = None
        self._errors: list[dict[str, Any]] | None = None

    # -- arguments ---------------------------------------------------------

    def arguments(
        self, plans: tuple[ArgPlan, ...], *, app_scope: bool = False
    ) -> Generator[Call, Any, dict[str, Any]]:
        """Resolve every planned parameter; raise one 422 for all bad values."""
        values: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for plan in plans:
            kind = plan.kind
            if app_scope and kind in ("request", "response", "socket", "path", "marker", "body"):
                owner = self._resolving[-1] if self._resolving else None
                raise DependencyScopeError(
                    f"App-scoped dependency {_name_of(owner)!r} cannot take {plan.name!r}: "
                    "it lives per request"
                )
            if kind == "request":
                values[plan.name] = self.req
            elif kind == "response":
                values[plan.name] = self.resp
            elif kind == "socket":
                values[plan.name] = self.socket
            elif kind in ("marker", "path"):
                yield from self._marker(plan, values, errors)
            elif kind == "body":
                yield from self._body(plan, values, errors)
            elif kind == "depends":
                provider = self.registry.for_func(plan.provider)  # type: ignore[arg-type]
                values[plan.name] = yield from self.provide(provider, app_scope=app_scope)
            else:
                yield from self._named(plan, values, app_scope)
        if errors:
            raise ValidationFailed(errors)
        return values

    def _named(
        self, plan: ArgPlan, values: dict[str, Any], app_scope: bool
    ) -> Generator[Call, Any, None]:
        name = plan.name
        if not app_scope and name in self.path_params:
            values[name] = self.path_params[name]
            return
        provider = self.registry.by_name.get(name)
        if provider is not None:
            if not app_scope and provider.scope == "request" and provider.func in self.cache:
                values[name] = self.cache[provider.func]  # memoized: no generator needed
                return
            values[name] = yield from self.provide(provider, app_scope=app_scope)
        elif plan.default is EMPTY:
            raise DependencyResolutionError(
                f"Nothing provides {plan.name!r}: it is no path parameter, registered "
                "dependency or marker, and has no default"
            )

    def _marker(
        self, plan: ArgPlan, values: dict[str, Any], errors: list[dict[str, Any]]
    ) -> Generator[Call, Any, None]:
        assert plan.marker is not None
        source = plan.marker.source
        if source in _AT_HAND:
            raw = self._raw(source, plan)
        else:
            raw = yield from self._form_value(source, plan)
        self._take_marker(plan, raw, values, errors)

    def _body(
        self, plan: ArgPlan, values: dict[str, Any], errors: list[dict[str, Any]]
    ) -> Generator[Call, Any, None]:
        req = self.req
        if req.method not in WRITE_METHODS:
            values[plan.name] = None if plan.default is EMPTY else plan.default
        elif plan.annotation in self._bodies:
            values[plan.name] = self._bodies[plan.annotation]
        else:
            media = yield Call(req.media, (), None, True, req.media_sync)
            _take_body(plan, media, self._bodies, values, errors)

    def _take_marker(
        self, plan: ArgPlan, raw: Any, values: dict[str, Any], errors: list[dict[str, Any]]
    ) -> None:
        marker = plan.marker
        assert marker is not None and plan.adapter is not None
        if raw is _MISSING or (plan.many and raw == [] and not marker.required):
            if plan.default is EMPTY:
                errors.append(
                    {"type": "missing", "loc": [marker.source, plan.key], "msg": "Field required"}
                )
            else:
                values[plan.name] = plan.default
            return
        try:
            values[plan.name] = plan.adapter.validate_python(raw)
        except ValidationError as exc:
            errors.extend(_errors(exc, [marker.source, plan.key]))

    def _raw(self, source: str, plan: ArgPlan) -> Any:
        """A marker's raw value from the query, headers, cookies or path."""
        req = self.req
        if source == "query":
            if plan.many:
                return req.args.getlist(plan.key)
            return req.args.get(plan.key, _MISSING)
        if source == "header":
            found = req.headers.getlist(plan.key)
            if plan.many:
                return found
            return found[0] if found else _MISSING
        if source == "cookie":
            return req.cookies.get(plan.key, _MISSING)
        return self.path_params.get(plan.key, _MISSING)

    def _form_value(self, source: str, plan: ArgPlan) -> Generator[Call, Any, Any]:
        """A form or file marker's raw value, reading the body when first needed."""
        form = yield from self._read_form(files_only=source == "file")
        value = form.get(plan.key, _MISSING)
        if plan.many and value is not _MISSING and not isinstance(value, list):
            value = [value]
        return value

    def _read_form(self, *, files_only: bool) -> Generator[Call, Any, dict[str, Any]]:
        """The form (or only its files); the request parses the body once and keeps it."""
        req = self.req
        if files_only:
            files: dict[str, Any] = yield Call(req.files, (), is_async=True, sync=req.files_sync)
            return files
        if self._form is None:
            self._form = yield Call(req.form, (), is_async=True, sync=req.form_sync)
        return self._form

    # -- the flat path ------------------------------------------------------

    def resolve(self, callee: Any) -> Generator[Call, Any, dict[str, Any]]:
        """The keyword arguments for `callee`: by its flat plan when it has one."""
        plan = self.flat_plan(callee)
        if plan is None:
            return (yield from self.arguments(callee.plans))
        if plan.standalone:
            kwargs: dict[str, Any] = yield Call(self.run_async, (plan,), None, True)
            return kwargs
        call = self.next_call(plan, START)
        while call is not None:
            call = self.next_call(plan, (yield call))
        return self.values_for(plan.recipe)

    def flat_plan(self, callee: Any) -> FlatPlan | None:
        """`callee`'s flat plan for this request (see `flat_plan`), or None."""
        return flat_plan(callee, self.registry, self.path_params)

    async def run_async(self, plan: FlatPlan) -> dict[str, Any]:
        """Run a plan of async providers in one coroutine; return the callee's arguments.

        The same steps as driving `next_call` call by call, without a round
        trip through the driver and the lifecycle's generators per provider:
        for async providers that round trip costs more than the providers.
        Under the sync driver it is one trip to the event loop, not one each.
        """
        call = self.next_call(plan, START)
        while call is not None:
            call = self.next_call(plan, await call.func(*call.args, **call.kwargs))
        return self.values_for(plan.recipe)

    def next_call(self, plan: FlatPlan, value: Any) -> Call | None:
        """Run `plan` a call at a time: keep `value`, return the next call or None.

        Pass `START` first, then the result of each call returned. Keeping
        one step's result and beginning the next is a single call, as a
        method call costs about what running a small provider does.
        """
        steps = plan.steps
        if value is START:
            at = 0
        else:
            step = steps[self._at]
            at = self._at + 1
            if step.provider is None:  # the body just read, for a model
                if self._errors is None:
                    self._errors = []
                _take_body(step.plan, value, self._bodies, {}, self._errors)
            elif step.gen:
                if value is NO_VALUE:
                    raise _never_yielded(step.name)
                self.cache[step.func] = value
                self.teardown.append(
                    Call(step.step, (self._gen, ENDED), None, step.is_async, step.twin)
                )
            else:
                self.cache[step.func] = value
        while at < plan.size:
            step = steps[at]
            at += 1
            if step.provider is None:
                req = self.req
                if req.method in WRITE_METHODS and step.plan.annotation not in self._bodies:
                    self._at = at - 1
                    return Call(req.media, (), None, True, req.media_sync)
            elif step.func not in self.cache:
                self._at = at - 1
                return step.call or self._provider_call(step)
        return None

    def _provider_call(self, step: Step) -> Call:
        kwargs = self.values_for(step.recipe, final=False) if step.recipe else _NO_ARGUMENTS
        if not step.gen:
            return Call(step.func, (), kwargs, step.is_async)
        gen = self._gen = step.func(**kwargs)
        return Call(step.step, (gen, NO_VALUE), None, step.is_async, step.twin)

    def values_for(self, recipe: Recipe, *, final: bool = True) -> dict[str, Any]:
        """The values a recipe names, once the plan's steps have run.

        `final` (the callee's own recipe, after every step): raise the one 422
        for every bad body first. A provider's arguments are taken earlier,
        with `final=False`, as `arguments` reports bad values only at the end.
        """
        if final and self._errors:
            errors, self._errors = self._errors, None
            raise ValidationFailed(errors)
        return _values(recipe, self.cache, self.path_params, self.req, self.resp, self._bodies)

    # -- providers ---------------------------------------------------------

    def provide(self, provider: Provider, *, app_scope: bool = False) -> Generator[Call, Any, Any]:
        """Return what `provider` provides, running it at most once per scope."""
        func = provider.func
        if provider.scope == "app":
            return (yield from self._provide_app(provider))
        if app_scope:
            raise DependencyScopeError(
                f"An app-scoped dependency cannot depend on request-scoped {provider.name!r}"
            )
        if func in self.cache:
            return self.cache[func]
        value = yield from self._run(provider, app_scope=False)
        self.cache[func] = value
        return value

    def _provide_app(self, provider: Provider) -> Generator[Call, Any, Any]:
        registry = self.registry
        func = provider.func
        if func in registry.app_values:
            return registry.app_values[func]
        value = yield from self._run(provider, app_scope=True)
        with registry.lock:
            if func in registry.app_values:  # another request won the race
                return registry.app_values[func]
            registry.app_values[func] = value
        return value

    def _run(self, provider: Provider, *, app_scope: bool) -> Generator[Call, Any, Any]:
        func = provider.func
        plans = plans_for(func)
        kwargs: dict[str, Any] = _NO_ARGUMENTS
        if plans:  # a provider taking nothing cannot be part of a cycle
            if func in self._resolving:
                names = [str(self.registry.for_func(f).name) for f in [*self._resolving, func]]
                chain = " -> ".join(names)
                raise DependencyCycleError(f"Dependency cycle: {chain}")
            found = None if app_scope else self._at_hand(plans)
            if found is not None:
                kwargs = found
            else:
                self._resolving.append(func)
                try:
                    kwargs = yield from self.arguments(plans, app_scope=app_scope)
                finally:
                    self._resolving.pop()
        if provider.kind not in ("gen", "asyncgen"):
            return (yield Call(func, (), kwargs, provider.is_async))
        gen = func(**kwargs)
        value = yield _step_call(gen, NO_VALUE)
        if value is NO_VALUE:
            raise _never_yielded(provider.name)
        if app_scope:
            self.registry.app_teardown.append(gen)
        else:
            self.teardown.append(teardown_call(gen))
        return value

    def _at_hand(self, plans: tuple[ArgPlan, ...]) -> dict[str, Any] | None:
        """Resolve `plans` without a generator, when every value is already known.

        A provider's parameters are mostly path values, the request, or
        providers this request has run already (`session(settings)`); then
        `arguments` would be a generator that never yields. Returns None when
        any value needs more, and `arguments` does the whole job.
        """
        values: dict[str, Any] = {}
        for plan in plans:
            kind = plan.kind
            name = plan.name
            if kind == "named":
                if name in self.path_params:
                    values[name] = self.path_params[name]
                    continue
                provider = self.registry.by_name.get(name)
                if provider is None or provider.scope != "request":
                    return None
                func = provider.func
                if func not in self.cache:
                    return None
                values[name] = self.cache[func]
            elif kind == "request":
                values[name] = self.req
            elif kind == "response":
                values[name] = self.resp
            else:
                return None
        return values


#: Where a flat plan takes a value from (`Recipe` entries).
_REQUEST, _RESPONSE, _PATH, _PROVIDED, _BODY = "request", "response", "path", "provided", "body"
#: (parameter name, source, key): the provider's function for _PROVIDED, the plan for _BODY.
Recipe = tuple[tuple[str, str, Any], ...]


class Step:
    """One step of a flat plan: run a provider, or read the body for a model.

    What can be decided once is: the call itself for a provider without
    parameters, and whether a generator provider is stepped with `next`
    or `anext`.
    """

    __slots__ = (
        "call", "func", "gen", "is_async", "name", "plan", "provider", "recipe", "step", "twin",
    )  # fmt: skip

    def __init__(self, provider: Provider | None, plan: Any, recipe: Recipe) -> None:
        self.provider = provider
        self.plan = plan
        self.recipe = recipe
        self.call: Call | None = None
        #: Whether the provider is a generator: stepped for its value, closed later.
        self.gen = provider is not None and provider.kind in ("gen", "asyncgen")
        if provider is None:
            return
        self.func, self.name, self.is_async = provider.func, provider.name, provider.is_async
        if self.gen:  # what `_step_call` would choose, chosen once
            asynchronous = provider.kind == "asyncgen"
            self.step = anext if asynchronous else next
            self.twin = _anext_on_loop if asynchronous else None
        elif not recipe:  # the same call for every request
            self.call = Call(provider.func, (), None, provider.is_async)


class FlatPlan:
    """A callee's steps, in the order `Resolver.arguments` would run them, and its recipe."""

    __slots__ = ("asynchronous", "call", "recipe", "size", "standalone", "steps")

    def __init__(self, steps: tuple[Step, ...], recipe: Recipe) -> None:
        self.steps = steps
        self.size = len(steps)
        self.recipe = recipe
        providers = [step for step in steps if step.provider is not None]
        #: Every provider is async: `call` (or `Resolver.run_async`) takes them in one call.
        self.asynchronous = all(step.is_async for step in providers)
        #: Async providers and no body: worth one coroutine even for a sync handler.
        #: (A body alone keeps the driver's calls: the sync driver reads it without a loop.)
        self.standalone = bool(providers) and self.asynchronous and len(providers) == len(steps)
        #: For async providers (and a body): them and the async handler, in one coroutine.
        self.call = _compile(self) if self.asynchronous else None


def _compile(plan: FlatPlan) -> Callable[..., Awaitable[Any]]:
    """Write `plan` out as one coroutine that runs its steps, then the handler.

    `call(handler, req, resp, params, teardown)` does what `Resolver.run_async`
    and a call to the handler do, for a function route whose providers are
    all async, without a resolver and without a loop over the steps: each
    provider runs once with its arguments named in the code, a generator is
    stepped to its value and its teardown put on `teardown`, a body is
    validated for its model, and every invalid body reported in one 422
    before the handler runs. Generated code, as `dataclasses` does for
    `__init__`, because a route with two providers would otherwise spend
    more time looking values up than running them. The names in it are
    parameter names, which are identifiers, never client input.
    """
    namespace: dict[str, Any] = {
        "anext": anext,
        "Call": Call,
        "ENDED": ENDED,
        "NO_VALUE": NO_VALUE,
        "ValidationFailed": ValidationFailed,
        "never_yielded": _never_yielded,
        "on_loop": _anext_on_loop,
        "read_body": _read_body,
    }
    where: dict[int, str] = {}  # id of a provider's function or of a body plan -> its variable
    lines = ["async def call(handler, req, resp, params, teardown):"]
    if any(step.provider is None for step in plan.steps):
        lines.append("    bodies, errors = {}, []")
    for at, step in enumerate(plan.steps):
        value = where[id(step.func if step.provider is not None else step.plan)] = f"v{at}"
        if step.provider is None:
            namespace[f"p{at}"] = step.plan
            lines.append(f"    {value} = await read_body(p{at}, req, bodies, errors)")
            continue
        namespace[f"f{at}"], namespace[f"n{at}"] = step.func, step.name
        arguments = _arguments(step.recipe, where)
        if not step.gen:
            lines.append(f"    {value} = await f{at}({arguments})")
            continue
        lines += [
            f"    g{at} = f{at}({arguments})",
            f"    {value} = await anext(g{at}, NO_VALUE)",
            f"    if {value} is NO_VALUE:",
            f"        raise never_yielded(n{at})",
            f"    teardown.append(Call(anext, (g{at}, ENDED), None, True, on_loop))",
        ]
    if any(step.provider is None for step in plan.steps):
        lines += ["    if errors:", "        raise ValidationFailed(errors)"]
    lines.append(f"    return await handler(req, resp, {_arguments(plan.recipe, where)})")
    code = compile("\n".join(lines), "<responder: dependency plan>", "exec")
    exec(code, namespace)  # generated from signatures: see the docstring
    call: Callable[..., Awaitable[Any]] = namespace["call"]
    return call


def _arguments(recipe: Recipe, where: dict[int, str]) -> str:
    """The keyword arguments of a call in `_compile`'s code, for `recipe`."""
    parts = []
    for name, source, key in recipe:
        if source is _PROVIDED or source is _BODY:
            parts.append(f"{name}={where[id(key)]}")
        elif source is _PATH:
            parts.append(f"{name}=params[{name!r}]")
        elif source is _REQUEST:
            parts.append(f"{name}=req")
        else:
            parts.append(f"{name}=resp")
    return ", ".join(parts)


async def _read_body(
    plan: ArgPlan, req: Request, bodies: dict[Any, Any], errors: list[dict[str, Any]]
) -> Any:
    """A body model's value, as `Resolver.values_for` would give it (None if invalid)."""
    if req.method not in WRITE_METHODS:
        return None if plan.default is EMPTY else plan.default
    if plan.annotation not in bodies:
        _take_body(plan, await req.media(), bodies, {}, errors)
    return bodies.get(plan.annotation)


def _take_body(
    plan: ArgPlan,
    media: Any,
    bodies: dict[Any, Any],
    values: dict[str, Any],
    errors: list[dict[str, Any]],
) -> None:
    """Validate a body for a model parameter: into `values` and `bodies`, or into `errors`."""
    if plan.model and not isinstance(media, dict):
        errors.append({"type": "model_type", "loc": ["body"], "msg": "The body must be an object"})
        return
    assert plan.adapter is not None
    try:
        value = plan.adapter.validate_python(media)
    except ValidationError as exc:
        errors.extend(_errors(exc, ["body"]))
        return
    bodies[plan.annotation] = values[plan.name] = value


def _values(
    recipe: Recipe,
    cache: dict[Any, Any],
    params: dict[str, Any],
    req: Request,
    resp: Response | None,
    bodies: dict[Any, Any],
) -> dict[str, Any]:
    """The values a recipe names, from the providers' results and the request."""
    values: dict[str, Any] = {}
    for name, source, key in recipe:
        if source is _PROVIDED:
            values[name] = cache[key]
        elif source is _PATH:
            values[name] = params[name]
        elif source is _REQUEST:
            values[name] = req
        elif source is _RESPONSE:
            values[name] = resp
        elif req.method not in WRITE_METHODS:  # the body, for a model
            values[name] = None if key.default is EMPTY else key.default
        elif key.annotation in bodies:
            values[name] = bodies[key.annotation]
    return values


def flat_plan(callee: Any, registry: Registry, params: dict[str, Any]) -> FlatPlan | None:
    """`callee`'s parameters as a flat plan, or None when `arguments` must resolve them.

    Most handlers take registered providers, the request, path values
    and a body model. For them the pipeline runs the plan in a plain
    loop (`next_call` until it returns None, then `values_for`) rather
    than `arguments`' generators nested per provider, which cost more
    than the providers themselves. The order, caching, teardowns and
    422s are those of `arguments`.

    Args:
        callee: An `endpoint.Callee`; its `steps` slot keeps the plan
            until a provider is registered or the path values change.

    Returns:
        The plan, or None for markers, `Depends`, app scope, a name
        nothing provides or a cycle.
    """
    memo = callee.steps
    if (
        memo is None
        or memo[0] is not registry
        or memo[1] != registry.version
        or ((params or memo[2]) and params.keys() != memo[2])
    ):
        names = frozenset(params)
        memo = (registry, registry.version, names, _flat_plan(callee.plans, registry, names))
        callee.steps = memo
    return memo[3]  # type: ignore[no-any-return]


def _flat_plan(
    plans: tuple[ArgPlan, ...], registry: Registry, path_names: frozenset[str]
) -> FlatPlan | None:
    """The plan of `Resolver.flat_plan`: providers depth first, as `arguments` runs them."""
    steps: list[Step] = []
    seen: set[Any] = set()

    def recipe(plans: tuple[ArgPlan, ...], chain: tuple[Any, ...]) -> Recipe | None:
        entries: list[tuple[str, str, Any]] = []
        for plan in plans:
            kind, name = plan.kind, plan.name
            if kind == "request":
                entries.append((name, _REQUEST, None))
            elif kind == "response":
                entries.append((name, _RESPONSE, None))
            elif kind == "body" and not chain:  # the handler's own body model
                steps.append(Step(None, plan, ()))
                entries.append((name, _BODY, plan))
            elif kind != "named":
                return None
            elif name in path_names:
                entries.append((name, _PATH, None))
            else:
                provider = registry.by_name.get(name)
                if provider is None or provider.scope != "request" or provider.func in chain:
                    return None
                if provider.func not in seen:
                    own = recipe(plans_for(provider.func), (*chain, provider.func))
                    if own is None:
                        return None
                    seen.add(provider.func)
                    steps.append(Step(provider, None, own))
                entries.append((name, _PROVIDED, provider.func))
        return tuple(entries)

    top = recipe(plans, ())
    return None if top is None else FlatPlan(tuple(steps), top)


def _step_call(gen: Any, default: Any) -> Call:
    """The call advancing a generator dependency once: its value, or `default` at its end.

    `next` and `anext` with a default, rather than a function catching
    StopIteration: no frame of ours and no exception for the common case.
    Under the sync driver the async step runs as a coroutine, so the
    generator starts on the event loop, under the loop's generator hooks.
    """
    if isinstance(gen, AsyncGeneratorType):
        return Call(anext, (gen, default), None, True, _anext_on_loop)
    return Call(next, (gen, default), None, False)


def teardown_call(gen: Any) -> Call:
    """The call running a generator dependency's teardown; it returns `ENDED` if it ended."""
    return _step_call(gen, ENDED)


def closing_call(teardown: Call) -> Call:
    """Close the generator of a `teardown_call` that yielded again instead of ending."""
    gen = teardown.args[0]
    if isinstance(gen, AsyncGeneratorType):
        return Call(gen.aclose, (), None, True)
    return Call(gen.close, (), None, False)


async def _anext_on_loop(agen: Any, default: Any) -> Any:
    return await anext(agen, default)


def _never_yielded(name: Any) -> DependencyResolutionError:
    return DependencyResolutionError(f"Dependency {name!r} returned without yielding")


def _name_of(func: Any) -> str:
    return str(getattr(func, "__name__", func))


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()
#: The arguments of a provider that takes none; never mutated.
_NO_ARGUMENTS: dict[str, Any] = {}
#: Marker sources read without the body; the others are in the form.
_AT_HAND = frozenset({"query", "header", "cookie", "path"})
_PLANS: dict[Any, tuple[ArgPlan, ...]] = {}


def plans_for(func: Callable[..., Any]) -> tuple[ArgPlan, ...]:
    """A provider's plan, computed on first use and kept."""
    plans = _PLANS.get(func)
    if plans is None:
        plans = _PLANS[func] = plan_arguments(func, skip=0)
    return plans


def _errors(exc: ValidationError, prefix: list[Any]) -> list[dict[str, Any]]:
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
