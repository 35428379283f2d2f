"""A text field's ``pattern``, matched in linear time with RE2 (SPEC §4).

A task author's pattern is untrusted input: Python's ``re`` backtracks, and one pattern such as
``(a+)+$`` held a worker (and its GIL) for hours. RE2 matches in time linear in the answer's
length and refuses what it cannot do so (backreferences, lookarounds); both limits below keep
compiling and matching small.
"""

from __future__ import annotations

from functools import lru_cache

import re2

MAX_PATTERN_LENGTH = 1000
"""The longest ``pattern`` a field may have, in characters."""

MAX_MATCHED_LENGTH = 10_000
"""The longest answer (or ``default``) checked against a pattern, in characters."""

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 8 << 20


class PatternError(ValueError):
    """A pattern RE2 cannot use; the message says why."""


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re2._Regexp:
    """The compiled pattern, or :class:`PatternError` saying why it cannot be used.

    Raises:
        PatternError: too long, or not a regular expression RE2 supports.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        msg = f"must be at most {MAX_PATTERN_LENGTH} characters"
        raise PatternError(msg)
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        reason = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        msg = (
            f"is not a valid regular expression: {reason} (patterns use RE2 syntax: no "
            "backreferences or lookarounds)"
        )
        raise PatternError(msg) from None


def full_match(pattern: str, value: str) -> bool:
    """Whether the whole of ``value`` matches ``pattern`` (compiled with :func:`compile_pattern`)."""
    return compile_pattern(pattern).fullmatch(value) is not None
