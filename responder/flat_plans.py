"""Flat plans: a callee's providers as a list of steps, not nested generators.

Most handlers take providers (by name or `Depends`), the request, path
values, markers read from the request and a body model. `flat_plan` turns
their `ArgPlan`s, once per route, into `Step`s in the order
`Resolver.arguments` would run them and a `Recipe` naming where each keyword
argument comes from; when the providers are all async, or all sync, the plan
is also compiled into code that runs them without a resolver. Its own
module because it is a second, faster way to the values `Resolver.arguments`
gives, and must match it in order, caching, teardowns and 422s: that reads
best in one place. The calls that
step and close generator dependencies live here too, as the plans, the
`Resolver` and the pipeline all use them.
"""

from __future__ import annotations

from collections.abc import Callable
from types import AsyncGeneratorType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .arguments import (
    AT_HAND,
    EMPTY,
    WRITE_METHODS,
    ArgPlan,
    ValidationFailed,
    plans_for,
    raw_marker,
    take_marker,
    validation_errors,
)
from .call import Call, awaitable
from .dependencies import DependencyResolutionError, Provider, Registry

if TYPE_CHECKING:
    from .request import Request
    from .response import Response

__all__ = [
    "ENDED",
    "NO_VALUE",
    "FlatPlan",
    "Recipe",
    "Step",
    "body_value",
    "closing_call",
    "flat_plan",
    "never_yielded",
    "recipe_values",
    "step_call",
    "take_body",
    "teardown_call",
]


#: What stepping a generator dependency returns when it ends instead of yielding.
NO_VALUE: Any = object()
ENDED: Any = object()


#: Where a flat plan takes a value from (`Recipe` entries).
_REQUEST, _RESPONSE, _PATH, _PROVIDED, _BODY = "request", "response", "path", "provided", "body"
_MARKER = "marker"
#: (parameter name, source, key): the provider's function for _PROVIDED, the plan for _BODY.
Recipe = tuple[tuple[str, str, Any], ...]


class Step:
    """One step of a flat plan: run a provider, read the body for a model, or read a marker.

    What can be decided once is: the call itself for a provider without
    parameters, and whether a generator provider is stepped with `next`
    or `anext`. A marker step (`Query`, `Header`, `Cookie`, `Path`) knows
    its `owner`: the provider whose parameter it is, or None for the
    handler's own.
    """

    __slots__ = (
        "call", "func", "gen", "is_async", "name", "owner", "plan", "provider", "recipe", "step",
        "twin",
    )  # fmt: skip

    def __init__(
        self, provider: Provider | None, plan: Any, recipe: Recipe, owner: Any = None
    ) -> None:
        self.provider = provider
        self.plan = plan
        self.recipe = recipe
        self.owner = owner
        self.call: Call | None = None
        #: Whether the provider is a generator: stepped for its value, closed later.
        self.gen = provider is not None and provider.kind in ("gen", "asyncgen")
        if provider is None:
            return
        self.func, self.name, self.is_async = provider.func, provider.name, provider.is_async
        if self.gen:  # what `step_call` would choose, chosen once
            asynchronous = provider.kind == "asyncgen"
            self.step = anext if asynchronous else next
            self.twin = _anext_on_loop if asynchronous else None
        elif not recipe:  # the same call for every request
            self.call = Call(provider.func, (), None, provider.is_async)


class FlatPlan:
    """A callee's steps, in the order `Resolver.arguments` would run them, and its recipe."""

    __slots__ = (
        "asynchronous", "call", "markers", "recipe", "size", "standalone", "steps", "sync_call",
    )  # fmt: skip

    def __init__(self, steps: tuple[Step, ...], recipe: Recipe) -> None:
        self.steps = steps
        self.size = len(steps)
        self.recipe = recipe
        providers = [step for step in steps if step.provider is not None]
        #: Marker steps: only the compiled code reads them; `Resolver.resolve` then takes
        #: the general path instead of `Resolver.next_call`.
        self.markers = any(_is_marker(step) for step in steps)
        #: Every provider is async: `call` (or `Resolver.run_async`) takes them in one call.
        self.asynchronous = all(step.is_async for step in providers)
        #: Async providers and no body: worth one coroutine even for a sync handler.
        #: (A body alone keeps the driver's calls: the sync driver reads it without a loop.)
        self.standalone = bool(providers) and self.asynchronous and len(providers) == len(steps)
        #: For async providers (and a body): them and the async handler, in one coroutine.
        self.call = _compile(self) if self.asynchronous else None
        #: For sync providers (and a body) of a sync route: them, in one generator.
        self.sync_call = (
            _compile(self, synchronous=True)
            if not any(step.is_async for step in providers)
            else None
        )


