"""``Idempotency-Key``: the same key and body replay the first answer; another body is refused.

The stored answer never keeps a webhook secret generated for the request (it lives on for the
replay window, 24 h by default): the route that replays reads it back from where it belongs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlmodel import Session

from hpi_app.config import settings
from hpi_app.core.errors import Conflict, InvalidInput
from hpi_app.models import IdempotencyKey, utcnow

MAX_KEY_LENGTH = 255
# 1 to 255 visible ASCII characters, spaces allowed inside (the API declares this pattern).
KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"


@dataclass(frozen=True)
class IdempotencyRequest:
    """A request made with an ``Idempotency-Key``, as the door that received it describes it.

    Attributes:
        key: The client's key.
        scope: What the key applies to (method and path), so one key can't replay another route.
        request_hash: A digest of the request body.
        status_code: The status the door answers a successful request with (stored with the answer).
        present: Turns the core's result into the answer the door sends (stored, then replayed).
    """

    key: str
    scope: str
    request_hash: str
    status_code: int = 200
    present: Callable[[Any], dict] | None = field(default=None, compare=False)

    @classmethod
    def build(
        cls, key: str, scope: str, body: Any, *, status_code: int = 200, present: Callable[[Any], dict]
    ) -> IdempotencyRequest:
        """Check the key and digest the (parsed) body canonically."""
        if not re.search(KEY_PATTERN, key):
            raise InvalidInput(
                f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} visible ASCII characters "
                "(spaces only inside).",
                details=[{"field": "Idempotency-Key", "message": "invalid key"}],
            )
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return cls(key, scope, hashlib.sha256(canonical.encode()).hexdigest(), status_code, present)


@dataclass(frozen=True)
class Replay:
    """The first answer to a request, stored with its key and sent again for a repeat."""

    status_code: int
    body: dict


# Plain statements on the transaction's connection: both run inside every keyed create or cancel.
_KEYS = IdempotencyKey.__table__
_FIND = select(
    _KEYS.c.id, _KEYS.c.request_hash, _KEYS.c.status_code, _KEYS.c.response, _KEYS.c.created_at
).where(
    _KEYS.c.org_id == bindparam("org_id"),
    _KEYS.c.scope == bindparam("scope"),
    _KEYS.c.key == bindparam("key"),
)
_DELETE = delete(_KEYS).where(_KEYS.c.id == bindparam("row_id"))
_INSERT = insert(_KEYS)


def find_replay(session: Session, org_id: str, req: IdempotencyRequest) -> Replay | None:
    """The stored answer for this key, if a live one exists.

    Raises:
        Conflict: The key was used with a different body.
    """
    cutoff = utcnow() - timedelta(seconds=settings.idempotency_ttl_seconds)
    conn = session.connection()
    row = conn.execute(_FIND, {"org_id": org_id, "scope": req.scope, "key": req.key}).first()
    if row is None:
        return None
    if row.created_at < cutoff:
        conn.execute(_DELETE, {"row_id": row.id})
        return None
    if row.request_hash != req.request_hash:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body. "
            "Use a new key for a new request.",
            code="idempotency_conflict",
        )
    return Replay(row.status_code, row.response)


def record(session: Session, org_id: str, req: IdempotencyRequest, result: Any) -> None:
    """Store the answer the door presents for ``result``, in the caller's transaction.

    Raises:
        IntegrityError: A concurrent request stored an answer for this key first.
    """
    session.connection().execute(
        _INSERT,
        {
            "org_id": org_id,
            "scope": req.scope,
            "key": req.key,
            "request_hash": req.request_hash,
            "status_code": req.status_code,
            "response": without_secrets(req.present(result) if req.present else {}),
            "created_at": utcnow(),
        },
    )


def without_secrets(answer: dict) -> dict:
    """``answer`` as stored for replay: each generated webhook secret left out (``{sink, url}`` stay)."""
    shown = answer.get("webhook_secrets")
    if not shown:
        return answer
    kept = [{k: v for k, v in item.items() if k != "secret"} for item in shown]
    return {**answer, "webhook_secrets": kept}


def purge_expired(session: Session) -> int:
    """Delete keys older than the replay window."""
    cutoff = utcnow() - timedelta(seconds=settings.idempotency_ttl_seconds)
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return result.rowcount or 0
