"""Two first-run setups at once: the store lets only one of them win."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher
from sqlmodel import func, select

from hpi_app.core import accounts, password_hashing
from hpi_app.core.errors import Conflict
from hpi_app.db import session_scope
from hpi_app.models import Organisation, User

PASSWORD = "correct horse battery"


class _MeetingHasher(PasswordHasher):
    """Argon2 that hashes only once both setups got this far (both saw an empty instance)."""

    def __init__(self) -> None:
        super().__init__()
        self.both_here = threading.Barrier(2, timeout=30)

    def hash(self, password, **kwargs):
        self.both_here.wait()
        return super().hash(password, **kwargs)


def test_two_setups_at_once_only_one_wins(store, monkeypatch):
    monkeypatch.setattr(password_hashing, "_hasher", _MeetingHasher())
    results: list[object] = []

    def set_up(n: int) -> None:
        try:
            results.append(accounts.create_first_admin(f"admin{n}@acme.test", PASSWORD, f"Org {n}"))
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=set_up, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [r for r in results if isinstance(r, User)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].code == "already_set_up"
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 1
        assert session.exec(select(func.count()).select_from(Organisation)).one() == 1  # rolled back


def test_the_configured_first_admin_cannot_win_after_setup(store):
    accounts.create_first_admin("ada@acme.test", PASSWORD, "Acme")
    # As if the bootstrap had seen the empty instance just before setup wrote its admin.
    with pytest.raises(Conflict) as second:
        accounts.create_user("boot@acme.test", PASSWORD, role="admin", org_name="Boot", first_admin=True)
    assert second.value.code == "already_set_up"
    assert accounts.count_users() == 1