def _compile(plan: FlatPlan, *, synchronous: bool = False) -> Callable[..., Any]:
    """Write `plan` out as code that runs its steps without a resolver.

    For async providers, `call(handler, req, resp, params, teardown)` is a
    coroutine doing what `Resolver.run_async` and a call to the handler do.
    For sync ones (`synchronous`), `call(req, resp, params, teardown)` is a
    generator to `yield from` in a lifecycle driven by `drive_sync`: it
    returns the handler's keyword arguments, and yields only to hand the
    driver an awaitable a plain provider returned, as the drivers await those.

    Either way there is no loop over the steps: each provider runs once with
    its arguments named in the code, a generator is stepped to its value and
    its teardown put on `teardown`, a body is validated for its model, and
    every invalid body reported in one 422 before the handler runs.
    Generated code, as `dataclasses` does for `__init__`, because a route with
    two providers would otherwise spend more time looking values up than
    running them. The names in it are parameter names, which are
    identifiers, never client input.
    """
    namespace: dict[str, Any] = {
        "anext": anext,
        "Call": Call,
        "ENDED": ENDED,
        "NO_VALUE": NO_VALUE,
        "ValidationFailed": ValidationFailed,
        "awaitable": awaitable,
        "never_yielded": never_yielded,
        "on_loop": _anext_on_loop,
        "read_body": _read_body_sync if synchronous else _read_body,
        "raw_marker": raw_marker,
        "take_marker": take_marker,
        "same": _same,
    }
    # In the generated code, `wait` marks what a coroutine awaits; a generator does not.
    wait, step_next = ("", "next") if synchronous else ("await ", "anext")
    where: dict[int, str] = {}  # id of a provider's function or of a body plan -> its variable
    if synchronous:
        lines = ["def call(req, resp, params, teardown):"]
    else:
        lines = ["async def call(handler, req, resp, params, teardown):"]
    # Bad values of the handler's own (bodies, markers) make one 422 before it runs;
    # a provider's markers make theirs before the provider runs.
    checked = any(step.provider is None and step.owner is None for step in plan.steps)
    if checked:
        lines.append("    bodies, errors = {}, []")
    owned: dict[int, str] = {}  # id of a provider's function -> its markers' error list
    for at, step in enumerate(plan.steps):
        value = where[id(step.func if step.provider is not None else step.plan)] = f"v{at}"
        if step.provider is None:
            namespace[f"p{at}"] = step.plan
            if not _is_marker(step):
                lines.append(f"    {value} = {wait}read_body(p{at}, req, bodies, errors)")
                continue
            errors = "errors"
            if step.owner is not None:
                errors = owned.get(id(step.owner), "")
                if not errors:
                    errors = owned[id(step.owner)] = f"e{at}"
                    lines.append(f"    {errors} = []")
            lines.append(
                f"    {value} = take_marker(p{at}, raw_marker(p{at}, req, params), {errors})"
            )
            continue
        namespace[f"f{at}"], namespace[f"n{at}"] = step.func, step.name
        if id(step.func) in owned:
            lines += [
                f"    if {owned[id(step.func)]}:",
                f"        raise ValidationFailed({owned[id(step.func)]})",
            ]
        arguments = ", ".join(f"{name}={expr}" for name, expr in _arguments(step.recipe, where))
        if not step.gen:
            lines.append(f"    {value} = {wait}f{at}({arguments})")
            if synchronous:  # what `drive_sync` does with an awaitable a sync call returns
                lines += [
                    f"    if awaitable({value}):",
                    f"        {value} = yield Call(same, ({value},), None, False)",
                ]
            continue
        twin = "None, False" if synchronous else "None, True, on_loop"
        lines += [
            f"    g{at} = f{at}({arguments})",
            f"    {value} = {wait}{step_next}(g{at}, NO_VALUE)",
            f"    if {value} is NO_VALUE:",
            f"        raise never_yielded(n{at})",
            f"    teardown.append(Call({step_next}, (g{at}, ENDED), {twin}))",
        ]
    if checked:
        lines += ["    if errors:", "        raise ValidationFailed(errors)"]
    final = _arguments(plan.recipe, where)
    if synchronous:
        lines.append("    return {" + ", ".join(f"{name!r}: {expr}" for name, expr in final) + "}")
        lines.append("    yield  # never reached: it makes `call` a generator")
    else:
        arguments = ", ".join(f"{name}={expr}" for name, expr in final)
        lines.append(f"    return await handler(req, resp, {arguments})")
    code = compile("\n".join(lines), "<responder: dependency plan>", "exec")
    exec(code, namespace)  # generated from signatures: see the docstring
    call: Callable[..., Any] = namespace["call"]
    return call


def _arguments(recipe: Recipe, where: dict[int, str]) -> list[tuple[str, str]]:
    """The keyword arguments of a call in `_compile`'s code, for `recipe`: (name, expression)."""
    parts = []
    for name, source, key in recipe:
        if source is _PROVIDED or source is _BODY or source is _MARKER:
            parts.append((name, where[id(key)]))
        elif source is _PATH:
            parts.append((name, f"params[{name!r}]"))
        elif source is _REQUEST:
            parts.append((name, "req"))
        else:
            parts.append((name, "resp"))
    return parts


def _is_marker(step: Step) -> bool:
    """Whether a step reads a marker (rather than running a provider or reading the body)."""
    return step.provider is None and step.plan.kind != "body"


