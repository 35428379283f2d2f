"""Task lists at scale: cursor pages (every task once, while tasks are being made), offsets, search, meta."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from hpi_app.core import accounts, tasks
from hpi_app.core.errors import InvalidInput
from hpi_app.core.tasks import listing, retention
from hpi_app.core.tasks.assign import update_task
from hpi_app.core.tasks.listing import decode_cursor, encode_cursor
from hpi_app.core.tasks.policy_input import TaskPatch
from hpi_app.db import session_scope
from hpi_app.models import Task, utcnow
from hpi_app.vocab import DONE_STATUSES
from tests.utils.deliveries import principal_of
from tests.utils.task_counts import make_task

# How a search reads: the text index's matches by rowid, sorted; the list's index walked, keeping
# the index's matches; the list's index walked, its rows filtered by title (matches so many that
# the page's come soon: counted with the index); or (a small list) the list's rows filtered by title.
SEARCH_PATHS = pytest.mark.parametrize(
    ("few", "small", "walk_cost"), [(2000, -1, 5), (0, -1, 10**9), (0, -1, 0), (2000, 20_000, 5)]
)
TITLES = ["Approve deployment", "Review invoice 42", 'Quote "this" 100% now', "Décor: café_au_lait", "ab"]


def _all_pages(org_id: str, **filters) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = tasks.list_page(org_id, tasks.TaskFilter(limit=3, cursor=cursor, **filters))
        seen.extend(t.id for t in page.tasks)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_cursor_pages_hold_every_task_once_while_tasks_are_made(admin, sort):
    before = [make_task(admin, title=f"Task {n}") for n in range(10)]
    done = threading.Event()

    def keep_making() -> None:
        while not done.is_set():
            make_task(admin, title="Made meanwhile")

    maker = threading.Thread(target=keep_making)
    maker.start()
    try:
        seen = _all_pages(admin.org_id, sort=sort)
    finally:
        done.set()
        maker.join()
    assert len(seen) == len(set(seen))  # nothing twice
    assert set(before) <= set(seen)  # nothing that was there missed
    if sort == "newest":
        assert seen[-len(before) :] == before[::-1]
    else:
        assert seen[: len(before)] == before


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_offset_pages_match_cursor_pages(admin, sort):
    """Offsets past the middle of a list are skipped from its other end: the same pages."""
    ids = [make_task(admin, title=f"Task {n}", metadata={"team": "a" if n % 3 else "b"}) for n in range(7)]
    for cancelled in (ids[2], ids[3], ids[5]):
        tasks.cancel_task(admin.org_id, cancelled, None, actor=admin.id)
    filters = [{}, {"statuses": ("pending",)}, {"statuses": DONE_STATUSES}, {"meta": (("team", "a"),)}]
    for chosen in filters:
        by_cursor = _all_pages(admin.org_id, sort=sort, **chosen)
        by_offset = []
        for offset in range(len(by_cursor) + 2):
            flt = tasks.TaskFilter(limit=1, offset=offset, sort=sort, **chosen)
            rows, total = tasks.list_tasks(admin.org_id, flt)
            by_offset.extend(t.id for t in rows)
            assert total == len(by_cursor)
        assert by_offset == by_cursor and len(by_cursor) > 1, chosen
    assert tasks.list_tasks(admin.org_id, tasks.TaskFilter(offset=50)) == ([], 7)


def test_a_bad_cursor_names_the_cursor(admin):
    good = encode_cursor(tasks.get_task(admin.org_id, make_task(admin)).created_at, "x")
    assert decode_cursor(good)[1] == "x"
    for bad in ["nope", "W10", good[:-3], "eyJhIjogMX0", "WyIyMDI2LTAxLTAxIiwieCJd"]:
        with pytest.raises(InvalidInput) as caught:
            tasks.list_page(admin.org_id, tasks.TaskFilter(cursor=bad))
        assert [d["field"] for d in caught.value.details] == ["cursor"]


def _found(org_id: str, search: str) -> list[str]:
    rows, total = tasks.list_tasks(org_id, tasks.TaskFilter(search=search, sort="oldest"))
    assert total == len(rows)
    return [t.title for t in rows]


@SEARCH_PATHS
def test_search_finds_substrings_of_any_length_and_case(admin, monkeypatch, few, small, walk_cost):
    monkeypatch.setattr(listing, "FEW", few)
    monkeypatch.setattr(listing, "SMALL", small)
    monkeypatch.setattr(listing, "WALK_COST", walk_cost)
    for title in TITLES:
        make_task(admin, title=title)
    org = admin.org_id
    assert _found(org, "deploy") == ["Approve deployment"]  # a substring, not a word
    assert _found(org, "PLOYM") == ["Approve deployment"]
    assert _found(org, "e") == ["Approve deployment", "Review invoice 42", 'Quote "this" 100% now']
    assert _found(org, "ab") == ["ab"]
    assert _found(org, "42") == ["Review invoice 42"]
    assert _found(org, '"this"') == ['Quote "this" 100% now']  # quotes are text, not query syntax
    assert _found(org, "100%") == ['Quote "this" 100% now']  # so are LIKE's wildcards
    assert _found(org, "0%") == ['Quote "this" 100% now']
    assert _found(org, "_au") == ["Décor: café_au_lait"]
    assert _found(org, "x_y") == []
    assert _found(org, "NOT") == []  # no query operators either
    assert _found(org, "invoice AND") == []


def test_search_combines_with_status_and_pages(admin):
    ids = [make_task(admin, title=f"Deploy service {n}") for n in range(5)]
    make_task(admin, title="Something else")
    tasks.cancel_task(admin.org_id, ids[0], None, actor=admin.id)
    flt = tasks.TaskFilter(search="deploy", statuses=("pending",), limit=2)
    page = tasks.list_page(admin.org_id, flt)
    assert page.total == 4 and [t.id for t in page.tasks] == ids[:0:-1][:2]
    flt = tasks.TaskFilter(search="deploy", statuses=("pending",), cursor=page.next_cursor)
    rest = tasks.list_page(admin.org_id, flt)
    assert [t.id for t in rest.tasks] == ids[2:0:-1] and rest.next_cursor is None


def test_filters_each_select_their_tasks(admin):
    a = make_task(admin, metadata={"env": "prod", "team": "core"}, corr_id="c-1", template_id="tpl")
    b = make_task(admin, metadata={"env": "dev"}, assignee_member_id="me")
    org = admin.org_id

    def ids(**filters) -> list[str]:
        rows, total = tasks.list_tasks(org, tasks.TaskFilter(**filters))
        assert total == len(rows)
        return [t.id for t in rows]

    assert ids(meta=(("env", "prod"),)) == [a]
    assert ids(meta=(("env", "prod"), ("team", "core"))) == [a]
    assert ids(meta=(("env", "prod"), ("team", "other"))) == []
    assert ids(correlation_key="c-1") == [a] and ids(template_id="tpl") == [a]
    assert ids(assignee_id=admin.id) == [b] and ids(unassigned=True) == [a]
    assert ids(assignee_id=admin.id, statuses=("completed", "cancelled", "expired")) == []
    assert ids(statuses=("pending", "cancelled")) == [b, a]


def _age(task_id: str, ago: timedelta) -> None:
    """Move a task's making and finishing ``ago`` into the past."""
    with session_scope(write=True) as session:
        task = session.get(Task, task_id)
        at = {f"{task.status}_at": utcnow() - ago} if task.status != "pending" else {}
        session.execute(update(Task).where(Task.id == task_id).values(created_at=utcnow() - ago, **at))
        session.commit()


