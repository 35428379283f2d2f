"""What both ends of the MCP door say the same way: the server's identity and its refusal code."""

from __future__ import annotations

SERVER_NAME = "hpi"
SERVER_TITLE = "HPI: human-in-the-loop tasks"
SERVER_VERSION = "1.0.0"
# JSON-RPC error code of a refused credential (the server-defined range of JSON-RPC 2.0).
UNAUTHORIZED_CODE = -32001
INSTRUCTIONS = (
    "HPI puts a person in the loop: ask_question, ask_approval, ask_choice and ask_for_review ask a "
    "person and block until they answer (or timeout_seconds pass: then call wait_for_task with the "
    "task_id). Give the person the url from the progress messages or the result if they need it. "
    "create_task builds any multi-step form; the process tools track longer pieces of work."
)