def _same(value: Any) -> Any:
    """Hand a value to the driver unchanged: it awaits what is awaitable."""
    return value


def _read_body_sync(
    plan: ArgPlan, req: Request, bodies: dict[Any, Any], errors: list[dict[str, Any]]
) -> Any:
    """`_read_body`, reading the body on this thread."""
    if req.method in WRITE_METHODS and plan.annotation not in bodies:
        take_body(plan, req.media_sync(), bodies, errors)
    return body_value(plan, req, bodies)


async def _read_body(
    plan: ArgPlan, req: Request, bodies: dict[Any, Any], errors: list[dict[str, Any]]
) -> Any:
    """Read and validate the body for a model parameter, once per model; return its value."""
    if req.method in WRITE_METHODS and plan.annotation not in bodies:
        take_body(plan, await req.media(), bodies, errors)
    return body_value(plan, req, bodies)


def take_body(
    plan: ArgPlan, media: Any, bodies: dict[Any, Any], errors: list[dict[str, Any]]
) -> None:
    """Validate a body for a model parameter: into `bodies` by its model, or into `errors`."""
    if plan.model and not isinstance(media, dict):
        errors.append({"type": "model_type", "loc": ["body"], "msg": "The body must be an object"})
        return
    assert plan.adapter is not None
    try:
        bodies[plan.annotation] = plan.adapter.validate_python(media)
    except ValidationError as exc:
        errors.extend(validation_errors(exc, ["body"]))


def body_value(plan: ArgPlan, req: Request, bodies: dict[Any, Any]) -> Any:
    """What a body-model parameter receives, once `take_body` has run.

    Its default (or None) on a method that sends no body; else the validated
    body, or None when it did not validate (the request ends in a 422 then).
    """
    if req.method not in WRITE_METHODS:
        return None if plan.default is EMPTY else plan.default
    return bodies.get(plan.annotation)


def recipe_values(
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
        else:  # the body, for a model
            values[name] = body_value(key, req, bodies)
    return values


def flat_plan(callee: Any, registry: Registry, params: dict[str, Any]) -> FlatPlan | None:
    """`callee`'s parameters as a flat plan, or None when `Resolver.arguments` must resolve them.

    For them the pipeline runs the plan's compiled code (`FlatPlan.call`,
    `FlatPlan.sync_call`), or else a plain loop (`Resolver.next_call` until
    it returns None, then `Resolver.values_for`), rather than
    `Resolver.arguments`' generators nested per provider, which cost more
    than the providers themselves. The order, caching, teardowns and 422s
    are those of `Resolver.arguments`.

    Args:
        callee: An `endpoint.Callee`; its `steps` slot keeps the plan
            until a provider is registered or the path values change.

    Returns:
        The plan, or None when a parameter needs the general path: a form
        or file marker, an app-scoped provider, a name nothing provides, or
        a cycle.
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
    """The plan of `flat_plan`: providers depth first, as `Resolver.arguments` runs them."""
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
            elif kind in ("marker", "path") and plan.marker and plan.marker.source in AT_HAND:
                steps.append(Step(None, plan, (), chain[-1] if chain else None))
                entries.append((name, _MARKER, plan))
            elif kind == "named" and name in path_names:
                entries.append((name, _PATH, None))
            elif kind in ("named", "depends"):
                if kind == "named":
                    provider = registry.by_name.get(name)
                else:  # `Depends(func)`: the same provider wherever func is asked for
                    provider = registry.for_func(plan.provider)  # type: ignore[arg-type]
                if provider is None or not provided(provider, chain):
                    return None
                entries.append((name, _PROVIDED, provider.func))
            else:
                return None
        return tuple(entries)

    def provided(provider: Provider, chain: tuple[Any, ...]) -> bool:
        """Add `provider`'s steps once; False when the flat path cannot run it."""
        if provider.scope != "request" or provider.func in chain:
            return False  # app scope, or a cycle: `Resolver.arguments` says which
        if provider.func not in seen:
            own = recipe(plans_for(provider.func), (*chain, provider.func))
            if own is None:
                return False
            seen.add(provider.func)
            steps.append(Step(provider, None, own))
        return True

    top = recipe(plans, ())
    return None if top is None else FlatPlan(tuple(steps), top)


def step_call(gen: Any, default: Any) -> Call:
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
    return step_call(gen, ENDED)


def closing_call(teardown: Call) -> Call:
    """Close the generator of a `teardown_call` that yielded again instead of ending."""
    gen = teardown.args[0]
    if isinstance(gen, AsyncGeneratorType):
        return Call(gen.aclose, (), None, True)
    return Call(gen.close, (), None, False)


async def _anext_on_loop(agen: Any, default: Any) -> Any:
    return await anext(agen, default)


def never_yielded(name: Any) -> DependencyResolutionError:
    """The error for a generator dependency that ended without yielding its value."""
    return DependencyResolutionError(f"Dependency {name!r} returned without yielding")