def test_meta_lists_follow_creates_status_changes_new_times_and_deletes(admin):
    org = admin.org_id
    a = make_task(admin, title="A", metadata={"env": "prod"})
    b = make_task(admin, title="B", metadata={"env": "prod", "team": "core"})
    c = make_task(admin, title="C", metadata={"env": "dev", "team": "core"})
    make_task(admin, title="D")
    prod = (("env", "prod"),)
    assert _all_pages(org, meta=prod) == [b, a] and _all_pages(org, meta=prod, sort="oldest") == [a, b]
    assert tasks.list_tasks(org, tasks.TaskFilter(meta=prod, offset=1)) == (
        [tasks.get_task(org, a)],
        2,
    )
    assert _all_pages(org, meta=(*prod, ("team", "core"))) == [b]
    tasks.cancel_task(org, b, None, actor=admin.id)
    assert _all_pages(org, meta=prod, statuses=("cancelled",)) == [b]
    assert _all_pages(org, meta=prod, statuses=("pending",)) == [a]
    _age(b, timedelta(days=40))
    _age(a, timedelta(days=1))
    assert _all_pages(org, meta=prod, sort="oldest") == [b, a]  # the list key follows the task's time
    assert retention.purge_finished(utcnow() - timedelta(days=30)) == 1
    assert _all_pages(org, meta=prod) == [a] and tasks.list_page(org, tasks.TaskFilter(meta=prod)).total == 1
    assert _all_pages(org, meta=(("team", "core"),)) == [c]
    assert tasks.list_page("another-org", tasks.TaskFilter(meta=prod)).total == 0


