"""Who is acting: a token, a signed-in member, or the holder of a task link."""

from __future__ import annotations

from dataclasses import dataclass, field

from hpi_app.vocab import Scope

SCOPES = tuple(Scope)


@dataclass(frozen=True)
class Principal:
    """The identity behind a request.

    Attributes:
        org_id: The organisation acted in.
        user_id: The member acted as.
        scopes: What the credentials allow.
        token_id: The API token used, if any.
        email: The member's email.
    """

    org_id: str
    user_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None
    email: str | None = None

    def has(self, scope: str) -> bool:
        """Whether the credentials carry ``scope``."""
        return scope in self.scopes
