"""``/settings/tokens``: create API tokens (shown once), list them, revoke them.

``state`` holds the page's state (the list, the create form, the dialogs), ``page`` its
components.
"""

from hpi_app.pages.settings.tokens.page import tokens_page
from hpi_app.pages.settings.tokens.state import TokensState

__all__ = ["TokensState", "tokens_page"]
