"""``/tasks/<task_id>``: one task for members — its state, answers, timeline, link and cancel.

``state`` reads the task off the event loop and follows its changes; ``page`` lays it out and
embeds the task form while the task is pending.
"""

from hpi_app.pages.task_detail.page import task_detail_page
from hpi_app.pages.task_detail.state import TaskDetailState

__all__ = ["TaskDetailState", "task_detail_page"]