@SEARCH_PATHS
def test_short_searches_find_substrings_after_create_retitle_and_delete(
    admin, monkeypatch, few, small, walk_cost
):
    monkeypatch.setattr(listing, "FEW", few)
    monkeypatch.setattr(listing, "SMALL", small)
    monkeypatch.setattr(listing, "WALK_COST", walk_cost)
    org = admin.org_id
    deploy = make_task(admin, title="Deploy API")
    ending = make_task(admin, title="Go PL")  # the characters end the title
    make_task(admin, title="x")
    assert _found(org, "pl") == ["Deploy API", "Go PL"] and _found(org, "Pl") == _found(org, "pl")
    assert _found(org, "x") == ["x"] and _found(org, "L") == ["Deploy API", "Go PL"]
    assert _found(org, "i") == ["Deploy API"] and _found(org, "qz") == [] and _found(org, "%") == []
    update_task(principal_of(admin), ending, TaskPatch(title="Go home"))
    assert _found(org, "pl") == ["Deploy API"] and _found(org, "me") == ["Go home"]
    other = accounts.create_user("admin@other.test", "correct horse battery", role="admin", org_name="Other")
    make_task(other, title="Plan B")  # another organisation's: not counted in this one's total
    assert _found(org, "pl") == ["Deploy API"] and _found(other.org_id, "pl") == ["Plan B"]
    tasks.cancel_task(org, deploy, None, actor=admin.id)
    _age(deploy, timedelta(days=40))
    assert retention.purge_finished(utcnow() - timedelta(days=30)) == 1
    assert _found(org, "pl") == [] and _found(org, "e") == ["Go home"]


def _totals(org_id: str, search: str) -> tuple[int, int, int]:
    flts = [tasks.TaskFilter(search=search, statuses=s) for s in [(), ("pending",), DONE_STATUSES]]
    pages = [tasks.list_page(org_id, flt) for flt in flts]
    assert all(page.total == len(page.tasks) for page in pages)
    return pages[0].total, pages[1].total, pages[2].total


@SEARCH_PATHS
def test_search_totals_count_the_organisations_matches_per_tab(admin, monkeypatch, few, small, walk_cost):
    monkeypatch.setattr(listing, "FEW", few)
    monkeypatch.setattr(listing, "SMALL", small)
    monkeypatch.setattr(listing, "WALK_COST", walk_cost)
    org = admin.org_id
    made = [make_task(admin, title=title) for title in ["Deploy a", "Deploy b", "Deploy c", "Review"]]
    tasks.cancel_task(org, made[0], None, actor=admin.id)
    tasks.complete_task(made[3], {"decision": "Approve"})
    assert _totals(org, "deploy") == (3, 2, 1) and _totals(org, "e") == (4, 2, 2)
    other = accounts.create_user("admin@other.test", "correct horse battery", role="admin", org_name="Other")
    make_task(other, title="Deploy elsewhere")
    tasks.cancel_task(other.org_id, make_task(other, title="Deploy again"), None, actor=other.id)
    assert _totals(org, "deploy") == (3, 2, 1) and _totals(other.org_id, "deploy") == (2, 1, 1)


def test_meta_totals_count_the_organisations_matches_per_tab(admin):
    org = admin.org_id
    made = [make_task(admin, metadata={"env": "prod"}) for _ in range(4)]
    make_task(admin, metadata={"env": "dev"})
    tasks.cancel_task(org, made[0], None, actor=admin.id)
    tasks.complete_task(made[1], {"decision": "Approve"})
    other = accounts.create_user("admin@other.test", "correct horse battery", role="admin", org_name="Other")
    tasks.cancel_task(other.org_id, make_task(other, metadata={"env": "prod"}), None, actor=other.id)
    make_task(other, metadata={"env": "prod"})

    def tab(org_id: str, statuses: tuple[str, ...]) -> int:
        page = tasks.list_page(org_id, tasks.TaskFilter(meta=(("env", "prod"),), statuses=statuses))
        assert page.total == len(page.tasks)
        return page.total

    assert [tab(org, s) for s in [(), ("pending",), DONE_STATUSES, ("cancelled",)]] == [4, 2, 2, 1]
    assert [tab(other.org_id, s) for s in [(), ("pending",), DONE_STATUSES]] == [2, 1, 1]
