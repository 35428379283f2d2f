"""The ``status=`` filter of the task and process lists: one name, several, or a group name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from hpi_app.core.errors import InvalidInput


def status_pattern(vocabulary: type[StrEnum], group: str) -> str:
    """The regular expression of a ``status`` filter: names and ``group``, comma-separated, or nothing.

    :func:`parse_statuses` refuses what it does not match; the API declares it in the OpenAPI document.
    """
    name = "(?:" + "|".join(re.escape(word) for word in (*vocabulary, group)) + ")"
    return f"^(?:{name}(?:,{name})*)?$"


def parse_statuses(
    raw: str | None, vocabulary: type[StrEnum], group: str, group_statuses: Sequence[str]
) -> tuple[str, ...]:
    """Read ``status=a`` or ``status=a,b``, where ``group`` stands for every one of ``group_statuses``.

    Args:
        raw: The query parameter as sent (``None`` or empty: no filter).
        vocabulary: The statuses one may name.
        group: The word that names several at once (``done``, ``finished``).
        group_statuses: What ``group`` stands for, in the order they are listed.

    Returns:
        The statuses asked for, each once, in the order first named.

    Raises:
        InvalidInput: A name that is neither a status nor the group word.
    """
    if not raw:
        return ()
    names = tuple(vocabulary)
    if not re.search(status_pattern(vocabulary, group), raw):
        raise InvalidInput(
            f"Unknown status in '{raw}': use names separated by commas, no spaces.",
            details=[{"field": "status", "message": f"must be one or more of: {', '.join(names)}, {group}"}],
        )
    out: list[str] = []
    for part in (p.strip() for p in raw.split(",")):
        if part == group:
            out.extend(group_statuses)
        elif part in names:
            out.append(vocabulary(part))
        else:
            raise InvalidInput(
                f"Unknown status '{part}'.",
                details=[{"field": "status", "message": f"must be one of: {', '.join(names)}, {group}"}],
            )
    return tuple(dict.fromkeys(out))
