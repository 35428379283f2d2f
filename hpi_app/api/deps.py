"""Dependencies shared by the API's routes: who is calling, and the public base URL.

Also ``in_thread``, the hop the API's hot routes take to run blocking core code.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hpi_app import routes
from hpi_app.core.principal import Principal
from hpi_app.core.stream_slots import streams
from hpi_app.core.tokens import authenticate_token, require_scope
from hpi_app.vocab import Scope

P = ParamSpec("P")
T = TypeVar("T")

# Threads for the store calls of every authenticated request. Few: these calls are short, SQLite
# takes one writer at a time, and every extra thread contends for the GIL (PostgreSQL pools 15).
IN_THREAD_WORKERS = 16
_executor: tuple[int, ThreadPoolExecutor] | None = None


def _threads() -> ThreadPoolExecutor:
    # One pool per process: Granian forks its workers after this module is imported.
    global _executor
    if _executor is None or _executor[0] != os.getpid():
        _executor = (os.getpid(), ThreadPoolExecutor(IN_THREAD_WORKERS, thread_name_prefix="hpi-api"))
    return _executor[1]


async def in_thread(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking ``func`` in a worker thread, with this context's variables, and await it.

    The same as Starlette's ``run_in_threadpool`` for the caller, but a lighter hop (a plain
    executor instead of anyio's limiter and cancel scopes): every API request takes one or two,
    and every route of the API door uses this one.
    """
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_threads(), call)


def bearer_token(request: Request) -> str | None:
    """The raw token from ``Authorization: Bearer <token>``, if the header has one."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


# Declares ``Authorization: Bearer htk_...`` in the OpenAPI document of every route that needs a
# token (with the scopes it needs); the token itself is read by ``bearer_token``, so a missing or
# malformed header is our own 401, not this scheme's.
BEARER = HTTPBearer(auto_error=False, scheme_name="token", description="`Authorization: Bearer htk_...`")
Credentials = HTTPAuthorizationCredentials | None


async def current_principal(
    request: Request, _declared: Annotated[Credentials, Security(BEARER)]
) -> Principal:
    """The identity of the calling token (401 without a valid one)."""
    return await in_thread(authenticate_token, bearer_token(request))


def scoped(*scopes: str) -> Callable[..., Principal]:
    """A dependency that answers 403 unless the caller's token carries one of ``scopes``."""

    # Authenticates itself rather than depending on current_principal: one dependency less to solve.
    async def dependency(request: Request, _declared: Credentials = None) -> Principal:
        principal = await in_thread(authenticate_token, bearer_token(request))
        for scope in scopes[:-1]:
            if principal.has(scope):
                return principal
        require_scope(principal, scopes[-1])
        return principal

    # Built here, not annotated in place: the scopes are this call's (annotations are strings here).
    declared = Annotated[Credentials, Security(BEARER, scopes=list(scopes))]
    dependency.__signature__ = inspect.Signature(
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            inspect.Parameter("_declared", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=declared),
        ],
        return_annotation=Principal,
    )
    dependency.__name__ = "scope_" + "_or_".join(scope.replace(":", "_") for scope in scopes)
    return dependency


async def base_url(request: Request) -> str:
    """The public base URL links are built on (``routes.public_base`` of this request's origin)."""
    return routes.public_base(str(request.base_url))


_read_scope = scoped(Scope.TASKS_READ)


async def stream_slot(principal: Annotated[Principal, Depends(_read_scope)]) -> AsyncIterator[Principal]:
    """A tasks:read caller holding one of its token's stream slots until the answer ends (429 if none)."""
    with streams.hold(principal.token_id or principal.user_id):
        yield principal


CanCreate = Annotated[Principal, Depends(scoped(Scope.TASKS_CREATE))]
CanRead = Annotated[Principal, Depends(_read_scope)]
CanStream = Annotated[Principal, Depends(stream_slot)]
AnyToken = Annotated[Principal, Depends(current_principal)]
BaseUrl = Annotated[str, Depends(base_url)]
