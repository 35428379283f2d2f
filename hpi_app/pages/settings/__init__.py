"""Settings: API Tokens, Members, Notification sinks and Account, one module per page with its state
beside it (``sinks``, the largest, is a package: its state, its dialogs and the page).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import reflex as rx

from hpi_app.components.settings_nav import confirm_dialog
from hpi_app.state import Member, acting_member, back_to_sign_in

__all__ = ["ConfirmAction", "back_to_sign_in", "confirm_action_dialog"]


class ConfirmAction(rx.State, mixin=True):
    """The "are you sure?" step before acting on one row of a list (revoke a token, remove a member).

    The page's state opens it by setting ``confirm_id`` (and ``confirm_name``, what the dialog
    names), and implements ``_confirmed``, the action itself, which answers whether the dialog
    closes (and the list is read again) or stays open showing an error. Both act as the member
    the fresh session check before them returned.
    """

    confirm_id: str = ""
    confirm_name: str = ""
    confirming: bool = False

    @abstractmethod
    async def _confirmed(self, member: Member) -> bool:
        """Act on ``confirm_id`` as ``member``; True when the dialog closes, False when it stays open."""

    @abstractmethod
    async def _reload(self, member: Member) -> None:
        """Read the list again, as ``member`` sees it."""

    @rx.event
    def cancel_confirm(self, open_: bool = False):
        """Close the confirmation without acting."""
        if not open_ and not self.confirming:
            self.confirm_id = ""

    @rx.event
    async def confirm_action(self):
        """Act on the row the confirmation names, as the member a fresh session check returns."""
        if not self.confirm_id or self.confirming:
            return
        member = await acting_member(self)
        if member is None:
            self.confirm_id = ""
            yield back_to_sign_in(self)
            return
        self.confirming = True
        yield
        closes = await self._confirmed(member)
        self.confirming = False
        if closes:
            self.confirm_id = ""
            await self._reload(member)


def confirm_action_dialog(state: type[ConfirmAction], **texts: Any) -> rx.Component:
    """The dialog of a ``ConfirmAction`` state: ``texts`` are ``confirm_dialog``'s words and ids."""
    return confirm_dialog(
        on_confirm=state.confirm_action,
        busy=state.confirming,
        open=state.confirm_id != "",
        on_open_change=state.cancel_confirm,
        **texts,
    )
