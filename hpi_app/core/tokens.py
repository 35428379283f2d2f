"""API tokens: issue, check and revoke. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, or_, update
from sqlmodel import select

from hpi_app.core.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from hpi_app.core.principal import SCOPES, Principal
from hpi_app.db import read_first, session_scope
from hpi_app.models import ApiToken, User, utcnow
from hpi_app.vocab import Role

TOKEN_PREFIX = "htk_"
PREFIX_LENGTH = 12
_TOKEN_RE = re.compile(r"^htk_[0-9a-f]{64}$")
# last_used_at is refreshed at most this often, so a busy token costs no write per request.
_LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_token(raw: str) -> str:
    """The SHA-256 hex digest under which a raw token is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_scopes(scopes: list[str] | str) -> list[str]:
    """Check and order a list of scopes (or a comma-separated string)."""
    if isinstance(scopes, str):
        scopes = [s for s in (p.strip() for p in scopes.split(",")) if s]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        msg = f"Unknown scope {unknown[0]!r}." if unknown else "Give at least one scope."
        raise InvalidInput(
            f"{msg} Scopes are: {', '.join(SCOPES)}.",
            details=[{"field": "scopes", "message": f"choose from: {', '.join(SCOPES)}"}],
        )
    return [s for s in SCOPES if s in scopes]


def create_token(
    user_id: str, name: str, scopes: list[str] | str, *, expires_at: datetime | None = None
) -> tuple[str, ApiToken]:
    """Issue a token that acts as ``user_id`` in the user's organisation.

    Returns:
        The raw token (shown once, never stored) and its stored record.
    """
    name = name.strip()
    if not name:
        raise InvalidInput("Give the token a name.", details=[{"field": "name", "message": "is required"}])
    scope_list = parse_scopes(scopes)
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput(
            "The expiry must be in the future.",
            details=[{"field": "expires_at", "message": "must be in the future"}],
        )
    raw = TOKEN_PREFIX + secrets.token_hex(32)
    with session_scope(write=True) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"No user with id {user_id}.")
        token = ApiToken(
            org_id=user.org_id,
            user_id=user.id,
            name=name[:200],
            token_hash=hash_token(raw),
            prefix=raw[:PREFIX_LENGTH],
            scopes=scope_list,
            expires_at=expires_at,
        )
        session.add(token)
        session.commit()
        return raw, token


_TOKENS, _USERS = ApiToken.__table__, User.__table__
# Every API request runs this: one indexed read of plain columns, no ORM objects.
_LOOKUP = (
    select(
        _TOKENS.c.id,
        _TOKENS.c.org_id,
        _TOKENS.c.user_id,
        _TOKENS.c.scopes,
        _TOKENS.c.last_used_at,
        _TOKENS.c.expires_at,
        _TOKENS.c.revoked_at,
        _USERS.c.email,
        _USERS.c.disabled_at,
    )
    .select_from(_TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id))
    .where(_TOKENS.c.token_hash == bindparam("token_hash"))
)
_TOUCH = (
    update(_TOKENS)
    .where(_TOKENS.c.id == bindparam("token_id"))
    .where(or_(_TOKENS.c.last_used_at.is_(None), _TOKENS.c.last_used_at < bindparam("stale_before")))
    .values(last_used_at=bindparam("now"))
)


