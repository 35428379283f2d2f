"""Migration 0010 marks an instance that already has users as set up, and only such an instance."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from alembic import command
from hpi_app import db
from hpi_app.core import accounts
from hpi_app.core.errors import Conflict
from tests.utils.migrations import NOW, add_organisation, filled_at


def _fill_with_a_user(conn) -> None:
    add_organisation(conn)
    conn.execute(
        text(
            "INSERT INTO users (id, org_id, email, name, password_hash, role, created_at) "
            "VALUES ('user-1', 'org-1', 'ada@acme.test', 'Ada', 'x', 'admin', :t)"
        ),
        {"t": NOW},
    )


def _marks() -> list[tuple]:
    with db.get_engine().connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id FROM instance_setup")).all()]


def test_an_instance_with_users_is_marked_as_set_up(empty_store):
    cfg = filled_at("0009_upload_tasks", _fill_with_a_user)
    command.upgrade(cfg, "0010_first_setup")
    assert _marks() == [(1,)]
    with pytest.raises(Conflict) as second:
        accounts.create_user("eve@evil.test", "correct horse battery", org_name="Evil", first_admin=True)
    assert second.value.code == "already_set_up"
    command.downgrade(cfg, "0009_upload_tasks")
    with db.get_engine().connect() as conn:
        assert "instance_setup" not in db.get_engine().dialect.get_table_names(conn)
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
    command.upgrade(cfg, "head")
    assert _marks() == [(1,)]


def test_an_empty_instance_is_not_marked(empty_store):
    cfg = filled_at("0009_upload_tasks", lambda conn: None)
    command.upgrade(cfg, "0010_first_setup")
    assert _marks() == []
    admin = accounts.create_first_admin("ada@acme.test", "correct horse battery", "Acme")
    assert admin.role == "admin" and _marks() == [(1,)]
