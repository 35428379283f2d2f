"""The state every page shares (who is signed in), and the one way states run blocking code.

Imports no page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import reflex as rx

from hpi_app import routes
from hpi_app.core import accounts, sessions
from hpi_app.vocab import Role

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking ``func`` (a core call, a store read) in a worker thread and await it.

    Every state and component of the browser door goes through this one hop, so the event loop
    that serves the websocket never waits on the store.
    """
    return await asyncio.to_thread(func, *args, **kwargs)


class SessionState(rx.State):
    """The signed-in member, resolved from the HttpOnly session cookie on each page load."""

    user_id: str = ""
    email: str = ""
    name: str = ""
    role: str = ""
    org_id: str = ""
    org_name: str = ""
    checked: bool = False

    @rx.var
    def signed_in(self) -> bool:
        """Whether a member is signed in."""
        return bool(self.user_id)

    @rx.var
    def is_admin(self) -> bool:
        """Whether the member is an admin of the organisation."""
        return self.role == Role.ADMIN

    @rx.var
    def display_name(self) -> str:
        """The member's name, or their email."""
        return self.name or self.email

    def _secret(self) -> str | None:
        return sessions.cookie_value(self.router.headers.cookie or "")

    async def refresh(self) -> bool:
        """Re-read the session from the store; False when there is no valid one."""
        found = await in_thread(sessions.resolve_session, self._secret())
        if found is None:
            self.user_id = self.email = self.name = self.role = self.org_id = self.org_name = ""
        else:
            user, org = found
            self.user_id, self.email, self.name, self.role = user.id, user.email, user.name, user.role
            self.org_id, self.org_name = org.id, org.name
        self.checked = True
        return found is not None

    @rx.event
    async def require_member(self):
        """on_load: send a visitor without a valid session to sign-in (or to setup)."""
        if await self.refresh():
            return None
        if await in_thread(accounts.count_users) == 0:
            return rx.redirect(routes.SETUP)
        return rx.redirect(routes.login(self.router.url.path + _query(self.router.url.query)))

    @rx.event
    async def load_optional(self):
        """on_load of public pages: note a signed-in member without demanding one."""
        await self.refresh()


def _query(query: str) -> str:
    return f"?{query}" if query else ""


@dataclass(frozen=True)
class Member:
    """Who a tab acts as for one handler: what a fresh session check returned, never a cached id.

    Attributes:
        user_id: The signed-in user.
        org_id: Their organisation (the only one the handler may read or change).
        role: Their role now (``admin`` or ``member``).
        email: Their email.
    """

    user_id: str
    org_id: str
    role: str
    email: str

    @property
    def is_admin(self) -> bool:
        """Whether the member is an admin now."""
        return self.role == Role.ADMIN


async def acting_member(state: rx.State) -> Member | None:
    """The member behind a browser tab, re-read from the store: the one identity a handler acts as.

    A tab stays open while its session is signed out elsewhere, the member removed or their
    role changed, and it may reconnect with another member's cookie. So every handler (reads
    and background refreshes included) asks here first and passes the answer on, instead of
    keeping a user or organisation id in its state. None: no valid session (send the tab to
    ``back_to_sign_in``).
    """
    session = await state.get_state(SessionState)
    if not await session.refresh():
        return None
    return Member(user_id=session.user_id, org_id=session.org_id, role=session.role, email=session.email)


def back_to_sign_in(state: rx.State) -> rx.event.EventSpec:
    """Send a tab whose session has ended to the sign-in page, returning here afterwards."""
    return rx.redirect(routes.login(state.router.url.path + _query(state.router.url.query)))


def leave_for(state: rx.State, member: Member | None) -> rx.event.EventSpec:
    """Where a live page goes once its tab no longer acts as the organisation it follows.

    Signed out or removed: the sign-in page; signed in as someone of another organisation: the
    same page read afresh, as them.
    """
    return back_to_sign_in(state) if member is None else rx.redirect(state.router.url.path)
