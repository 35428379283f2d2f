"""short_search: on SQLite, searches of one or two characters read the title index too

Revision ID: 0013_short_search
Revises: 0012_task_meta
Create Date: 2026-12-02 03:10:00

A trigram index answers a search of three characters or more; a shorter one walked the whole
history when it matched little. Every occurrence of one or two characters starts a trigram of
the title once the title ends in two padding characters (``PAD``): ``pl`` in "Deploy" starts
``plo``, in "Go pl" it starts ``pl`` + ``PAD``. So ``tasks_fts`` (0008_scale) is made again as a
contentless FTS5 trigram table of ``title || PAD || PAD``, kept by the same three triggers, and
the vocabulary table ``tasks_fts_terms`` lists its trigrams: a short search asks for the
trigrams that start with it (``core/tasks/search.py``). Searches of three characters or more
match as before (no search holds ``PAD``: it is a control character the search strips).

A later migration that rebuilds ``tasks`` on SQLite (a batch ``ALTER``) drops these triggers
and renumbers rowids: it must call ``create_sqlite_search()`` of this revision (not 0008's),
and ``create_sqlite_task_meta()`` of 0012.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_short_search"
down_revision: str | None = "0012_task_meta"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAD = "char(31, 31)"  # two "unit separator" characters
_DROP = [
    "DROP TRIGGER IF EXISTS tasks_fts_insert",
    "DROP TRIGGER IF EXISTS tasks_fts_delete",
    "DROP TRIGGER IF EXISTS tasks_fts_title",
    "DROP TABLE IF EXISTS tasks_fts_terms",
    "DROP TABLE IF EXISTS tasks_fts",
]
_ADD = f"INSERT INTO tasks_fts (rowid, title) VALUES (new.rowid, new.title || {PAD})"
_REMOVE = f"INSERT INTO tasks_fts (tasks_fts, rowid, title) VALUES ('delete', old.rowid, old.title || {PAD})"
_CREATE = [
    "CREATE VIRTUAL TABLE tasks_fts USING fts5(title, content='', tokenize='trigram')",
    "CREATE VIRTUAL TABLE tasks_fts_terms USING fts5vocab(tasks_fts, 'row')",
    f"CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN {_ADD}; END",
    f"CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN {_REMOVE}; END",
    f"CREATE TRIGGER tasks_fts_title AFTER UPDATE OF title ON tasks BEGIN {_REMOVE}; {_ADD}; END",
    f"INSERT INTO tasks_fts (rowid, title) SELECT rowid, title || {PAD} FROM tasks",
]
# 0008_scale's index, as it was: external content, the title unpadded.
_CREATE_0008 = [
    "CREATE VIRTUAL TABLE tasks_fts USING fts5(title, content='tasks', tokenize='trigram')",
    "CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN "
    "INSERT INTO tasks_fts (rowid, title) VALUES (new.rowid, new.title); END",
    "CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN "
    "INSERT INTO tasks_fts (tasks_fts, rowid, title) VALUES ('delete', old.rowid, old.title); END",
    "CREATE TRIGGER tasks_fts_title AFTER UPDATE OF title ON tasks BEGIN "
    "INSERT INTO tasks_fts (tasks_fts, rowid, title) VALUES ('delete', old.rowid, old.title); "
    "INSERT INTO tasks_fts (rowid, title) VALUES (new.rowid, new.title); END",
    "INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild')",
]


def create_sqlite_search() -> None:
    """(Re)create SQLite's title index ``tasks_fts``, its vocabulary and triggers, filled from ``tasks``."""
    for statement in _DROP + _CREATE:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _DROP + _CREATE_0008:
            op.execute(statement)
