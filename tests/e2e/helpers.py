"""Shared helpers for browser tests: a member with a token, tasks over real HTTP, store tweaks.

Every helper takes the running app (the ``app_server`` fixture: ``.url``, ``.cli(...)``,
``.env``) and makes uniquely named things, so tests sharing one server stay independent.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from hpi_app.config import ROOT
from tests.e2e.accounts import Member, issue_token

PASSWORD = "a long enough password"


@dataclass
class ApiUser(Member):
    """A member made for one test and a token (tasks:create, tasks:read) acting as them, on ``url``."""

    url: str

    def create_task(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /api/v1/tasks; returns the 201 answer (task_id, link_id, url, ...)."""
        answer = httpx.post(f"{self.url}/api/v1/tasks", json=body, headers=self.headers, timeout=15)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def get_task(self, task_id: str) -> dict[str, Any]:
        """GET /api/v1/tasks/{task_id}; returns the task object."""
        answer = httpx.get(f"{self.url}/api/v1/tasks/{task_id}", headers=self.headers, timeout=15)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def cancel_task(self, task_id: str, reason: str | None = None) -> None:
        """POST /api/v1/tasks/{task_id}/cancel."""
        answer = httpx.post(
            f"{self.url}/api/v1/tasks/{task_id}/cancel",
            json={"reason": reason},
            headers=self.headers,
            timeout=15,
        )
        assert answer.status_code == 200, answer.text

    def upload_file(self, name: str, content: bytes, content_type: str) -> dict[str, Any]:
        """POST /api/v1/files; returns ``{url, key, name, size, type}``."""
        answer = httpx.post(
            f"{self.url}/api/v1/files",
            files={"file": (name, content, content_type)},
            headers=self.headers,
            timeout=15,
        )
        assert answer.status_code == 201, answer.text
        return answer.json()


def make_api_user(app: Any, *, admin: bool = False) -> ApiUser:
    """Create a member of the instance's organisation (uniquely named) and a token for them."""
    email = f"task-{uuid.uuid4().hex[:10]}@example.test"
    token = issue_token(app, email, PASSWORD, admin=admin)
    return ApiUser(url=app.url, email=email, password=PASSWORD, token=token)


def expire_now(app: Any, task_id: str) -> None:
    """Move a task's ``expires_at`` into the past in the server's store (the link then expires it)."""
    code = (
        "from datetime import timedelta\n"
        "from sqlalchemy import update\n"
        "from hpi_app.db import session_scope\n"
        "from hpi_app.models import Task, utcnow\n"
        "past = utcnow() - timedelta(seconds=1)\n"
        "with session_scope(write=True) as s:\n"
        f"    s.execute(update(Task).where(Task.id == {task_id!r}).values(expires_at=past))\n"
        "    s.commit()\n"
    )
    _run_in_store(app, code)


def _run_in_store(app: Any, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=app.env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def complete_directly(app: Any, task_id: str, data: dict[str, Any]) -> None:
    """Complete a task through the core, as another person's submission would."""
    _run_in_store(
        app,
        "from hpi_app.core.tasks import complete_task\n"
        f"complete_task({task_id!r}, {data!r}, actor='someone-else@example.test')\n",
    )


def timeline_kinds(app: Any, task_id: str) -> list[str]:
    """The kinds of a task's timeline entries, oldest first (``created``, ``opened``, ...)."""
    out = _run_in_store(
        app,
        "from sqlmodel import select\n"
        "from hpi_app.db import session_scope\n"
        "from hpi_app.models import TimelineEntry\n"
        "with session_scope() as s:\n"
        f"    query = select(TimelineEntry.kind).where(TimelineEntry.subject_id == {task_id!r})\n"
        "    query = query.order_by(TimelineEntry.id)\n"
        "    print(' '.join(s.exec(query).all()))\n",
    )
    return out.split()
