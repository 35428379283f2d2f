"""``/auth/*``: browser sign-in, sign-out, first setup and one-time codes, by HTML form posts.

The session secret (and a link's grant after its one-time code) travels only in an HttpOnly,
SameSite=Lax cookie; the Reflex pages read it from the websocket's request headers and never
see it in the browser.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from hpi_app import routes
from hpi_app.api.deps import in_thread
from hpi_app.config import settings
from hpi_app.core import accounts, link_codes, sessions
from hpi_app.core.errors import Conflict, DomainError, NotFound
from hpi_app.core.ratelimit import signin_failures_by_client, signin_failures_by_email

router = APIRouter(prefix="/auth", include_in_schema=False)


def client_address(request: Request) -> str:
    """The address sign-in attempts are counted under.

    The connection's peer, unless ``HPI_TRUSTED_PROXIES`` says how many proxies of ours stand
    in front: then the address the outermost of them saw, from the right of X-Forwarded-For
    (what a client writes there itself is to the left, and is never believed).
    """
    peer = request.client.host if request.client else "unknown"
    hops = settings.trusted_proxies
    if hops <= 0:
        return peer
    chain = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    return chain[-hops] if len(chain) >= hops else (chain[0] if chain else peer)


def _back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def _with_cookie(request: Request, target: str, name: str, raw: str, lifetime: timedelta) -> RedirectResponse:
    """Go on to ``target`` with the secret ``raw`` in an HttpOnly, SameSite=Lax cookie for ``lifetime``."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        name,
        raw,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def _signed_in(request: Request, user_id: str, target: str) -> RedirectResponse:
    raw = sessions.start_session(user_id, request.headers.get("user-agent", ""))
    return _with_cookie(request, target, sessions.SESSION_COOKIE, raw, sessions.SESSION_LIFETIME)


def _signin_wait(email_key: str, client: str) -> float:
    # The limits may count in Redis (several workers): off the event loop.
    return max(signin_failures_by_email.retry_after(email_key), signin_failures_by_client.retry_after(client))


def _signin_failed(email_key: str, client: str) -> None:
    signin_failures_by_email.hit(email_key)
    signin_failures_by_client.hit(client)


@router.post("/login")
async def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> RedirectResponse:
    """Check the password and start a session; back to the form with a reason otherwise."""
    target = routes.safe_next(next)
    email_key = email.strip().lower()
    client = client_address(request)
    wait = await in_thread(_signin_wait, email_key, client)
    if wait > 0:
        minutes = str(max(1, math.ceil(wait / 60)))
        return _back(routes.LOGIN, error="rate_limited", minutes=minutes, next=target, email=email_key)
    user = await in_thread(accounts.authenticate_password, email_key, password)
    if user is None:
        await in_thread(_signin_failed, email_key, client)
        return _back(routes.LOGIN, error="invalid", next=target, email=email_key)
    await in_thread(signin_failures_by_email.reset, email_key)
    return await in_thread(_signed_in, request, user.id, target)


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    """End the session and clear its cookie."""
    await in_thread(sessions.end_session, request.cookies.get(sessions.SESSION_COOKIE))
    response = RedirectResponse(routes.LOGIN, status_code=303)
    response.delete_cookie(sessions.SESSION_COOKIE, path="/")
    return response


@router.post("/setup")
async def setup(
    request: Request,
    org_name: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Create the first admin and the organisation, then sign in."""
    try:
        user = await in_thread(accounts.create_first_admin, email, password, org_name, name)
    except DomainError as exc:
        if exc.code == "already_set_up":
            return _back(routes.LOGIN)
        return _back(routes.SETUP, error=exc.message, org_name=org_name, name=name, email=email)
    return await in_thread(_signed_in, request, user.id, routes.DASHBOARD)


@router.post("/link-code")
async def link_code(
    request: Request,
    link_id: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Check a one-time code for an external assignee's link; a right one opens the link in this browser.

    The grant goes into an HttpOnly cookie of its own per link; a refused code goes back to the
    link page with the reason (``?code_error=code_wrong`` ...), which shows what to do.
    """
    page = await in_thread(link_codes.link_page, link_id)
    try:
        raw = await in_thread(link_codes.verify_code, link_id, code)
    except (NotFound, Conflict):
        return _back(page)  # the page itself explains a finished or unknown link
    except DomainError as exc:
        return _back(page, code_error=exc.code)
    return _with_cookie(request, page, link_codes.grant_cookie_name(link_id), raw, link_codes.GRANT_LIFETIME)
