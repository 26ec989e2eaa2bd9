"""Injection: resolve a callable's planned parameters for one request.

`plan_arguments` (module `arguments`) has decided, once per signature, where
each parameter's value comes from. `Resolver` fills those in for one request or
WebSocket connection, memoizing providers, collecting validation errors into
one 422, and keeping the generator teardowns for after the response is sent.
It follows a callee's flat plan (`flat_plans`) when that plan has no
markers, and resolves everything else (markers, form and file values, app
scope) itself, provider by provider.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from .arguments import (
    AT_HAND,
    EMPTY,
    MISSING,
    WRITE_METHODS,
    ArgPlan,
    ValidationFailed,
    plans_for,
    raw_marker,
    take_marker,
)
from .call import Call
from .dependencies import (
    DependencyCycleError,
    DependencyResolutionError,
    DependencyScopeError,
    Provider,
    Registry,
)
from .flat_plans import (
    ENDED,
    NO_VALUE,
    FlatPlan,
    Recipe,
    Step,
    body_value,
    flat_plan,
    never_yielded,
    recipe_values,
    step_call,
    take_body,
    teardown_call,
)

if TYPE_CHECKING:
    from .request import Request
    from .response import Response

__all__ = ["START", "Resolver"]


#: The value to pass `Resolver.next_call` first: no call has run yet.
START: Any = object()


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
        if plan.marker.source in AT_HAND:
            raw = raw_marker(plan, self.req, self.path_params)
        else:
            raw = yield from self._form_value(plan.marker.source, plan)
        value = take_marker(plan, raw, errors)
        if value is not MISSING:
            values[plan.name] = value

    def _body(
        self, plan: ArgPlan, values: dict[str, Any], errors: list[dict[str, Any]]
    ) -> Generator[Call, Any, None]:
        req = self.req
        if req.method in WRITE_METHODS and plan.annotation not in self._bodies:
            media = yield Call(req.media, (), None, True, req.media_sync)
            take_body(plan, media, self._bodies, errors)
        values[plan.name] = body_value(plan, req, self._bodies)

    def _form_value(self, source: str, plan: ArgPlan) -> Generator[Call, Any, Any]:
        """A form or file marker's raw value, reading the body when first needed."""
        form = yield from self._read_form(files_only=source == "file")
        value = form.get(plan.key, MISSING)
        if plan.many and value is not MISSING and not isinstance(value, list):
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
        plan = flat_plan(callee, self.registry, self.path_params)
        if plan is None or plan.markers:
            return (yield from self.arguments(callee.plans))
        if plan.standalone:
            kwargs: dict[str, Any] = yield Call(self.run_async, (plan,), None, True)
            return kwargs
        call = self.next_call(plan, START)
        while call is not None:
            call = self.next_call(plan, (yield call))
        return self.values_for(plan.recipe)

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
                take_body(step.plan, value, self._bodies, self._errors)
            elif step.gen:
                if value is NO_VALUE:
                    raise never_yielded(step.name)
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
        return recipe_values(
            recipe, self.cache, self.path_params, self.req, self.resp, self._bodies
        )

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
        value = yield step_call(gen, NO_VALUE)
        if value is NO_VALUE:
            raise never_yielded(provider.name)
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


def _name_of(func: Any) -> str:
    return str(getattr(func, "__name__", func))


#: The arguments of a provider that takes none; never mutated.
_NO_ARGUMENTS: dict[str, Any] = {}
