"""Checking passwords: signing in, and a member changing their own password.

Both count a guess before Argon2 checks it (``RateLimiter.take``: one atomic step, in Redis
with several workers), so parallel guesses cannot all be checked before the first failure is
counted; a success hands its attempt back. Argon2 runs on its own bounded pool
(``core.password_hashing``), which refuses at once when full.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlmodel import select

from hpi_app.core import ratelimit
from hpi_app.core.accounts import MIN_PASSWORD_LENGTH, authenticate_password, get_user
from hpi_app.core.errors import InvalidInput, PermissionDenied, TooManyRequests, Unauthenticated
from hpi_app.core.password_hashing import hash_password, verify_password
from hpi_app.core.ratelimit import RateLimiter
from hpi_app.core.sessions import secret_hash
from hpi_app.db import session_scope
from hpi_app.models import ApiToken, User, UserSession, utcnow


def _too_many(wait: float) -> TooManyRequests:
    minutes = max(1, math.ceil(wait / 60))
    return TooManyRequests(
        f"Too many sign-in attempts. Wait {minutes} minute(s) and try again.",
        code="rate_limited",
        extra={"retry_after": max(1, math.ceil(wait))},
    )


def sign_in(email: str, password: str, client: str) -> User:
    """The active user whose email and password match.

    Every attempt is counted, per email and per client address, before the password is checked;
    a right password hands both back (the email's failures are forgotten).

    Args:
        email: As typed (trimmed and lower-cased here).
        password: As typed.
        client: The address attempts are counted under.

    Raises:
        TooManyRequests: A limit is reached (``rate_limited``) or the hashing pool is full
            (``hashing_busy``); ``extra["retry_after"]`` says how many seconds to wait.
        Unauthenticated: Wrong email or password (code ``invalid``).
    """
    email_key = email.strip().lower()
    by_email, by_client = ratelimit.signin_failures_by_email, ratelimit.signin_failures_by_client
    email_attempt, wait = by_email.take(email_key)
    if email_attempt is None:
        raise _too_many(wait)
    client_attempt, wait = by_client.take(client)
    if client_attempt is None:
        by_email.refund(email_key, email_attempt)
        raise _too_many(wait)
    try:
        user = authenticate_password(email_key, password)
    except TooManyRequests:
        by_email.refund(email_key, email_attempt)
        by_client.refund(client, client_attempt)
        raise
    if user is None:
        raise Unauthenticated("That email and password don't match an account.", code="invalid")
    by_email.reset(email_key)
    by_client.refund(client, client_attempt)
    return user


# Wrong current passwords on the Account page: per user, lightly.
password_change_failures = RateLimiter(limit=5, window=15 * 60, name="password-change")


@dataclass(frozen=True)
class PasswordChanged:
    """What a password change ended besides the old password.

    Attributes:
        sessions_ended: The member's other browser sessions, now signed out.
        tokens_revoked: The member's API tokens, now revoked (they were made under the old password).
    """

    sessions_ended: int
    tokens_revoked: int


def change_password(
    user_id: str, current_password: str, new_password: str, *, keep_session: str | None = None
) -> PasswordChanged:
    """A member changes their own password, proving they know the current one.

    Wrong current passwords are rate-limited per user (each try is counted before it is
    checked). In the same transaction as the new password, every other session of the member
    is signed out (``keep_session``, the raw secret of the session asking, stays) and every API
    token of theirs is revoked: whoever learnt the old password keeps nothing it opened.

    Raises:
        InvalidInput: A wrong current password (field ``current_password``) or a new one
            that is too short (field ``new_password``).
        PermissionDenied: Too many wrong attempts (code ``rate_limited``).
        TooManyRequests: The password-hashing pool is full (code ``hashing_busy``).
    """
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The new password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            details=[{"field": "new_password", "message": "too short"}],
        )
    attempt, wait = password_change_failures.take(user_id)
    if attempt is None:
        minutes = max(1, int(wait // 60) + 1)
        raise PermissionDenied(
            f"Too many wrong passwords. Wait {minutes} minute(s) and try again.", code="rate_limited"
        )
    user = get_user(user_id)
    if user is None or user.disabled_at is not None:
        password_change_failures.refund(user_id, attempt)
        raise PermissionDenied("Your account is no longer active. Sign in again.", code="not_a_member")
    try:
        right = verify_password(user.password_hash, current_password)
        new_hash = hash_password(new_password) if right else ""
    except TooManyRequests:
        password_change_failures.refund(user_id, attempt)
        raise
    if not right:
        raise InvalidInput(
            "Your current password is not right.",
            code="wrong_password",
            details=[{"field": "current_password", "message": "is not right"}],
        )
    password_change_failures.reset(user_id)
    keep = secret_hash(keep_session) if keep_session else None
    now = utcnow()
    with session_scope(write=True) as session:
        fresh = session.get(User, user_id)
        fresh.password_hash = new_hash
        session.add(fresh)
        ended = revoked = 0
        for record in session.exec(
            select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        ).all():
            if record.token_hash != keep:
                record.revoked_at = now
                ended += 1
        for token in session.exec(
            select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        ).all():
            token.revoked_at = now
            revoked += 1
        session.commit()
    return PasswordChanged(sessions_ended=ended, tokens_revoked=revoked)
