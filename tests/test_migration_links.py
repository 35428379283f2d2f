"""Migration 0007 carries every task's link over as its primary link, and moves code state onto links."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from alembic import command
from hpi_app import db
from hpi_app.core import link_codes, links
from hpi_app.models import utcnow
from tests.utils.migrations import add_organisation, filled_at

NOW = datetime.now(UTC).replace(microsecond=0)
TASKS = ["3f2b8c1e-0d4a-4b7e-9a53-2f0c6d1e8b90", "7a1c2e3d-4b5f-4a6b-8c7d-9e0f1a2b3c4d"]
GRANT = "a-browser-grant-secret"


def _fill_0004(conn) -> None:
    """Two tasks (one for an external assignee with a code just sent and a grant), and a timeline."""
    add_organisation(conn, NOW)
    rows = [
        (TASKS[0], "link-0", "guest@elsewhere.test", "external", True, NOW + timedelta(hours=1)),
        (TASKS[1], "link-1", None, None, False, None),
    ]
    for task_id, link_id, email, kind, otp, expires in rows:
        conn.execute(
            text(
                "INSERT INTO tasks (id, org_id, title, steps, status, created_at, created_by, link_id, "
                "requires_otp, assignee_email, assignee_type, assignee_name, expires_at) VALUES (:id, "
                "'org-1', 'T', :steps, 'pending', :t, 'member-1', :link, :otp, :email, :kind, 'Gus', :exp)"
            ),
            {
                "id": task_id,
                "steps": json.dumps([]),
                "t": NOW,
                "link": link_id,
                "otp": otp,
                "email": email,
                "kind": kind,
                "exp": expires,
            },
        )
    for kind, at in [
        ("created", NOW),
        ("opened", NOW + timedelta(minutes=1)),
        ("opened", NOW + timedelta(minutes=5)),
    ]:
        conn.execute(
            text(
                "INSERT INTO timeline (org_id, subject_kind, subject_id, kind, created_at) "
                "VALUES ('org-1', 'task', :task, :kind, :t)"
            ),
            {"task": TASKS[0], "kind": kind, "t": at},
        )
    conn.execute(
        text(
            "INSERT INTO link_access (task_id, code_hash, code_expires_at, last_sent_at, failed_attempts) "
            "VALUES (:task, 'salt$hash', :exp, :t, 2)"
        ),
        {"task": TASKS[0], "exp": utcnow() + timedelta(minutes=10), "t": utcnow()},
    )
    conn.execute(
        text(
            "INSERT INTO link_grants (id, task_id, token_hash, created_at, expires_at) "
            "VALUES ('g-1', :task, :hash, :t, :exp)"
        ),
        {
            "task": TASKS[0],
            "hash": hashlib.sha256(GRANT.encode()).hexdigest(),
            "t": NOW,
            "exp": utcnow() + timedelta(hours=12),
        },
    )


def test_links_migration_makes_primary_links_and_moves_code_state(empty_store):
    cfg = filled_at("0004", _fill_0004)

    command.upgrade(cfg, "head")  # the core reads today's tables
    first = links.resolve("link-0").link
    assert (first.subject_kind, first.subject_id, first.primary, first.org_id) == (
        "task",
        TASKS[0],
        True,
        "org-1",
    )
    assert (first.assignee_email, first.assignee_type, first.assignee_name) == (
        "guest@elsewhere.test",
        "external",
        "Gus",
    )
    assert first.requires_otp is True and first.expires_at == NOW + timedelta(hours=1)
    assert first.opened_at == NOW + timedelta(minutes=1)  # the first opening
    assert first.created_at == NOW and first.created_by == "member-1" and first.revoked_at is None
    second = links.resolve("link-1").link
    assert (second.subject_id, second.requires_otp, second.opened_at, second.expires_at) == (
        TASKS[1],
        False,
        None,
        None,
    )

    # The code sent before the upgrade and the browser let in before it carry on, on the primary link.
    status = link_codes.code_status("link-0")
    assert status.code_sent and status.tries_left == 3 and status.resend_in > 0
    assert link_codes.grant_allows("link-0", GRANT)
    assert not link_codes.grant_allows("link-1", GRANT)

    command.downgrade(cfg, "0004")
    with db.get_engine().connect() as conn:
        access = conn.execute(text("SELECT task_id, failed_attempts FROM link_access")).all()
        grants = conn.execute(text("SELECT id, task_id FROM link_grants")).all()
        tables = db.get_engine().dialect.get_table_names(conn)
    assert [tuple(r) for r in access] == [(TASKS[0], 2)]
    assert [tuple(r) for r in grants] == [("g-1", TASKS[0])]
    assert "links" not in tables
    command.upgrade(cfg, "head")  # and up again
    assert links.resolve("link-0").link.primary is True
