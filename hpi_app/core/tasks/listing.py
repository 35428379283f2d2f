"""Lists of tasks that never scan the history: filters the indexes serve, keyset pages, kept totals.

Every list is ordered by ``(created_at, id)`` (newest: both descending; oldest: both ascending)
and each filter has an index that ends in that order (``models.Task``), so a page reads
``limit`` rows off an index and sorts nothing. The Done tab asks ``status <> 'pending'``, the
exact term of its partial indexes. A page goes on from a ``cursor`` (the last row's key,
opaque to clients) with ``(created_at, id) < key``; a deep ``offset`` is first resolved to such
a key by skipping along the index alone (no table row is read for the skipped rows).

``total`` is the kept count (``counts``) when the list filters by status and assignee only (the
dashboard's lists, the unfiltered list); other filters count their matches on their index.

``meta.<key>`` filters alone read the side table ``task_meta`` (``meta_rows``; both stores) in the
list order and join the matching tasks, so they read the matches only, sorted by its index; their
total is counted on that index alone (the Done tab's: less the pending matches, few). With another
filter, the list walks that filter's index and checks the pairs: on SQLite in ``task_meta`` by
key, on PostgreSQL with the GIN index on the metadata as ``jsonb`` (``@>``), whose estimate the
planner weighs (a ``task_meta`` lookup per row it would misjudge as matching almost nothing, and
sort).

Title search on SQLite (``search``) first counts the text index's matches in the whole store:
none, and the page is empty at once; at most ``FEW``, they are read by rowid and sorted (a
bounded sort); more, the list walks its index and keeps the matches, and when they are so many
that the page's come soon in the list (or the list holds fewer tasks than match), it filters
its rows by title instead of building the set of matches (``_walks``). A list the kept counts say is
small (at most ``SMALL`` tasks: the pending tab) filters its rows by title without the index.
When every task of the store is the organisation's, that count is the search's ``total``
(the Done tab's: less the pending matches), so no match is looked up one by one.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import cast, literal_column, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import func, select

import hpi_app.core.tasks.meta_rows as meta_rows
from hpi_app.core.errors import InvalidInput
from hpi_app.core.tasks.counts import EVERY, UNASSIGNED, org_and_store
from hpi_app.core.tasks.counts import total as kept_count
from hpi_app.core.tasks.search import TitleSearch, title_like, title_search
from hpi_app.db import get_engine, session_scope
from hpi_app.models import Task
from hpi_app.vocab import DONE_STATUSES, TaskStatus

FEW = 2000  # a search that matches at most this many tasks reads them all by rowid, then sorts them
SMALL = 20_000  # a search of a list of at most this many tasks filters the list's rows by title
WALK_COST = 5  # a row read off a list and filtered by title costs about this many match-set entries
_PENDING = literal_column(f"'{TaskStatus.PENDING.value}'")
# The columns as terms no index serves ("+"): a search that matches few tasks reads them by rowid.
_UNINDEXED = {"org_id": literal_column("+tasks.org_id"), "status": literal_column("+tasks.status")}
_BAD_CURSOR = InvalidInput(
    "This cursor is not one HPI handed out: pass a next_cursor from a list answer unchanged.",
    code="invalid_cursor",
    details=[{"field": "cursor", "message": "not a cursor from a list answer"}],
)


@dataclass(frozen=True)
class TaskFilter:
    """What ``list_tasks`` selects.

    Attributes:
        statuses: Statuses to include (empty: all).
        search: A case-insensitive substring of the title.
        sort: ``newest`` or ``oldest``.
        assignee_id: Only tasks assigned to this member.
        unassigned: Only tasks with no assignee.
        process_id: Only the tasks of this process.
        correlation_key: Only tasks with this ``correlation_key`` (= ``corr_id``).
        template_id: Only tasks made from this template.
        meta: ``(key, value)`` pairs the task's metadata must all hold exactly.
        limit: Page size, 1 to 200.
        offset: Rows to skip (when there is no ``cursor``).
        cursor: Go on after the row this ``next_cursor`` of an earlier page names.
    """

    statuses: tuple[str, ...] = ()
    search: str | None = None
    sort: str = "newest"
    assignee_id: str | None = None
    unassigned: bool = False
    process_id: str | None = None
    correlation_key: str | None = None
    template_id: str | None = None
    meta: tuple[tuple[str, str], ...] = ()
    limit: int = 50
    offset: int = 0
    cursor: str | None = None


@dataclass(frozen=True)
class TaskPage:
    """A page of tasks, how many match in all, and the cursor of the next page (None: the last)."""

    tasks: list[Task]
    total: int
    next_cursor: str | None


def encode_cursor(created_at: datetime, task_id: str) -> str:
    """The opaque cursor of the row ``(created_at, task_id)``."""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    raw = json.dumps([created_at.isoformat(), task_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The row key a cursor names; InvalidInput (naming ``cursor``) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, task_id = json.loads(raw)
        moment = datetime.fromisoformat(created)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise _BAD_CURSOR from None
    if not isinstance(task_id, str) or moment.tzinfo is None:
        raise _BAD_CURSOR
    return moment, task_id


def _status_terms(statuses: tuple[str, ...], status: Any = Task.status) -> list[Any]:
    wanted = set(statuses)
    if not wanted or wanted == set(TaskStatus):
        return []
    if len(wanted) == 1:
        return [status == statuses[0]]
    if wanted == set(DONE_STATUSES):
        return [status != _PENDING]
    if TaskStatus.PENDING not in wanted:
        return [status != _PENDING, status.in_(sorted(wanted))]
    return [status.in_(sorted(wanted))]


def _conditions(org_id: str, flt: TaskFilter, dialect: str, found: TitleSearch | None) -> list[Any]:
    columns = {"org_id": Task.org_id, "status": Task.status}
    if dialect == "sqlite" and _few(found) and not _by_meta_rows(flt):
        columns = _UNINDEXED
    conditions = [columns["org_id"] == org_id, *_status_terms(flt.statuses, columns["status"])]
    if found is not None:
        conditions.append(found.condition)
    if flt.assignee_id:
        conditions.append(Task.assignee_id == flt.assignee_id)
    if flt.unassigned:
        conditions.append(Task.assignee_id.is_(None))
    if flt.process_id:
        conditions.append(Task.process_id == flt.process_id)
    if flt.correlation_key is not None:
        conditions.append(Task.correlation_key == flt.correlation_key)
    if flt.template_id is not None:
        conditions.append(Task.template_id == flt.template_id)
    if not flt.meta:
        return conditions
    if _by_meta_rows(flt):
        conditions.extend(meta_rows.conditions(org_id, flt.meta))
    elif dialect == "postgresql":
        conditions.extend(cast(Task.meta, JSONB).contains({key: value}) for key, value in flt.meta)
    else:
        conditions.extend(meta_rows.held(flt.meta))
    return conditions


def _by_meta_rows(flt: TaskFilter) -> bool:
    """Whether the list walks ``task_meta``: when no other filter has an index to walk.

    With a status, assignee, process, correlation key or template too, the list walks that
    filter's index instead and looks each row's pairs up in ``task_meta`` by its key.
    """
    return bool(flt.meta) and _only_meta(flt, search=True)


@dataclass(frozen=True)
class _Source:
    """What a list reads (``tasks``, or ``task_meta`` joined to it) and the columns of its key."""

    table: Any
    created_at: Any
    id: Any

    @classmethod
    def of(cls, flt: TaskFilter) -> _Source:
        if _by_meta_rows(flt):
            return cls(meta_rows.source(), *meta_rows.order_columns())
        return cls(Task.__table__, Task.created_at, Task.id)


def _search_total(session: Any, org_id: str, flt: TaskFilter, found: TitleSearch | None) -> int | None:
    """A search's total from the text index's own count (None: not one it answers).

    When every task of the store is the organisation's, the index's count of matches is the
    search's total; on the Done tab, less the pending matches (few: pending tasks are few),
    counted on the pending titles' index when it holds fewer tasks than match.
    """
    if found is None or found.in_store is None or flt.meta:
        return None
    done = set(flt.statuses) == set(DONE_STATUSES)
    if (flt.statuses and not done) or not _only_meta(dataclasses.replace(flt, statuses=()), search=True):
        return None
    org, store = org_and_store(session, org_id)
    if org != store:
        return None
    if not done:
        return found.in_store
    # The pending titles' own index (migration 0015) read whole, or the matches looked up in it.
    few_pending = kept_count(org_id, (TaskStatus.PENDING.value,), EVERY) <= found.in_store
    held = title_like(flt.search) if few_pending else found.condition
    pending = (Task.org_id == org_id, Task.status == TaskStatus.PENDING.value, held)
    return found.in_store - session.exec(select(func.count()).select_from(Task).where(*pending)).one()


def _only_meta(flt: TaskFilter, *, search: bool = False) -> bool:
    """Whether the metadata is all the filter asks about (a title search aside, with ``search``)."""
    others = (flt.statuses, flt.search and not search, flt.assignee_id, flt.unassigned, flt.process_id)
    return not any(others) and flt.correlation_key is None and flt.template_id is None


def _kept_total(org_id: str, flt: TaskFilter) -> int | None:
    """The total from the kept counts, when the filter is one they hold (else None)."""
    if flt.search or flt.process_id or flt.correlation_key is not None or flt.template_id is not None:
        return None
    if flt.meta or (flt.assignee_id and flt.unassigned):
        return None
    assignee = EVERY
    if flt.assignee_id:
        assignee = flt.assignee_id
    elif flt.unassigned:
        assignee = UNASSIGNED
    return kept_count(org_id, flt.statuses, assignee)


def list_page(org_id: str, flt: TaskFilter) -> TaskPage:
    """A page of an organisation's tasks, the total that match, and the next page's cursor."""
    after = decode_cursor(flt.cursor) if flt.cursor else None
    dialect = get_engine().dialect.name
    src = _Source.of(flt)
    newest = flt.sort == "newest"
    order = _order(src, newest)
    with session_scope() as session:
        found, walked = _title_search(session, org_id, flt, dialect) if flt.search else (None, None)
        if found is not None and found.in_store == 0:
            return TaskPage([], 0, None)  # no title in the store holds it
        conditions = _conditions(org_id, flt, dialect, found)
        total = _total(session, org_id, flt, conditions, found)
        if walked is not found:
            conditions = _conditions(org_id, flt, dialect, walked)
        page = list(conditions)
        if after is not None:
            page.append(_past(src, after, newest, inclusive=False))
        elif flt.offset:
            start = _offset_key(session, src, conditions, newest, flt, total)
            if start is None:
                return TaskPage([], total, None)
            page.append(_past(src, start, newest, inclusive=True))
        query = select(Task).select_from(src.table).where(*page).order_by(*order).limit(flt.limit + 1)
        rows = list(session.exec(query).all())
    more = len(rows) > flt.limit
    rows = rows[: flt.limit]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return TaskPage(rows, total, next_cursor)


def _offset_key(
    session: Any, src: _Source, conditions: list[Any], newest: bool, flt: TaskFilter, total: int
) -> tuple[datetime, str] | None:
    """The key of the row ``flt.offset`` rows into the list (None: past its end), off its index alone.

    Past the middle of a list whose total is exact for these very conditions (no title search,
    whose count the text index makes), the index is walked from the other end: the row
    ``offset`` rows from the top is ``total - 1 - offset`` rows from the bottom, so no offset
    skips more than half the list.
    """
    if flt.offset >= total:
        return None
    keys = select(src.created_at, src.id).select_from(src.table).where(*conditions)
    if flt.search or flt.offset <= total // 2:
        skipped = keys.order_by(*_order(src, newest)).offset(flt.offset)
    else:
        skipped = keys.order_by(*_order(src, not newest)).offset(total - 1 - flt.offset)
    start = session.exec(skipped.limit(1)).first()
    return None if start is None else tuple(start)


def _order(src: _Source, newest: bool) -> tuple[Any, Any]:
    """The list order: newest first (both key columns descending) or oldest first."""
    if newest:
        return src.created_at.desc(), src.id.desc()
    return src.created_at.asc(), src.id.asc()


def _past(src: _Source, start: tuple[datetime, str], newest: bool, *, inclusive: bool) -> Any:
    """The rows after ``start`` in the list's order (``start`` itself too when ``inclusive``)."""
    key = tuple_(src.created_at, src.id)
    if newest:
        return key <= start if inclusive else key < start
    return key >= start if inclusive else key > start