def authenticate_token(raw: str | None) -> Principal:
    """Resolve a raw bearer token to the principal it acts as.

    The store is asked on every call (nothing is cached), so a token revoked or expired a
    moment ago is refused at once, in every worker.

    Raises:
        Unauthenticated: Missing, unknown, revoked or expired tokens, each with its own message.
    """
    if not raw:
        raise Unauthenticated("Unauthorized", code="unauthorized")
    if not _TOKEN_RE.match(raw):
        raise Unauthenticated("Invalid token", code="invalid_token")
    now = utcnow()
    row = read_first(_LOOKUP, {"token_hash": hash_token(raw)})
    if row is None:
        raise Unauthenticated("Invalid token", code="invalid_token")
    if row.revoked_at is not None:
        raise Unauthenticated("Token revoked", code="token_revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated("Token expired", code="token_expired")
    if row.disabled_at is not None:
        raise Unauthenticated("Invalid token", code="invalid_token")
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION:
        _touch(row.id, now)
    return Principal(
        org_id=row.org_id,
        user_id=row.user_id,
        scopes=frozenset(row.scopes),
        token_id=row.id,
        email=row.email,
    )


def _touch(token_id: str, now: datetime) -> None:
    # Conditional, so concurrent requests of one token write it once per resolution period.
    with session_scope(write=True) as session:
        stale_before = now - _LAST_USED_RESOLUTION
        session.connection().execute(_TOUCH, {"token_id": token_id, "now": now, "stale_before": stale_before})
        session.commit()


def require_scope(principal: Principal, scope: str) -> None:
    """Refuse a principal that lacks ``scope``, naming it."""
    if not principal.has(scope):
        raise PermissionDenied(
            "Insufficient permissions",
            code="insufficient_scope",
            extra={
                "required_scope": scope,
                "message": f"This request needs a token with the '{scope}' scope.",
            },
        )


def revoke_token(
    *, org_id: str | None = None, prefix: str | None = None, token_id: str | None = None
) -> ApiToken:
    """Revoke one token by its display prefix or id (within ``org_id`` when given)."""
    with session_scope(write=True) as session:
        query = select(ApiToken)
        if token_id is not None:
            query = query.where(ApiToken.id == token_id)
        elif prefix:
            query = query.where(ApiToken.prefix == prefix.strip()[:PREFIX_LENGTH])
        else:
            raise InvalidInput("Name the token to revoke by its prefix.")
        if org_id is not None:
            query = query.where(ApiToken.org_id == org_id)
        found = session.exec(query).all()
        if not found:
            raise NotFound("No token matches that prefix.")
        if len(found) > 1:
            raise InvalidInput("Several tokens share that prefix; revoke it by id.")
        token = found[0]
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            session.commit()
        return token


EXPIRY_CHOICES = {"never": None, "7d": 7, "30d": 30, "90d": 90}


@dataclass(frozen=True)
class TokenView:
    """A token as the Settings page lists it, with the email of the member it acts as."""

    token: ApiToken
    owner_email: str
    owner_name: str


def expiry_from_choice(choice: str, on_date: str = "", *, now: datetime | None = None) -> datetime | None:
    """The expiry a person picked: never, in 7/30/90 days, or at the end of a date (UTC).

    Args:
        choice: ``never``, ``7d``, ``30d``, ``90d`` or ``date``.
        on_date: For ``date``: an ISO date (``2026-03-01``); the token works until 23:59:59 UTC
            that day.
        now: The current time (for tests).

    Raises:
        InvalidInput: An unknown choice, or a missing, malformed or past date (field ``expires_at``).
    """
    now = now or utcnow()
    if choice in EXPIRY_CHOICES:
        days = EXPIRY_CHOICES[choice]
        return None if days is None else now + timedelta(days=days)
    if choice != "date":
        raise InvalidInput(
            "Choose when the token expires.",
            details=[{"field": "expires_at", "message": "unknown choice"}],
        )
    try:
        day = date.fromisoformat(on_date.strip())
    except ValueError:
        raise InvalidInput(
            "Pick the date the token expires.",
            details=[{"field": "expires_at", "message": "must be a date"}],
        ) from None
    moment = datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    if moment <= now:
        raise InvalidInput(
            "The expiry date must be today or later.",
            details=[{"field": "expires_at", "message": "must be in the future"}],
        )
    return moment


def visible_tokens(user_id: str) -> list[TokenView]:
    """The tokens a member may see in Settings, newest first.

    An admin sees every token of the organisation; a member sees only their own.
    """
    with session_scope() as session:
        viewer = session.get(User, user_id)
        if viewer is None or viewer.disabled_at is not None:
            return []
        query = (
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.org_id == viewer.org_id)
            .order_by(ApiToken.created_at.desc())
        )
        if viewer.role != Role.ADMIN:
            query = query.where(ApiToken.user_id == viewer.id)
        return [TokenView(token, owner.email, owner.name) for token, owner in session.exec(query).all()]


def revoke_token_as(user_id: str, token_id: str) -> ApiToken:
    """Revoke a token from Settings: one's own, or any of the organisation's for an admin.

    Raises:
        NotFound: No such token that this member may revoke.
    """
    with session_scope() as session:
        viewer = session.get(User, user_id)
        token = session.get(ApiToken, token_id)
    allowed = (
        viewer is not None
        and viewer.disabled_at is None
        and token is not None
        and token.org_id == viewer.org_id
        and (viewer.role == Role.ADMIN or token.user_id == viewer.id)
    )
    if not allowed:
        raise NotFound("That token no longer exists. Reload the page to see the current list.")
    return revoke_token(org_id=viewer.org_id, token_id=token_id)
