"""The errors the domain core raises; each door turns them into its own answer."""

from __future__ import annotations


class DomainError(Exception):
    """A request the core refuses, with a message written for the person who made it.

    Attributes:
        message: What went wrong and, where it helps, what to do.
        code: A stable machine-readable code.
        details: ``[{"field": <JSON path>, "message": ...}]`` for field-level problems.
        extra: More keys for the answer body (e.g. the missing scope).
    """

    default_code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[dict] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or []
        self.extra = extra or {}


class InvalidInput(DomainError):
    """The input breaks a rule; ``details`` names each bad field."""

    default_code = "validation_error"


class NotFound(DomainError):
    """The thing does not exist, or belongs to another organisation."""

    default_code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (a finished task, a taken id)."""

    default_code = "conflict"


class Unauthenticated(DomainError):
    """No valid credentials."""

    default_code = "unauthorized"


class PermissionDenied(DomainError):
    """Valid credentials that lack the right for this request."""

    default_code = "insufficient_permissions"


class TooLarge(DomainError):
    """A body or file over the configured limit."""

    default_code = "payload_too_large"


class TooManyRequests(DomainError):
    """Asked again too soon; ``extra["retry_after"]`` says how many seconds to wait."""

    default_code = "rate_limited"


class Unavailable(DomainError):
    """A service the request needs (the mail server) failed; trying again later may work."""

    default_code = "unavailable"
