"""The dashboard's list follows changes by applying them: rows and counts move, nothing is re-listed."""

from __future__ import annotations

import dataclasses
import functools
from datetime import timedelta
from types import SimpleNamespace

import pytest

from hpi_app.core import demo, tasks
from hpi_app.core.events import Change
from hpi_app.core.subjects import Subject
from hpi_app.core.tasks import matching
from hpi_app.models import utcnow
from hpi_app.pages.dashboard_list import ListView, apply, changed_ids, read_again, row_of
from hpi_app.vocab import DONE_STATUSES, TaskStatus

NOW = utcnow()
PENDING = tasks.TaskFilter(statuses=(TaskStatus.PENDING,))
DONE = tasks.TaskFilter(statuses=DONE_STATUSES)


def _task(n: int, status: str = "pending", title: str = "", assignee_id: str | None = None):
    return SimpleNamespace(
        id=f"00000000-0000-4000-8000-{n:012d}",
        title=title or f"Task {n}",
        status=status,
        created_at=NOW - timedelta(minutes=100 - n),  # a higher n is newer
        assignee_id=assignee_id,
        assignee_name=None,
        assignee_email=None,
        process_id=None,
        correlation_key=None,
        template_id=None,
        meta=None,
        expires_at=None,
        reminded_count=0,
        escalated_count=0,
    )


def _change(task, kind: str, status: str | None = None, event_id: int = 1) -> Change:
    return Change(f"task.{kind}", "org", Subject("task", task.id), status or task.status, event_id=event_id)


def _view(flt, listed, total: int | None = None, pending: int = 0, done: int = 0, shown: int = 3) -> ListView:
    rows = [row_of(t) for t in listed]
    total = len(rows) if total is None else total
    return ListView.read(rows, total, {"pending": pending, "completed": done}, shown)


def _ids(view: ListView) -> list[str]:
    return [row.task_id for row in view.rows]


def test_a_new_task_is_inserted_at_the_top_and_counted():
    old = [_task(5), _task(4), _task(3)]
    view = _view(PENDING, old, total=10, pending=10, done=7)
    new = _task(9)
    apply(view, PENDING, [_change(new, "created")], {new.id: new})
    assert _ids(view) == [new.id, old[0].id, old[1].id]  # still 3 shown: the last slides off
    assert (view.total, view.pending, view.done) == (11, 11, 7)


def test_the_same_change_twice_and_a_change_already_read_are_counted_once():
    listed = [_task(5), _task(4)]
    view = _view(PENDING, listed, pending=2)
    # The read that made the view already saw task 5 created: its late event changes nothing.
    apply(view, PENDING, [_change(listed[0], "created")], {listed[0].id: listed[0]})
    assert (view.total, view.pending) == (2, 2)
    done = SimpleNamespace(**{**vars(listed[1]), "status": "completed"})
    changes = [_change(done, "completed"), _change(done, "completed")]
    apply(view, PENDING, changes, {done.id: done})
    assert _ids(view) == [listed[0].id] and (view.total, view.pending, view.done) == (1, 1, 1)


def test_a_finished_task_moves_from_pending_to_its_place_in_done():
    done_rows = [_task(8, "completed"), _task(4, "cancelled"), _task(2, "expired")]
    view = _view(DONE, done_rows, total=3, pending=5, done=3, shown=50)
    finished = _task(6, "cancelled")
    apply(view, DONE, [_change(finished, "cancelled")], {finished.id: finished})
    assert _ids(view) == [done_rows[0].id, finished.id, done_rows[1].id, done_rows[2].id]
    assert view.rows[1].status == "cancelled"
    assert (view.total, view.pending, view.done) == (4, 4, 4)


def test_a_row_past_the_last_page_read_is_counted_but_not_shown():
    done_rows = [_task(8, "completed"), _task(7, "completed")]
    view = _view(DONE, done_rows, total=40, done=40, pending=3, shown=2)
    older = _task(1, "completed")
    apply(view, DONE, [_change(older, "completed")], {older.id: older})
    assert _ids(view) == [t.id for t in done_rows]  # it belongs to a page not read yet
    assert (view.total, view.done, view.pending) == (41, 41, 2)


def test_filters_decide_the_total_and_the_rows_but_not_the_tab_counts():
    flt = dataclasses.replace(PENDING, search="zebra", assignee_id="me-id")
    view = _view(flt, [], pending=4)
    theirs = _task(7, title="Zebra crossing")
    mine = _task(8, title="ZEBRA review", assignee_id="me-id")
    changes = [_change(theirs, "created"), _change(mine, "created")]
    apply(view, flt, changes, {theirs.id: theirs, mine.id: mine})
    assert _ids(view) == [mine.id] and view.total == 1 and view.pending == 6


