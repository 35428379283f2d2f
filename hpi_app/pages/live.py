"""What the live pages share: following an organisation's changes on the event bus.

Each live page starts a background event from its ``on_load`` that loops over ``follow``
(Reflex cancels it when the tab navigates away or disconnects) and re-reads the store when a
change concerns it, or when ``follow`` yields an empty batch after a quiet wait.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from hpi_app.core.events import Change, bus

# A watcher with nothing to do re-reads the store this often anyway (safety net only).
IDLE_RECHECK_SECONDS = 60.0
BURST_LIMIT = 1000


async def _idle() -> float:
    return IDLE_RECHECK_SECONDS


async def follow(
    org_id: str, wait: Callable[[], Awaitable[float]] = _idle, burst: int = 1, read_first: bool = False
) -> AsyncIterator[list[Change]]:
    """The organisation's changes as they come, one batch at a time, until the caller stops.

    Args:
        org_id: Whose changes.
        wait: How long to wait for the next change, asked before each wait; a wait that ends
            with no change yields ``[]``.
        burst: More than 1: a change comes with those already queued behind it (at most
            ``burst`` in all, stopping at a nudge), so a burst costs one reload.
        read_first: Yield ``[]`` once as soon as the subscription stands, so the caller's first
            read of the store misses no change that commits after it (a page that applies each
            change to what it read, instead of reading again, needs that).
    """
    async with bus.subscribe(org_id) as changes:
        if read_first:
            yield []
        while True:
            change = await changes.get(timeout=await wait())
            if change is None:
                yield []
            elif burst > 1:
                yield [change, *changes.drain(burst - 1)]
            else:
                yield [change]
