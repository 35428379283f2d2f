"""Dependencies shared by the API's routes: who is calling, and the public base URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from hpi_app.config import settings
from hpi_app.core.principal import Principal
from hpi_app.core.tokens import authenticate_token, require_scope


def bearer_token(request: Request) -> str | None:
    """The raw token from ``Authorization: Bearer <token>``, if the header has one."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def current_principal(request: Request) -> Principal:
    """The identity of the calling token (401 without a valid one)."""
    return authenticate_token(bearer_token(request))


def scoped(scope: str) -> Callable[..., Principal]:
    """A dependency that answers 403 unless the caller's token carries ``scope``."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        require_scope(principal, scope)
        return principal

    dependency.__name__ = f"scope_{scope.replace(':', '_')}"
    return dependency


async def base_url(request: Request) -> str:
    """The public base URL links are built on: ``HPI_PUBLIC_URL``, else this request's origin."""
    return settings.public_url or str(request.base_url).rstrip("/")


CanCreate = Annotated[Principal, Depends(scoped("tasks:create"))]
CanRead = Annotated[Principal, Depends(scoped("tasks:read"))]
AnyToken = Annotated[Principal, Depends(current_principal)]
BaseUrl = Annotated[str, Depends(base_url)]