def _title_search(
    session: Any, org_id: str, flt: TaskFilter, dialect: str
) -> tuple[TitleSearch, TitleSearch]:
    """The search's condition for its total, and for its page.

    A list of at most ``SMALL`` tasks (the pending tab) filters its rows by title without the
    text index, as does a list that holds fewer tasks than the index matches (walking the list is
    cheaper than building the match set). A search matching so many that the page's matches
    come soon in the list walks the list and filters its rows by title too, and only counts with
    the index (``_walks``).
    """
    holds = _kept_total(org_id, dataclasses.replace(flt, search=None))
    if holds is not None and holds <= SMALL:
        like = TitleSearch(title_like(flt.search))
        return like, like
    found = title_search(flt.search, dialect, session, few=FEW)
    if holds is None or found.in_store is None or found.in_store <= FEW:
        return found, found
    like = TitleSearch(title_like(flt.search), found.in_store)
    if holds < found.in_store:
        return like, like
    return found, like if _walks(flt, holds, found.in_store) else found


def _walks(flt: TaskFilter, holds: int, matches: int) -> bool:
    """Whether reading the page off the list (``holds`` tasks, about one in ``holds / matches``
    a match) reads fewer rows than building the set of all ``matches`` costs (``WALK_COST`` a row)."""
    return (flt.offset + flt.limit + 1) * holds * WALK_COST < matches * matches


