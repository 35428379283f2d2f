"""Title search with the store's own text index: a case-insensitive substring of the title.

SQLite: the FTS5 trigram table ``tasks_fts`` (migrations 0008 and 0013, kept by triggers on
``tasks``) indexes each title followed by two padding characters. A search of three characters
or more is asked as one phrase, which with trigrams is a substring match. Every occurrence of a
shorter search starts one of the title's trigrams (the padding gives the last ones theirs), so a
search of one or two characters asks for any of the trigrams that start with it, which the
vocabulary table ``tasks_fts_terms`` lists. PostgreSQL: ``lower(title) LIKE '%…%'``, which its
``pg_trgm`` GIN index on ``lower(title)`` answers from three characters on. A shorter search there
is ``hpi_title_grams(title) @> ARRAY[search]`` (migration 0014: the title's characters and
character pairs, in a GIN index), the same match: first counted in the whole store up to
``few`` + 1 matches; none, and the page is empty at once; at most ``few``, the list reads them
off that index; more, the list walks its own index and filters by title (a page stops after
``limit`` matches).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, false, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from hpi_app.models import Task

MIN_INDEXED = 3
PAD = "\x1f"  # what the index puts after each title (migration 0013)
_FTS_MATCH = "tasks.rowid IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH :title_phrase)"
_STARTING = text("SELECT term FROM tasks_fts_terms WHERE term >= :low AND term <= :high")
_LAST = "\U0010ffff"
_COUNT = text("SELECT count(*) FROM tasks_fts WHERE tasks_fts MATCH :title_phrase")
_ESTIMATE = text(
    "EXPLAIN (FORMAT JSON) SELECT 1 FROM tasks WHERE hpi_title_grams(title) @> ARRAY[CAST(:gram AS text)]"
)
DENSE = 10  # a short search estimated to match more than this many times ``few`` tasks is not counted first


@dataclass(frozen=True)
class TitleSearch:
    """A search's condition, and (SQLite) how many tasks of the whole store match it."""

    condition: ColumnElement[bool]
    in_store: int | None = None


def phrase(search: str) -> str:
    """``search`` as one FTS5 phrase (quotes doubled), so no character of it is query syntax."""
    return '"' + search.replace('"', '""') + '"'


def title_like(search: str) -> ColumnElement[bool]:
    """The same condition as ``lower(title) LIKE '%…%'``: filters rows another index reads."""
    return func.lower(Task.title).contains(search.lower(), autoescape=True)


def title_search(search: str, dialect: str, session: Any, few: int = 0) -> TitleSearch:
    """The condition "the title holds ``search``, whatever its case" for the store ``dialect``.

    ``session``: where SQLite looks up the trigrams a short search starts and counts the matches
    (and PostgreSQL counts a short search's, up to ``few`` + 1).
    """
    if dialect == "postgresql" and 0 < len(search.lower()) < MIN_INDEXED:
        return _short_postgresql(search.lower(), session, few)
    if dialect != "sqlite" or PAD in search:
        return TitleSearch(title_like(search))
    if len(search) >= MIN_INDEXED:
        query = phrase(search)
    else:
        start = search.lower()
        terms = session.execute(_STARTING, {"low": start, "high": start + _LAST}).scalars().all()
        query = " OR ".join(phrase(term) for term in terms)
    found = session.execute(_COUNT, {"title_phrase": query}).scalar_one() if query else 0
    if not found:
        return TitleSearch(false(), 0)
    return TitleSearch(text(_FTS_MATCH).bindparams(title_phrase=query), found)


def _short_postgresql(lowered: str, session: Any, few: int) -> TitleSearch:
    """A search of one or two characters on PostgreSQL: by the title grams' index when it matches few.

    The planner's estimate (the index's statistics of its most common characters and pairs)
    first: a search it expects to match far more than ``few`` tasks filters the list at once.
    """
    if session.execute(_ESTIMATE, {"gram": lowered}).scalar_one()[0]["Plan"]["Plan Rows"] > DENSE * few:
        return TitleSearch(title_like(lowered))
    condition = func.hpi_title_grams(Task.title, type_=ARRAY(Text)).contains([lowered])
    some = select(Task.id).where(condition).limit(few + 1).subquery()
    found = session.execute(select(func.count()).select_from(some)).scalar_one()
    if not found:
        return TitleSearch(false(), 0)
    if found <= few:
        return TitleSearch(condition, found)
    return TitleSearch(title_like(lowered))
