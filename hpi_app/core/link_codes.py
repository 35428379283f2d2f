"""One-time codes for external assignees' links (SPEC §8), kept per link.

A link for an email outside the organisation (``requires_otp``) opens only for a browser that
proves it reads that inbox: ``send_code`` emails a 6-digit code (a new code replaces the
old one; another may be sent 60 s later), ``verify_code`` checks it (a code lives 10 minutes;
5 wrong tries lock the link for 15 minutes, even against the right code) and hands out a grant:
a random secret the browser keeps in an HttpOnly cookie, checked by ``grant_allows``.

A task's links and a process's links (``core.link_targets`` says what each opens) work the same.
Everything lives in the store (``LinkAccess``, ``LinkGrant``, keyed by link: each of a task's
links has its own assignee, code, cooldown, lock and grants), so the cooldown and the lock hold
across workers and restarts; each change locks the link's row, so concurrent guesses are all
counted. Only salted hashes of codes and grants are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from hpi_app.config import settings
from hpi_app.core import timeline
from hpi_app.core.errors import Conflict, DomainError
from hpi_app.core.events import Change, bus
from hpi_app.core.link_targets import Target, build_code_message, check_open, page_path
from hpi_app.core.mail import send_mail
from hpi_app.core.sessions import COOKIE_PREFIX
from hpi_app.db import session_scope
from hpi_app.models import Link, LinkAccess, LinkGrant, utcnow

log = logging.getLogger("hpi.link_codes")

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_WRONG_CODES = 5
LOCK_DURATION = timedelta(minutes=15)
GRANT_LIFETIME = timedelta(hours=12)
GRANT_COOKIE_PREFIX = f"{COOKIE_PREFIX}hpi_link_"
MAIL_TIMEOUT_SECONDS = 10.0

_CODE_SHAPE = re.compile(r"\d{6}")


class CodeRefused(DomainError):
    """A code was not accepted, or no code can be sent now.

    ``code`` says why: ``code_wrong``, ``code_expired``, ``code_malformed``, ``no_code``,
    ``link_locked``, ``resend_too_soon`` or ``mail_failed``; ``extra`` carries
    ``retry_after`` (seconds) or ``tries_left`` where they apply.
    """

    default_code = "code_refused"


@dataclass(frozen=True)
class CodeStatus:
    """What the link page shows before the code is confirmed.

    Attributes:
        masked_email: The assignee's address, partly hidden (``j***@example.com``).
        code_sent: A code was sent and not yet used (it may have expired).
        code_expired: That code's 10 minutes are over.
        resend_in: Seconds until another code may be sent (0: now).
        locked_for: Seconds the link stays locked after too many wrong codes (0: not locked).
        tries_left: Wrong codes still allowed before the lock.
    """

    masked_email: str
    code_sent: bool = False
    code_expired: bool = False
    resend_in: int = 0
    locked_for: int = 0
    tries_left: int = MAX_WRONG_CODES


def mask_email(email: str) -> str:
    """An address with its local part hidden but its first letter: ``j***@example.com``."""
    local, at, domain = (email or "").partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def grant_cookie_name(link_id: str) -> str:
    """The cookie holding the grant of one link (each link has its own)."""
    return f"{GRANT_COOKIE_PREFIX}{link_id}"


def grant_in_cookies(link_id: str, cookie_header: str) -> str | None:
    """The grant for ``link_id`` inside a ``Cookie`` header, if any."""
    name = grant_cookie_name(link_id)
    for part in (cookie_header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def _seconds(delta: timedelta) -> int:
    return max(0, math.ceil(delta.total_seconds()))


def _minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _tries(count: int) -> str:
    return f"{count} {'try' if count == 1 else 'tries'} left"


def message_for(reason: str, status: CodeStatus | None = None) -> str:
    """What to tell the person when a code is refused for ``reason`` (a ``CodeRefused`` code)."""
    status = status or CodeStatus(masked_email="")
    messages = {
        "code_wrong": f"That code isn't right. {_tries(status.tries_left)}.",
        "code_expired": (
            f"That code has expired: codes last {_minutes(_seconds(CODE_LIFETIME))}. Ask for a new code."
        ),
        "code_malformed": f"Enter the {CODE_DIGITS}-digit code from the email.",
        "no_code": "There is no code to check yet. Ask for a code first.",
        "link_locked": (
            "Too many wrong codes, so this link is locked for "
            f"{_minutes(status.locked_for or _seconds(LOCK_DURATION))}. Then ask for a new code."
        ),
        "resend_too_soon": f"A code was just sent. You can ask for another in {status.resend_in} s.",
        "mail_failed": "We couldn't send the email just now. Please try again in a minute.",
    }
    return messages.get(reason, "That code couldn't be checked. Please try again.")


def _hash_code(task_id: str, code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}:{task_id}:{code}".encode()).hexdigest()
    return f"{salt}${digest}"


def _code_matches(task_id: str, code: str, stored: str) -> bool:
    salt, _, _ = stored.partition("$")
    return hmac.compare_digest(_hash_code(task_id, code, salt), stored)


def _hash_grant(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _link_needing_code(link_id: str) -> tuple[Link, Target]:
    """The open external-assignee link ``link_id`` and what it opens (a pending task, a process).

    Raises:
        NotFound: No such link.
        Conflict: The link is withdrawn or expired, the task is finished, or the link needs no code.
    """
    link, target = check_open(link_id)
    if not link.requires_otp or not link.assignee_email:
        raise Conflict("This link needs no code.", code="code_not_needed")
    return link, target


def link_page(link_id: str) -> str:
    """The path of the page of ``link_id`` (a task's or a process's), where a code sends the person back."""
    return page_path(link_id)


def _locked_link(session: Session, link_id: str) -> Link:
    # Serialises every code change of one link (SQLite's write transactions already are).
    return session.exec(select(Link).where(Link.id == link_id).with_for_update()).one()


def _status(link: Link, access: LinkAccess | None, now: datetime) -> CodeStatus:
    masked = mask_email(link.assignee_email or "")
    if access is None:
        return CodeStatus(masked_email=masked)
    if access.locked_until is not None and access.locked_until > now:
        return CodeStatus(masked_email=masked, locked_for=_seconds(access.locked_until - now), tries_left=0)
    lock_passed = access.locked_until is not None
    resend_in = _seconds(access.last_sent_at + RESEND_AFTER - now) if access.last_sent_at else 0
    sent = access.code_hash is not None
    return CodeStatus(
        masked_email=masked,
        code_sent=sent,
        code_expired=sent and access.code_expires_at is not None and access.code_expires_at <= now,
        resend_in=resend_in,
        tries_left=MAX_WRONG_CODES if lock_passed else max(0, MAX_WRONG_CODES - access.failed_attempts),
    )


def code_status(link_id: str) -> CodeStatus:
    """Where the link stands: a code sent or not, the resend countdown, the lock, tries left."""
    link, _target = _link_needing_code(link_id)
    with session_scope() as session:
        access = session.get(LinkAccess, link.id)
    return _status(link, access, utcnow())


def _event(session: Session, link: Link, target: Target, kind: str) -> tuple[str, int]:
    """Note a code step on the timeline of what the link opens (not streamed, not pushed)."""
    return kind, timeline.record(session, link.org_id, target.subject, kind, link.assignee_email)


def _announce(link: Link, target: Target, events: list[tuple[str, int]]) -> None:
    for kind, event_id in events:
        bus.publish(
            Change(target.event_name(kind), link.org_id, target.subject, target.status, False, event_id)
        )


def send_code(link_id: str, base_url: str) -> CodeStatus:
    """Email a new code to the assignee of the link ``link_id``; it replaces any earlier code.

    Args:
        link_id: The link (one of a task's or a process's links).
        base_url: The public base URL the link in the email is built on.

    Returns:
        The link's status after sending (the resend countdown has started).

    Raises:
        CodeRefused: ``resend_too_soon`` within 60 s of the last code (``retry_after`` says how
            long to wait), ``link_locked`` while locked, ``mail_failed`` when the mail server
            refused (the cooldown is then lifted again).
    """
    link, target = _link_needing_code(link_id)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with session_scope(write=True) as session:
        link = _locked_link(session, link.id)
        now = utcnow()
        access = session.get(LinkAccess, link.id)
        status = _status(link, access, now)
        if status.locked_for:
            raise CodeRefused(
                message_for("link_locked", status),
                code="link_locked",
                extra={"retry_after": status.locked_for},
            )
        if status.resend_in:
            raise CodeRefused(
                message_for("resend_too_soon", status),
                code="resend_too_soon",
                extra={"retry_after": status.resend_in},
            )
        if access is None:
            access = LinkAccess(link_id=link.id)
            session.add(access)
        if access.locked_until is not None:  # a lock that has run out starts a fresh count
            access.locked_until = None
            access.failed_attempts = 0
        previous_sent_at = access.last_sent_at
        access.code_hash = _hash_code(link.subject_id, code)
        access.code_expires_at = now + CODE_LIFETIME
        access.last_sent_at = now
        session.commit()
        status = _status(link, access, now)
    message = build_code_message(
        target.title,
        code,
        target.url(base_url, link.id),
        link.assignee_email,
        minutes=_minutes(_seconds(CODE_LIFETIME)),
        noun=target.noun,
    )
    try:
        send_mail(message, settings.smtp_url, MAIL_TIMEOUT_SECONDS)
    except Exception:
        log.exception("Could not email the code for a link of %s", target.subject)
        _lift_cooldown(link.id, now, previous_sent_at)
        raise CodeRefused(message_for("mail_failed"), code="mail_failed") from None
    with session_scope(write=True) as session:
        event = _event(session, link, target, "code_sent")
        session.commit()
    _announce(link, target, [event])
    return status


def _lift_cooldown(link_id: str, sent_at: datetime, previous: datetime | None) -> None:
    """After a failed email: the code never arrived, so let the person ask again at once."""
    with session_scope(write=True) as session:
        access = session.get(LinkAccess, link_id)
        if access is not None and access.last_sent_at == sent_at:
            access.last_sent_at = previous
            access.code_hash = None
            access.code_expires_at = None
            session.commit()


def verify_code(link_id: str, code: str) -> str:
    """Check a code for ``link_id``; on success returns a new grant's raw secret (for the cookie).

    The code is single-use. A wrong code counts against the link; the fifth in a row locks it
    for 15 minutes, during which even the right code is refused.

    Raises:
        CodeRefused: ``code_malformed`` (not 6 digits; not counted), ``no_code``,
            ``code_expired``, ``code_wrong`` (``tries_left``), ``link_locked`` (``retry_after``).
    """
    link, target = _link_needing_code(link_id)
    candidate = re.sub(r"[\s-]", "", code or "")
    refusal: CodeRefused | None = None
    raw_grant = ""
    with session_scope(write=True) as session:
        link = _locked_link(session, link.id)
        now = utcnow()
        access = session.get(LinkAccess, link.id)
        status = _status(link, access, now)
        events: list[tuple[str, int]] = []
        if access is None or status.locked_for:
            reason = "link_locked" if status.locked_for else "no_code"
            raise CodeRefused(
                message_for(reason, status), code=reason, extra={"retry_after": status.locked_for}
            )
        if access.locked_until is not None:  # the lock has run out: a fresh count
            access.locked_until = None
            access.failed_attempts = 0
        if not _CODE_SHAPE.fullmatch(candidate):
            refusal = CodeRefused(message_for("code_malformed"), code="code_malformed")
        elif access.code_hash is None:
            refusal = CodeRefused(message_for("no_code"), code="no_code")
        elif status.code_expired:
            refusal = CodeRefused(message_for("code_expired"), code="code_expired")
        elif not _code_matches(link.subject_id, candidate, access.code_hash):
            access.failed_attempts += 1
            left = max(0, MAX_WRONG_CODES - access.failed_attempts)
            if left == 0:
                access.locked_until = now + LOCK_DURATION
                access.code_hash = None
                access.code_expires_at = None
                events.append(_event(session, link, target, "link_locked"))
                locked = _status(link, access, now)
                refusal = CodeRefused(
                    message_for("link_locked", locked),
                    code="link_locked",
                    extra={"retry_after": locked.locked_for},
                )
            else:
                wrong = _status(link, access, now)
                refusal = CodeRefused(
                    message_for("code_wrong", wrong), code="code_wrong", extra={"tries_left": left}
                )
        else:
            access.code_hash = None
            access.code_expires_at = None
            access.failed_attempts = 0
            raw_grant = secrets.token_urlsafe(32)
            session.add(
                LinkGrant(link_id=link.id, token_hash=_hash_grant(raw_grant), expires_at=now + GRANT_LIFETIME)
            )
            events.append(_event(session, link, target, "code_verified"))
        session.commit()
    _announce(link, target, events)
    if refusal is not None:
        raise refusal
    return raw_grant


def grant_allows(link_id: str, raw_grant: str | None) -> bool:
    """Whether ``raw_grant`` is a live grant for the link ``link_id`` (a grant opens its own link only)."""
    if not raw_grant or len(raw_grant) > 100 or not link_id:
        return False
    with session_scope() as session:
        found = session.exec(
            select(LinkGrant.id).where(
                LinkGrant.token_hash == _hash_grant(raw_grant),
                LinkGrant.link_id == link_id,
                LinkGrant.expires_at > utcnow(),
            )
        ).first()
    return found is not None