def _few(found: TitleSearch | None) -> bool:
    """Whether a search matches so few tasks of the store that reading and sorting them all is cheap."""
    return found is not None and found.in_store is not None and found.in_store <= FEW


def _total(
    session: Any, org_id: str, flt: TaskFilter, conditions: list[Any], found: TitleSearch | None
) -> int:
    kept = _kept_total(org_id, flt)
    if kept is not None:
        return kept
    if (counted := _search_total(session, org_id, flt, found)) is not None:
        return counted
    done = set(flt.statuses) == set(DONE_STATUSES)
    if flt.meta and done and _only_meta(dataclasses.replace(flt, statuses=())):
        # The Done tab: every task holding the pairs (the side table's index alone), less the pending ones.
        pending = dataclasses.replace(flt, statuses=(TaskStatus.PENDING.value,))
        among = _conditions(org_id, pending, get_engine().dialect.name, None)
        every = session.execute(meta_rows.count(org_id, flt.meta)).scalar_one()
        return every - session.exec(select(func.count()).select_from(Task).where(*among)).one()
    if _by_meta_rows(flt):
        if _only_meta(flt):  # the side table's index alone holds the count
            return session.execute(meta_rows.count(org_id, flt.meta)).scalar_one()
        return session.exec(select(func.count()).select_from(meta_rows.source()).where(*conditions)).one()
    return session.exec(select(func.count()).select_from(Task).where(*conditions)).one()


def list_tasks(org_id: str, flt: TaskFilter) -> tuple[list[Task], int]:
    """A page of an organisation's tasks and the total that match."""
    page = list_page(org_id, flt)
    return page.tasks, page.total
