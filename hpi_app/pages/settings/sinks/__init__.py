"""``/settings/sinks``: org-wide notification sinks and their delivery log.

An admin adds, edits, switches off, tests and deletes sinks, and redelivers from the log; a
member sees the sinks and the log without the controls. A webhook's signing secret is shown
once, when HPI generates it (on create or rotate), and never again.

``data`` reads the sink rows and the log and builds the form's settings from the sink types,
``state`` holds the page's state (the sinks, the edit form, the confirmations and the log),
``dialogs`` the add/edit form and the dialogs it opens, ``page`` the sink list and the log.
The form's type choices and settings fields come from the sink registry
(``hpi_app.core.sinks.registry``), so a new sink type needs no change here.
"""

from hpi_app.pages.settings.sinks.page import sinks_page
from hpi_app.pages.settings.sinks.state import SinksState

__all__ = ["SinksState", "sinks_page"]
