"""The upload collector (a lifespan task) deletes a cancelled task's uploads that nothing kept."""

from __future__ import annotations

import asyncio
import dataclasses
import io

import pytest

from hpi_app.core import files
from hpi_app.core.errors import NotFound
from hpi_app.workers.upload_collector import run_upload_collector
from tests.utils.bodies import seed_task


async def test_the_collector_deletes_a_finished_tasks_unkept_upload(client, auth, admin, monkeypatch):
    monkeypatch.setattr(files, "settings", dataclasses.replace(files.settings, upload_orphan_seconds=0))
    task = (await client.post("/api/v1/tasks", json=seed_task(), headers=auth)).json()
    upload = files.save_upload(
        admin.org_id, None, "a.txt", "text/plain", io.BytesIO(b"x"), folder="up", task_id=task["task_id"]
    )
    cancelled = await client.post(f"/api/v1/tasks/{task['task_id']}/cancel", json={}, headers=auth)
    assert cancelled.status_code == 200
    worker = asyncio.ensure_future(run_upload_collector())
    try:
        async with asyncio.timeout(30):
            while files.file_path(upload).exists():
                await asyncio.sleep(0.05)
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker
    with pytest.raises(NotFound):
        files.find_file(upload.key)
