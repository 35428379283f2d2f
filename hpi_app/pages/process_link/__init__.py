"""``/p/<link_id>``: a process's timeline for whoever holds one of its links (SPEC §11).

``state`` opens the link (its code step is the task page's ``LinkCodeState``), reads the process
and follows it live; ``page`` shows the timeline with the process page's own views, the code
step with the task page's, or the page of a withdrawn, expired or unknown link.
"""

from hpi_app.pages.process_link.page import process_link_page
from hpi_app.pages.process_link.state import ProcessLinkState

__all__ = ["ProcessLinkState", "process_link_page"]
