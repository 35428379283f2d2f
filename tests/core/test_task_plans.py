"""The task lists' query plans use their indexes on both stores: no full scan, no sort for the list orders.

Each test runs the list as the API and the dashboard do, records the SELECTs it sends, and asks
the store how it would run each one.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import DateTime, bindparam, text

from hpi_app.core import tasks
from hpi_app.core.tasks import listing
from hpi_app.core.tasks.listing import TaskFilter, encode_cursor
from hpi_app.db import get_engine
from hpi_app.models import utcnow
from tests.utils.plans import explain, recorded_selects

DONE = ("completed", "cancelled", "expired")
META_WALK = r"task_meta(_\d+)? USING PRIMARY KEY|Index Only Scan (Backward )?using task_meta_pkey "
# Each list, and the index that serves its filter and order.
LISTS = {
    "all, newest first": (TaskFilter(), "ix_tasks_org_created"),
    "all, oldest first": (TaskFilter(sort="oldest"), "ix_tasks_org_created"),
    "pending tab": (TaskFilter(statuses=("pending",)), "ix_tasks_org_status_created"),
    "done tab": (TaskFilter(statuses=DONE), "ix_tasks_org_done_created"),
    "done tab, oldest first": (TaskFilter(statuses=DONE, sort="oldest"), "ix_tasks_org_done_created"),
    "pending, mine": (
        TaskFilter(statuses=("pending",), assignee_id="m-1"),
        "ix_tasks_org_assignee_status_created",
    ),
    "done, mine": (TaskFilter(statuses=DONE, assignee_id="m-1"), "ix_tasks_org_assignee_done_created"),
    "pending, unassigned": (
        TaskFilter(statuses=("pending",), unassigned=True),
        "ix_tasks_org_(assignee_)?status_created",  # PostgreSQL picks by how many have no assignee
    ),
    "done, unassigned": (TaskFilter(statuses=DONE, unassigned=True), "ix_tasks_org_(assignee_)?done_created"),
    "assignee": (TaskFilter(assignee_id="m-1"), "ix_tasks_org_assignee_created"),
    "correlation key": (TaskFilter(correlation_key="deploy-7"), "ix_tasks_org_correlation_created"),
    "template": (TaskFilter(template_id="tpl"), "ix_tasks_org_template_created"),
    "process": (TaskFilter(process_id="p-1"), "ix_tasks_org_process_created"),
    # Both stores walk the side table task_meta (migrations 0012, 0014).
    "meta": (TaskFilter(meta=(("env", "prod"),)), META_WALK),
    "meta, two pairs": (TaskFilter(meta=(("env", "prod"), ("team", "a"))), META_WALK),
    "meta, oldest first, next page": (
        TaskFilter(meta=(("env", "prod"),), sort="oldest", cursor=encode_cursor(utcnow(), "t-1")),
        META_WALK,
    ),
    "pending tab, meta": (
        TaskFilter(statuses=("pending",), meta=(("env", "prod"),)),
        "ix_tasks_org_status_created",
    ),
    "search": (TaskFilter(search="deploy"), "ix_tasks_org_created"),
    "short search": (TaskFilter(search="de"), "ix_tasks_org_created"),
    "pending tab, search": (
        TaskFilter(statuses=("pending",), search="deploy"),
        "ix_tasks_org_status_created",
    ),
    "done tab, search": (TaskFilter(statuses=DONE, search="deploy"), "ix_tasks_org_done_created"),
    "done tab, next page": (
        TaskFilter(statuses=DONE, cursor=encode_cursor(utcnow(), "t-1")),
        "ix_tasks_org_done_created",
    ),
}


@pytest.fixture(autouse=True)
def _large_lists(monkeypatch):
    """Searches as on lists too long to filter row by row (their kept counts say they are small)."""
    monkeypatch.setattr(listing, "SMALL", -1)


def _selects(flt: TaskFilter) -> list[tuple[str, object]]:
    with recorded_selects() as seen:
        tasks.list_page("org-1", flt)
    return seen


def _reads_tasks(statement: str) -> bool:
    return bool(re.search(r"\b(FROM|JOIN) tasks\b", statement))


def _add_tasks(titles: list[str]) -> None:
    """Tasks of ``org-1`` with these titles (a search that matches nothing reads no page)."""
    with get_engine().begin() as conn:
        conn.execute(
            text("INSERT INTO organisations (id, name, created_at) VALUES ('org-1', 'Acme', :t)"),
            {"t": utcnow()},
        )
        for n, title in enumerate(titles):
            conn.execute(
                text(
                    "INSERT INTO tasks (id, org_id, title, steps, status, created_at, link_id, requires_otp) "
                    "VALUES (:id, 'org-1', :title, '[]', 'completed', :t, :link, false)"
                ).bindparams(bindparam("t", type_=DateTime(timezone=True))),  # stored as the models store it
                {"id": f"t-{n}", "title": title, "t": utcnow(), "link": f"link-{n}"},
            )
        conn.execute(
            text(
                "INSERT INTO task_counts (org_id, assignee, status, slot, n) "
                "VALUES ('org-1', '*', 'completed', 0, :n)"
            ),
            {"n": len(titles)},
        )


@pytest.mark.parametrize("name", list(LISTS))
def test_each_list_reads_its_index_in_order(store, name, monkeypatch):
    flt, index = LISTS[name]
    if flt.search:
        _add_tasks(["Deploy service", "Review invoice"])
        monkeypatch.setattr(listing, "FEW", 0)  # as when the search matches many: walk the list's index
    selects = _selects(flt)
    pages = [(sql, params) for sql, params in selects if _reads_tasks(sql) and "count(" not in sql.lower()]
    assert pages, selects
    for sql, params in pages:
        shown = explain(sql, params)
        assert re.search(index, shown), shown
        if store == "sqlite":
            assert not re.search(r"(^| / )SCAN (tasks|task_meta)( |$)", shown), shown
            if flt.meta:  # the first pair walks its index; each further one is a key lookup
                assert re.search(r"SEARCH task_meta(_\d+)? USING PRIMARY KEY", shown), shown
            assert "TEMP B-TREE" not in shown, shown
        else:
            assert "Seq Scan" not in shown and "Sort" not in shown and "Index" in shown, shown


@pytest.mark.parametrize("statuses", [DONE, ("pending",), ()])
@pytest.mark.parametrize("search", ["deploy", "de", "e", "y"])
def test_a_search_that_matches_few_tasks_reads_them_by_rowid(store, search, statuses):
    _add_tasks(["Deploy service", "Review invoice", "Deploy"])
    selects = _selects(TaskFilter(statuses=statuses, search=search))
    pages = [(sql, params) for sql, params in selects if _reads_tasks(sql) and "count(" not in sql.lower()]
    assert pages, selects
    for sql, params in pages:
        shown = explain(sql, params)
        if store == "sqlite":  # at most listing.FEW rows to sort
            assert "SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)" in shown, shown
            assert "tasks_fts VIRTUAL TABLE INDEX" in shown and not re.search(r"SCAN tasks( |$)", shown), (
                shown
            )
        else:
            assert "Seq Scan" not in shown and "Index" in shown, shown


@pytest.mark.parametrize(
    ("offset", "scan"),
    [(3, "Index Only Scan Backward using"), (8, "Index Only Scan using")],  # 8 of 10: from the oldest
)
def test_a_deep_offset_skips_along_the_index_alone(store, offset, scan):
    _add_tasks([f"Task {n}" for n in range(10)])
    flt = TaskFilter(statuses=DONE, offset=offset, limit=2)
    skips = [(s, p) for s, p in _selects(flt) if re.match(r"SELECT tasks\.created_at, tasks\.id\s+FROM", s)]
    assert len(skips) == 1, skips
    [(sql, params)] = skips
    shown = explain(sql, params)
    if store == "sqlite":
        assert "USING COVERING INDEX ix_tasks_org_done_created" in shown and "TEMP B-TREE" not in shown, shown
    else:
        assert f"{scan} ix_tasks_org_done_created" in shown, shown
    assert [t.title for t in tasks.list_page("org-1", flt).tasks] == [
        f"Task {9 - offset}",
        f"Task {8 - offset}",
    ]


@pytest.mark.parametrize(
    "flt",
    [
        TaskFilter(),
        TaskFilter(statuses=DONE, unassigned=True),
        TaskFilter(statuses=("pending",), assignee_id="m"),
    ],
)
def test_totals_of_the_dashboard_lists_read_the_kept_counts(store, flt):
    counted = [sql for sql, _ in _selects(flt) if "count(" in sql.lower() or "sum(" in sql.lower()]
    assert counted and all("task_counts" in sql and not _reads_tasks(sql) for sql in counted), counted
    for sql, params in [(s, p) for s, p in _selects(flt) if s in counted]:
        shown = explain(sql, params)
        assert re.search(r"autoindex_task_counts|task_counts_pkey", shown), shown


def _fill_postgresql(rows: int) -> None:
    """``rows`` tasks of ``org-1`` (none titled "deploy", none with env=prod), and fresh statistics."""
    with get_engine().begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO organisations (id, name, created_at) VALUES ('org-1', 'Acme', now())"
        )
        conn.exec_driver_sql(
            "INSERT INTO tasks (id, org_id, title, steps, status, created_at, link_id, requires_otp, "
            "metadata) SELECT 'id-' || n, 'org-1', 'Review invoice ' || n, '[]', 'completed', now(), "
            "'link-' || n, false, '{\"env\": \"dev\"}' FROM generate_series(1, %(rows)s) AS n",
            {"rows": rows},
        )
        conn.exec_driver_sql("ANALYZE tasks")


@pytest.mark.parametrize(
    ("flt", "pg_index"),
    [
        (TaskFilter(search="deploy"), "Bitmap Index Scan on ix_tasks_title_trgm"),
        (TaskFilter(meta=(("env", "prod"),)), "Index Only Scan using task_meta_pkey"),
    ],
)
def test_search_and_meta_totals_use_the_text_and_json_indexes(store, flt, pg_index):
    if store == "postgresql":
        _fill_postgresql(30_000)
    [(sql, params)] = [(s, p) for s, p in _selects(flt) if "count(" in s.lower()]
    if store == "postgresql":  # 30,000 tasks of the organisation: the planner's own choice
        shown = explain(sql, params, large_table=False)
        assert pg_index in shown and "Seq Scan" not in shown, shown
    elif flt.search:
        shown = explain(sql, params)
        assert "tasks_fts VIRTUAL TABLE INDEX" in shown and not re.search(r"SCAN tasks( |$)", shown), shown
    else:  # SQLite: the side table task_meta's index alone (migration 0012)
        shown = explain(sql, params)
        assert "SEARCH task_meta USING PRIMARY KEY" in shown and "tasks" not in shown, shown


def test_the_done_tabs_meta_total_is_task_meta_s_count_less_the_pending_matches(store):
    if store == "postgresql":
        _fill_postgresql(30_000)  # done tasks: the planner's own choice for the pending ones
    selects = _selects(TaskFilter(statuses=DONE, meta=(("env", "prod"),)))
    counts = [(s, p) for s, p in selects if "count(" in s]
    assert len(counts) == 2, counts
    every, pending = (explain(sql, params, large_table=False) for sql, params in counts)
    if store == "sqlite":
        assert "SEARCH task_meta USING PRIMARY KEY" in every and "tasks" not in every, every
    else:
        assert "Index Only Scan using task_meta_pkey" in every and "Seq Scan" not in every, every
    # An index that starts with the pending tasks (PostgreSQL may take the expiry sweep's).
    assert re.search(r"ix_tasks_(org_status_created|status_expires|pending_titles)", pending), pending
    assert "Seq Scan" not in pending, pending


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # the text index's count: SQLite's
def test_the_done_tabs_search_total_counts_the_pending_matches_on_their_titles_index(store, monkeypatch):
    _add_tasks(["Deploy service", "Review invoice", "Deploy"])
    monkeypatch.setattr(listing, "FEW", 0)
    counts = [
        (s, p) for s, p in _selects(TaskFilter(statuses=DONE, search="deploy")) if "count(" in s.lower()
    ]
    pending = [explain(sql, params) for sql, params in counts if _reads_tasks(sql)]
    assert len(pending) == 1, counts
    assert "USING COVERING INDEX ix_tasks_pending_titles" in pending[0], pending
    assert tasks.list_page("org-1", TaskFilter(statuses=DONE, search="deploy")).total == 2


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)  # SQLite's: the test above
@pytest.mark.parametrize("search", ["zz", "z", "qv"])
def test_a_short_search_that_matches_few_reads_the_title_grams_index(store, search):
    """PostgreSQL: one or two characters that few titles hold are read off ``ix_tasks_title_grams``."""
    _fill_postgresql(30_000)  # "Review invoice n": no z, no q
    with get_engine().begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO tasks (id, org_id, title, steps, status, created_at, link_id, requires_otp) "
            "VALUES ('jazz', 'org-1', 'Jazz', '[]', 'completed', now(), 'link-jazz', false)"
        )
        conn.exec_driver_sql("ANALYZE tasks")
    page = tasks.list_page("org-1", TaskFilter(search=search))
    assert [t.id for t in page.tasks] == ([] if "q" in search else ["jazz"])
    assert page.total == len(page.tasks)
    selects = [(s, p) for s, p in _selects(TaskFilter(search=search)) if _reads_tasks(s)]
    assert selects, selects
    for sql, params in selects:  # the planner's own choice
        shown = explain(sql, params, large_table=False)
        assert "Bitmap Index Scan on ix_tasks_title_grams" in shown and "Seq Scan" not in shown, shown
