"""What the task and process lists share: ``meta.<key>=<value>`` filters and the templates in use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import func, select

from hpi_app.core.errors import InvalidInput
from hpi_app.db import session_scope

# A metadata filter key: longer, or with a quote or backslash, and no JSON path can name it.
MAX_META_KEY = 100
META_PREFIX = "meta."


def parse_meta_filters(params: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The ``meta.<key>=<value>`` pairs among a query string's ``params`` (several are ANDed).

    Raises:
        InvalidInput: ``meta.`` with no key, or a key no metadata filter can name (over 100
            characters, or with a quote or backslash, which the stores' JSON paths cannot hold).
    """
    pairs: list[tuple[str, str]] = []
    for name, value in params:
        if not name.startswith(META_PREFIX):
            continue
        key = name[len(META_PREFIX) :]
        if not key:
            raise InvalidInput(
                "A metadata filter needs a key: meta.<key>=<value>, e.g. meta.env=prod.",
                details=[{"field": name, "message": "needs a metadata key after 'meta.'"}],
            )
        if len(key) > MAX_META_KEY or '"' in key or "\\" in key:
            raise InvalidInput(
                "A metadata key in a filter can't be over 100 characters or hold a quote or backslash.",
                details=[{"field": name, "message": "unusable metadata key"}],
            )
        pairs.append((key, value))
    return tuple(pairs)


@dataclass(frozen=True)
class TemplateUse:
    """One ``template_id`` in use: how many tasks (or processes) carry it, and the newest one's time."""

    template_id: str
    count: int
    last_used_at: datetime


def template_uses(org_id: str, *, org: Any, template: Any, made_at: Any) -> list[TemplateUse]:
    """The distinct ``template`` values of ``org_id``'s rows, most recently made first.

    ``org``, ``template`` and ``made_at`` are the columns of one table (tasks, processes).
    """
    last_used = func.max(made_at)
    with session_scope() as session:
        rows = session.exec(
            select(template, func.count(), last_used)
            .where(org == org_id, template.is_not(None))
            .group_by(template)
            .order_by(last_used.desc(), template)
        ).all()
    return [TemplateUse(template_id, count, _aware(last)) for template_id, count, last in rows]


def _aware(value: datetime | str) -> datetime:
    # An aggregate's result skips the column type's processing: SQLite hands back naive UTC text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
