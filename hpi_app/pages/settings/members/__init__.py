"""``/settings/members``: an admin adds members, changes their roles and removes them.

``state`` holds the page's state (the list, the add form, the confirmation), ``page`` its
components.
"""

from hpi_app.pages.settings.members.page import members_page
from hpi_app.pages.settings.members.state import MembersState

__all__ = ["MembersState", "members_page"]
