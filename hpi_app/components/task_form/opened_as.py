"""Whether a task's form was opened as a member of the task's organisation, checked again at each change.

A member may complete a task from its detail page (no link) and skips a link's one-time code, and
is named as the one who answered. All three rest on membership, which can end while the form is
open (signed out elsewhere, removed): upload and submit ask ``acting_member`` again instead.
"""

from __future__ import annotations

import reflex as rx

from hpi_app.state import acting_member


class OpenedAsMember(rx.State, mixin=True):
    """The form's memory of how it was opened: as a member (of which organisation) or by a link holder."""

    _member_org: str = ""
    _member_only: bool = False
    _link_actor: str | None = None

    def _opened_as(self, member_org: str, *, member_only: bool, link_actor: str | None) -> None:
        """Note how the form was opened.

        Args:
            member_org: The task's organisation when a member of it opened the form, else "".
            member_only: Only a member may go on (embedded in the detail page, or the code skipped).
            link_actor: Who answers when no member does (``links.holder_actor``).
        """
        self._member_org, self._member_only, self._link_actor = member_org, member_only, link_actor

    async def _acting_as(self) -> tuple[bool, str | None]:
        """Whether the form may go on and who answers, as of a fresh session check."""
        if not self._member_org:
            return True, self._link_actor
        member = await acting_member(self)
        if member is not None and member.org_id == self._member_org:
            return True, member.email
        return not self._member_only, self._link_actor
