"""The ``status=`` filter of the task and process lists: one name, several, or a group name."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from hpi_app.core.errors import InvalidInput


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
