"""``/processes`` and ``/processes/<process_id>``: processes for members, live; and a task's process.

``list_page`` lists running and finished processes with their progress; ``detail_state`` and
``detail_page`` show one process's steps as a timeline; ``task_process`` is the link the task
detail page shows to the process a task belongs to.
"""

from hpi_app.pages.processes.detail_page import process_page
from hpi_app.pages.processes.detail_state import ProcessState
from hpi_app.pages.processes.list_page import ProcessesState, processes_page
from hpi_app.pages.processes.task_process import TaskProcessState, task_process_link

__all__ = [
    "ProcessState",
    "ProcessesState",
    "TaskProcessState",
    "process_page",
    "processes_page",
    "task_process_link",
]
