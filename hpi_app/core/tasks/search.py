"""Title search with the store's own text index: a case-insensitive substring of the title.

SQLite: the FTS5 table ``tasks_fts`` (trigram tokenizer, external content ``tasks``, kept by
triggers on ``tasks`` — migration 0008), asked for the search as one phrase, which with trigrams
is a substring match. PostgreSQL: ``lower(title) LIKE '%…%'``, which its ``pg_trgm`` GIN index
on ``lower(title)`` answers. A trigram index needs three characters: a search of one or two
characters is ``lower(title) LIKE`` on both stores, filtered along the list's own index (a page
stops after ``limit`` matches; its exact ``total`` counts the organisation's tasks once).
"""

from __future__ import annotations

from sqlalchemy import func, text
from sqlalchemy.sql.elements import ColumnElement

from hpi_app.models import Task

MIN_INDEXED = 3
_FTS_MATCH = "tasks.rowid IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH :title_phrase)"


def phrase(search: str) -> str:
    """``search`` as one FTS5 phrase (quotes doubled), so no character of it is query syntax."""
    return '"' + search.replace('"', '""') + '"'


def title_contains(search: str, dialect: str) -> ColumnElement[bool]:
    """The condition "the title holds ``search``, whatever its case" for the store ``dialect``."""
    if dialect == "sqlite" and len(search) >= MIN_INDEXED:
        return text(_FTS_MATCH).bindparams(title_phrase=phrase(search))
    return func.lower(Task.title).contains(search.lower(), autoescape=True)
