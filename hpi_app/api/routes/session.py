"""``/auth/*``: browser sign-in, sign-out, first setup and one-time codes, by HTML form posts.

The session secret (and a link's grant after its one-time code) travels only in an HttpOnly,
SameSite=Lax cookie (``Secure`` and ``__Host-`` named when ``HPI_PUBLIC_URL`` is https); the
Reflex pages read it from the websocket's request headers and never see it in the browser.

Every post here must come from HPI's own pages: one another site makes a browser send is
refused (``require_same_origin``), login included (login CSRF would sign the victim in as the
attacker). Refused guesses and a full password-hashing pool answer 429 with ``Retry-After``.
"""

from __future__ import annotations

import html
import math
from datetime import timedelta
from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hpi_app import routes
from hpi_app.api.deps import in_thread
from hpi_app.config import settings
from hpi_app.core import accounts, credentials, link_codes, sessions
from hpi_app.core.errors import Conflict, DomainError, NotFound, PermissionDenied, TooManyRequests


def _public_origin() -> str:
    parts = urlsplit(settings.public_url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.netloc else ""


def same_origin(request: Request) -> bool:
    """Whether a browser sent this request from HPI's own pages (or no browser sent it).

    A browser says where a request comes from: ``Sec-Fetch-Site`` (every current browser), else
    ``Origin`` (sent with every cross-site POST). ``same-origin`` (or ``none``: typed by the user)
    passes; an ``Origin`` passes when it is ``HPI_PUBLIC_URL``'s or names the host the request
    was sent to. A request with neither header comes from no browser (curl, a script): it cannot
    carry a victim's cookies, so there is nothing to forge and it passes.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site.lower() in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    origin = origin.strip().lower()
    if origin == "null" or "://" not in origin:
        return False
    if origin == _public_origin():
        return True
    host = request.headers.get("host", "").lower()
    return bool(host) and urlsplit(origin).netloc == host


async def require_same_origin(request: Request) -> None:
    """Refuse (403) a post that another site made the browser send."""
    if not same_origin(request):
        raise PermissionDenied(
            "This form was sent from another site, so HPI refused it. Open HPI's own page and try again.",
            code="cross_site_request",
        )


router = APIRouter(prefix="/auth", include_in_schema=False, dependencies=[Depends(require_same_origin)])


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


def _too_many(exc: TooManyRequests, back_to: str) -> HTMLResponse:
    """429 with ``Retry-After``; the page it shows sends the browser back to ``back_to`` (which says why)."""
    wait = int(exc.extra.get("retry_after", 1))
    target = html.escape(back_to, quote=True)
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={target}"><title>Too many requests · HPI</title>'
        f'</head><body><p>{html.escape(exc.message)}</p><p><a href="{target}">Back</a></p></body></html>'
    )
    return HTMLResponse(body, status_code=429, headers={"Retry-After": str(max(1, wait))})


def _secure(request: Request) -> bool:
    return sessions.SECURE_COOKIES or request.url.scheme == "https"


def _with_cookie(request: Request, target: str, name: str, raw: str, lifetime: timedelta) -> RedirectResponse:
    """Go on to ``target`` with the secret ``raw`` in an HttpOnly, SameSite=Lax cookie for ``lifetime``."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        name,
        raw,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    return response


def _signed_in(request: Request, user_id: str, target: str) -> RedirectResponse:
    raw = sessions.start_session(user_id, request.headers.get("user-agent", ""))
    return _with_cookie(request, target, sessions.SESSION_COOKIE, raw, sessions.SESSION_LIFETIME)


def _asked_next(request: Request, given: str) -> str:
    """Where to go once signed in: the form's ``next``, kept on this site.

    The sign-in page fills its hidden ``next`` from its query once the page is live; a form sent
    before that says "/", so then the ``next`` of the sign-in page it came from (its Referer:
    pages send it for this site's forms, ``Referrer-Policy: same-origin``) is taken instead.
    """
    if given not in ("", "/"):
        return routes.safe_next(given)
    came_from = urlsplit(request.headers.get("referer", ""))
    if came_from.path.rstrip("/") != routes.LOGIN.rstrip("/"):
        return "/"
    return routes.safe_next(parse_qs(came_from.query).get("next", ["/"])[0])


@router.post("/login")
async def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password and start a session; back to the form with a reason otherwise."""
    target = _asked_next(request, next)
    email_key = email.strip().lower()
    try:
        user = await in_thread(credentials.sign_in, email_key, password, client_address(request))
    except TooManyRequests as exc:
        minutes = str(max(1, math.ceil(int(exc.extra.get("retry_after", 60)) / 60)))
        reason = "rate_limited" if exc.code == "rate_limited" else "busy"
        back = _back(routes.LOGIN, error=reason, minutes=minutes, next=target, email=email_key)
        return _too_many(exc, back.headers["location"])
    except DomainError:
        return _back(routes.LOGIN, error="invalid", next=target, email=email_key)
    return await in_thread(_signed_in, request, user.id, target)


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    """End the session and clear its cookie."""
    await in_thread(sessions.end_session, request.cookies.get(sessions.SESSION_COOKIE))
    response = RedirectResponse(routes.LOGIN, status_code=303)
    response.delete_cookie(sessions.SESSION_COOKIE, path="/", secure=_secure(request), httponly=True)
    return response


@router.post("/setup")
async def setup(
    request: Request,
    org_name: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Create the first admin and the organisation, then sign in."""
    try:
        user = await in_thread(accounts.create_first_admin, email, password, org_name, name)
    except TooManyRequests as exc:
        back = _back(routes.SETUP, error=exc.message, org_name=org_name, name=name, email=email)
        return _too_many(exc, back.headers["location"])
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
