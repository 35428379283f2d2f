"""Settings: API Tokens, Members, Notification sinks and Account, one module per page with its state
beside it (``sinks``, the largest, is a package: its state, its dialogs and the page).
"""

from __future__ import annotations

import reflex as rx

from hpi_app import routes
from hpi_app.state import SessionState


async def acting_member(state: rx.State) -> SessionState | None:
    """The member behind a browser tab, re-read from the store before anything changes.

    A tab stays open while its session is signed out elsewhere, the member removed or their
    role changed; every action checks again rather than trusting what the page loaded with.
    """
    session = await state.get_state(SessionState)
    return session if await session.refresh() else None


def back_to_sign_in(state: rx.State) -> rx.event.EventSpec:
    """Send a tab whose session has ended to the sign-in page, returning here afterwards."""
    return rx.redirect(routes.login(state.router.url.path))
