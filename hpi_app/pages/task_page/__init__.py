"""``/t/<link_id>``: the task page for whoever holds the link (SPEC §6).

``state`` opens the link (``TaskPageState``) and runs its code step (``LinkCodeState``),
``code_view`` shows that step, ``page`` picks the view. The form itself, its state included,
is ``components.task_form``: the task detail page embeds the same form.
"""

from hpi_app.pages.task_page.page import task_page
from hpi_app.pages.task_page.state import LinkCodeState, TaskPageState

__all__ = ["LinkCodeState", "TaskPageState", "task_page"]
