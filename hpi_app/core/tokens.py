"""API tokens: issue, check and revoke. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlmodel import select

from hpi_app.core.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from hpi_app.core.principal import SCOPES, Principal
from hpi_app.db import session_scope
from hpi_app.models import ApiToken, User, utcnow

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


def authenticate_token(raw: str | None) -> Principal:
    """Resolve a raw bearer token to the principal it acts as.

    Raises:
        Unauthenticated: Missing, unknown, revoked or expired tokens, each with its own message.
    """
    if not raw:
        raise Unauthenticated("Unauthorized", code="unauthorized")
    if not _TOKEN_RE.match(raw):
        raise Unauthenticated("Invalid token", code="invalid_token")
    now = utcnow()
    with session_scope() as session:
        row = session.exec(
            select(ApiToken, User).join(User).where(ApiToken.token_hash == hash_token(raw))
        ).first()
        if row is None:
            raise Unauthenticated("Invalid token", code="invalid_token")
        token, user = row
        if token.revoked_at is not None:
            raise Unauthenticated("Token revoked", code="token_revoked")
        if token.expires_at is not None and token.expires_at <= now:
            raise Unauthenticated("Token expired", code="token_expired")
        if user.disabled_at is not None:
            raise Unauthenticated("Invalid token", code="invalid_token")
        stale = token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION
    if stale:
        _touch(token.id, now)
    return Principal(
        org_id=token.org_id,
        user_id=token.user_id,
        scopes=frozenset(token.scopes),
        token_id=token.id,
        email=user.email,
    )


def _touch(token_id: str, now: datetime) -> None:
    with session_scope(write=True) as session:
        token = session.get(ApiToken, token_id)
        if token is not None:
            token.last_used_at = now
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


def list_tokens(org_id: str) -> list[ApiToken]:
    """Every token of an organisation, newest first."""
    with session_scope() as session:
        return list(
            session.exec(
                select(ApiToken).where(ApiToken.org_id == org_id).order_by(ApiToken.created_at.desc())
            ).all()
        )
