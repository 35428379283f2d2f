"""``in_thread``: the hop the API takes to run blocking store calls."""

from __future__ import annotations

import threading
from contextvars import ContextVar

import pytest

from hpi_app.api import deps

_caller: ContextVar[str] = ContextVar("caller", default="nobody")


async def test_in_thread_runs_off_the_loop_with_the_callers_context():
    _caller.set("the request")

    def probe(a: int, *, b: int) -> tuple[int, str, int]:
        return threading.get_ident(), _caller.get(), a + b

    ident, caller, total = await deps.in_thread(probe, 1, b=2)
    assert ident != threading.get_ident()
    assert (caller, total) == ("the request", 3)


async def test_in_thread_raises_what_the_function_raised():
    def fail() -> None:
        raise LookupError("nothing here")

    with pytest.raises(LookupError, match="nothing here"):
        await deps.in_thread(fail)


def test_each_process_gets_its_own_threads(monkeypatch):
    # Granian forks its workers: a child must not inherit the parent's (threadless) pool.
    parent = deps._threads()
    assert deps._threads() is parent
    monkeypatch.setattr(deps.os, "getpid", lambda: -1)
    child = deps._threads()
    assert child is not parent and deps._threads() is child
    child.shutdown()
