"""The dashboard's "Load more" reads the page after the last row shown (by its key, not an offset)."""

from __future__ import annotations

from hpi_app.core import tasks
from hpi_app.pages.dashboard import _filter, _page
from tests.utils.task_counts import make_task


def test_load_more_starts_after_the_last_row_however_the_list_grew(admin):
    made = [make_task(admin, title=f"Task {n}") for n in range(7)]
    flt = _filter(admin.id, "pending", "", "all")
    first, total = _page(admin.org_id, flt, None, 3)
    assert [r.task_id for r in first] == made[:3:-1] and total == 7
    make_task(admin, title="Made meanwhile")  # on top: an offset of 3 would show Task 3 again
    more, total = _page(admin.org_id, flt, first[-1].cursor, 3)
    assert [r.task_id for r in more] == made[3:0:-1] and total == 8
    rest, _ = _page(admin.org_id, flt, more[-1].cursor, 250)
    assert [r.task_id for r in rest] == made[:1]
    tasks.cancel_task(admin.org_id, made[5], None, actor=admin.id)
    done = _filter(admin.id, "done", "", "all")
    assert [r.task_id for r in _page(admin.org_id, done, None, 300)[0]] == [made[5]]