def test_a_new_title_or_assignee_takes_a_row_out_of_a_filtered_list_or_into_it():
    flt = dataclasses.replace(PENDING, search="zebra")
    listed = [_task(8, title="Zebra crossing"), _task(5, title="Zebra review")]
    view = _view(flt, listed, pending=9, shown=50)
    renamed = SimpleNamespace(**{**vars(listed[0]), "title": "Lion crossing"})
    apply(view, flt, [_change(renamed, "updated")], {renamed.id: renamed})
    assert _ids(view) == [listed[1].id] and (view.total, view.pending) == (1, 9)
    joined = _task(6, title="Zebra at last")
    apply(view, flt, [_change(joined, "updated")], {joined.id: joined})
    assert _ids(view) == [joined.id, listed[1].id] and view.total == 2
    # "Mine": a reassignment away leaves the list, one to me joins it.
    mine = dataclasses.replace(PENDING, assignee_id="me-id")
    view = _view(mine, [_task(7, assignee_id="me-id")], pending=4, shown=50)
    away = SimpleNamespace(**{**vars(_task(7)), "assignee_id": "other-id"})
    to_me = _task(3, assignee_id="me-id")
    apply(
        view, mine, [_change(away, "assigned"), _change(to_me, "assigned")], {away.id: away, to_me.id: to_me}
    )
    assert _ids(view) == [to_me.id] and (view.total, view.pending) == (1, 4)


def test_a_changed_row_past_the_last_page_read_is_left_to_that_page():
    flt = dataclasses.replace(PENDING, search="zebra")
    listed = [_task(8, title="Zebra one"), _task(7, title="Zebra two")]
    view = _view(flt, listed, total=30, pending=40, shown=2)
    older = _task(2, title="Zebra old")  # may be one of the 30 already counted
    apply(view, flt, [_change(older, "updated")], {older.id: older})
    assert _ids(view) == [t.id for t in listed] and view.total == 30


def test_tasks_deleted_by_retention_make_the_view_read_again():
    listed = [_task(3, "completed")]
    assert read_again([_change(listed[0], "created"), _change(listed[0], "deleted")])
    assert not read_again([_change(listed[0], "completed"), _change(listed[0], "updated")])
    assert changed_ids([_change(listed[0], "deleted")]) == []  # gone: nothing to re-read by id


def test_other_changes_and_unknown_tasks_change_nothing():
    listed = [_task(3)]
    view = _view(PENDING, listed, pending=1)
    gone = _task(9)
    changes = [_change(listed[0], "opened"), _change(listed[0], "link_created"), _change(gone, "created")]
    assert changed_ids(changes) == [gone.id]
    apply(view, PENDING, changes, {})
    assert _ids(view) == [listed[0].id] and (view.total, view.pending) == (1, 1)


@pytest.mark.parametrize(
    "flt",
    [
        PENDING,
        DONE,
        tasks.TaskFilter(statuses=DONE_STATUSES, search="Deployment"),
        tasks.TaskFilter(unassigned=True),
        tasks.TaskFilter(statuses=(TaskStatus.CANCELLED,), template_id="code-review"),
        tasks.TaskFilter(meta=(("team", "platform"),)),
    ],
)
def test_matches_agrees_with_list_tasks(admin, flt):
    org = demo.find_org()
    demo.fill(org, 600, seed=11)
    everything, _ = tasks.list_tasks(org.id, tasks.TaskFilter(limit=600))
    listed, total = tasks.list_tasks(org.id, dataclasses.replace(flt, limit=600))
    assert total == len(listed) > 0
    assert {t.id for t in everything if matching.matches(flt, t)} == {t.id for t in listed}
    # The lists' order, as the live list inserts by it.
    before = functools.cmp_to_key(lambda a, b: -1 if matching.comes_before(a, b) else 1)
    keys = [(matching.order_key(t.created_at), t.id) for t in listed]
    assert sorted(keys, key=before) == keys
    # read_many finds tasks by id, only the organisation's own.
    found = matching.read_many(org.id, [t.id for t in listed[:3]] + ["00000000-0000-4000-8000-000000000000"])
    assert set(found) == {t.id for t in listed[:3]}
    assert matching.read_many("another-org", list(found)) == {}
