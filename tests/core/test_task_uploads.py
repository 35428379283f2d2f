"""Uploads on a task's page: a quota per task, a removed file deleted, unkept ones collected."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from hpi_app import routes
from hpi_app.core import files
from hpi_app.core.errors import TooLarge
from hpi_app.db import session_scope
from hpi_app.models import StoredFile, utcnow

FILE_TASK = {
    "title": "Send the evidence",
    "steps": [
        {
            "id": "evidence",
            "title": "Evidence",
            "blocks": [
                {
                    "type": "input",
                    "field": {"name": "evidence", "label": "Evidence", "kind": "file", "required": False},
                }
            ],
        }
    ],
}


@pytest.fixture
def small_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    """100 bytes per task's uploads, 80 per file."""
    small = dataclasses.replace(files.settings, task_upload_quota_bytes=100, max_upload_bytes=80)
    monkeypatch.setattr(files, "settings", small)


async def _task(client, auth) -> dict:
    answer = await client.post("/api/v1/tasks", json=FILE_TASK, headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _upload(admin, task_id: str | None, size: int = 10, name: str = "a.txt") -> StoredFile:
    return files.save_upload(
        admin.org_id,
        None,
        name,
        "text/plain",
        io.BytesIO(b"x" * size),
        folder="task-uploads",
        task_id=task_id,
    )


def _stored() -> set[str]:
    with session_scope() as session:
        return {f.key for f in session.exec(select(StoredFile)).all()}


def _on_disk(record: StoredFile) -> bool:
    return files.file_path(record).is_file()


async def test_a_tasks_uploads_share_one_quota(client, auth, admin, small_quota):
    task, other = await _task(client, auth), await _task(client, auth)
    first = _upload(admin, task["task_id"], 60)
    with pytest.raises(TooLarge, match="uploads may take"):
        _upload(admin, task["task_id"], 60)
    assert _stored() == {first.key}
    # Another task, and a token's upload, have their own room.
    assert _upload(admin, other["task_id"], 60).size == 60
    assert _upload(admin, None, 80).size == 80
    with pytest.raises(TooLarge, match="The file is larger than"):
        _upload(admin, other["task_id"] + "-x", 81)


async def test_a_file_removed_from_the_form_is_deleted(client, auth, admin):
    task, other = await _task(client, auth), await _task(client, auth)
    mine, theirs = _upload(admin, task["task_id"]), _upload(admin, other["task_id"])
    url = routes.file_url("http://hpi.test", mine.key) + "?link=" + task["link_id"]
    assert not files.discard_task_upload(task["task_id"], routes.file_url("http://hpi.test", theirs.key))
    assert files.discard_task_upload(task["task_id"], url)
    assert not _on_disk(mine) and _on_disk(theirs)
    assert _stored() == {theirs.key}


async def test_uploads_no_submission_kept_are_collected_once_the_task_is_finished(client, auth, admin):
    done, waiting = await _task(client, auth), await _task(client, auth)
    kept, dropped = _upload(admin, done["task_id"], name="kept.txt"), _upload(admin, done["task_id"])
    pending, token_file = _upload(admin, waiting["task_id"]), _upload(admin, None)
    data = {"evidence": [routes.file_url("http://hpi.test", kept.key)]}
    completed = await client.post(
        f"/api/v1/tasks/{done['task_id']}/complete", json={"data": data}, headers=auth
    )
    assert completed.status_code == 200, completed.text
    assert files.collect_orphaned_uploads() == 0  # younger than HPI_UPLOAD_ORPHAN_AGE
    later = utcnow() + timedelta(seconds=files.settings.upload_orphan_seconds + 1)
    assert files.collect_orphaned_uploads(later) == 1
    assert _stored() == {kept.key, pending.key, token_file.key}
    assert not _on_disk(dropped) and _on_disk(kept) and _on_disk(pending) and _on_disk(token_file)
    # A finished task keeps what its submission named: removing it from a stale form does nothing.
    assert not files.discard_task_upload(done["task_id"], data["evidence"][0])
    assert _on_disk(kept)
