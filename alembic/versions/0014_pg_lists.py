"""pg_lists: on PostgreSQL, short searches read an index, and ``meta.<key>`` filters read ``task_meta``

Revision ID: 0014_pg_lists
Revises: 0013_short_search
Create Date: 2026-12-02 04:00:00

Short searches: ``pg_trgm`` answers a search of three characters or more; a shorter one walked
the whole history when it matched little. ``hpi_title_grams(title)`` is the set of the
characters and character pairs of ``lower(title)`` as ``text[]`` (a pair may repeat: the index
keeps each once), and the GIN index ``ix_tasks_title_grams`` on it answers
``hpi_title_grams(title) @> ARRAY[search]``, for a search of one or two characters, exactly the
substring match ``lower(title) LIKE '%search%'`` (``core/tasks/search.py``). The function is
``IMMUTABLE`` as ``lower`` is under the store's collation, as 0008's ``lower(title)`` index
already assumes; its cost is set high so the planner never filters a long list with it.

``meta.<key>`` filters: the side table ``task_meta`` of 0012 (one row per text value of each
task's metadata, keyed ``(org_id, key, value, created_at, task_id)``) on PostgreSQL too, kept by
plpgsql triggers on ``tasks`` (insert and delete per statement, from their transition tables,
so a bulk ``COPY`` writes them in one statement; metadata, organisation or time update per
row; ``TRUNCATE tasks`` empties it): ``tasks.metadata`` stays the one source of truth. A list filtered by metadata alone walks
its index in the list order and counts its matches on the index alone; with another filter too,
the GIN index ``ix_tasks_meta`` of 0008 still checks the pairs. SQLite: nothing changes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_pg_lists"
down_revision: str | None = "0013_short_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GRAMS = [
    "CREATE FUNCTION hpi_title_grams(title text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    "COST 1000 AS $$ SELECT regexp_split_to_array(lower(title), '') || ARRAY(SELECT substr(lower(title), i, 2) "
    "FROM generate_series(1, char_length(lower(title)) - 1) AS i) $$",
    "CREATE INDEX ix_tasks_title_grams ON tasks USING gin (hpi_title_grams(title))",
]
_GRAMS_DROP = ["DROP INDEX IF EXISTS ix_tasks_title_grams", "DROP FUNCTION IF EXISTS hpi_title_grams(text)"]
# The text values of the metadata of the rows ``{t}`` (an object; anything else holds none).
_ROWS_OF = (
    "SELECT {t}.org_id, e.key, e.value #>> '{{}}', {t}.created_at, {t}.id FROM {t}, jsonb_each("
    "CASE WHEN jsonb_typeof(CAST({t}.metadata AS jsonb)) = 'object' THEN CAST({t}.metadata AS jsonb) END"
    ") AS e WHERE jsonb_typeof(e.value) = 'string'"
)
_COLUMNS = "(org_id, key, value, created_at, task_id)"
_INSERT = f"INSERT INTO task_meta {_COLUMNS} {_ROWS_OF} ON CONFLICT DO NOTHING"
_DELETE = f"DELETE FROM task_meta WHERE {_COLUMNS} IN ({_ROWS_OF})"


def _function(name: str, body: str) -> str:
    return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"


_ROW_NEW = _INSERT.format(t="new_row").replace("FROM new_row,", "FROM (SELECT NEW.*) AS new_row,")
_ROW_OLD = _DELETE.format(t="old_row").replace("FROM old_row,", "FROM (SELECT OLD.*) AS old_row,")
_META = [
    "CREATE TABLE task_meta (org_id VARCHAR(36) NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
    "created_at TIMESTAMP WITH TIME ZONE NOT NULL, task_id VARCHAR(36) NOT NULL, "
    "PRIMARY KEY (org_id, key, value, created_at, task_id))",
    _function("hpi_task_meta_insert", _INSERT.format(t="new_rows")),
    _function("hpi_task_meta_delete", _DELETE.format(t="old_rows")),
    _function("hpi_task_meta_update", f"{_ROW_OLD}; {_ROW_NEW}"),
    _function("hpi_task_meta_truncate", "TRUNCATE task_meta"),
    "CREATE TRIGGER task_meta_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION hpi_task_meta_insert()",
    "CREATE TRIGGER task_meta_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION hpi_task_meta_delete()",
    "CREATE TRIGGER task_meta_truncate AFTER TRUNCATE ON tasks FOR EACH STATEMENT "
    "EXECUTE FUNCTION hpi_task_meta_truncate()",
    "CREATE TRIGGER task_meta_update AFTER UPDATE OF metadata, org_id, created_at ON tasks FOR EACH ROW "
    "WHEN (CAST(OLD.metadata AS text) IS DISTINCT FROM CAST(NEW.metadata AS text) "
    "OR OLD.org_id <> NEW.org_id OR OLD.created_at <> NEW.created_at) EXECUTE FUNCTION hpi_task_meta_update()",
    _INSERT.format(t="tasks"),
    "ANALYZE task_meta",
]
_META_DROP = [
    "DROP TRIGGER IF EXISTS task_meta_insert ON tasks",
    "DROP TRIGGER IF EXISTS task_meta_delete ON tasks",
    "DROP TRIGGER IF EXISTS task_meta_update ON tasks",
    "DROP TRIGGER IF EXISTS task_meta_truncate ON tasks",
    "DROP FUNCTION IF EXISTS hpi_task_meta_insert()",
    "DROP FUNCTION IF EXISTS hpi_task_meta_delete()",
    "DROP FUNCTION IF EXISTS hpi_task_meta_update()",
    "DROP FUNCTION IF EXISTS hpi_task_meta_truncate()",
    "DROP TABLE IF EXISTS task_meta",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _GRAMS + _META:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _GRAMS_DROP + _META_DROP:
            op.execute(statement)
