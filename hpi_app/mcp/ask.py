"""The ``ask_*`` tools: ask a person one thing, wait for the answer, return it in a shape to branch on.

Each builds a well-formed task (a clear title, the context as Markdown, the right field kinds),
creates it through the core, waits on the bus and answers ``{status, approved, choice, verdict,
answer, comment, task_id, url}``. A call the client cancels cancels its task.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hpi_app.core import tasks as core
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.mcp.registry import Answer, Call, ToolDef, in_thread
from hpi_app.mcp.waiting import cancel_on_abort, outcome_result, task_url, timeout_field, wait_for
from hpi_app.validation import not_blank
from hpi_app.vocab import Scope

APPROVE, REJECT = "approve", "reject"
VERDICTS = ("Approve", "Request Changes", "Comment")
_ASSIGNEE = Field(
    default=None,
    max_length=320,
    description=(
        "Who should answer: a member's email assigns that member; any other email gets a link that "
        "asks for a one-time code sent to that address. Leave out for anyone in the organisation."
    ),
)


class _AskBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_email: str | None = _ASSIGNEE
    timeout_seconds: float = timeout_field()


class AskQuestion(_AskBase):
    """Arguments of ``ask_question``."""

    question: str = Field(min_length=1, max_length=200, description="The question, as the task's title.")
    context: str | None = Field(
        default=None, max_length=100_000, description="Background the person needs (Markdown)."
    )

    _not_blank = field_validator("question")(not_blank)


class AskApproval(_AskBase):
    """Arguments of ``ask_approval``."""

    title: str = Field(min_length=1, max_length=200, description="What to approve, e.g. 'Deploy v2 to prod'.")
    details: str | None = Field(
        default=None, max_length=100_000, description="What the person should know to decide (Markdown)."
    )

    _not_blank = field_validator("title")(not_blank)


class AskChoice(_AskBase):
    """Arguments of ``ask_choice``."""

    question: str = Field(min_length=1, max_length=200, description="The question, as the task's title.")
    choices: list[str] = Field(
        min_length=1, max_length=50, description="The options, as shown to the person (at least one, unique)."
    )
    context: str | None = Field(default=None, max_length=100_000, description="Background (Markdown).")

    _not_blank = field_validator("question")(not_blank)

    @field_validator("choices")
    @classmethod
    def _distinct(cls, choices: list[str]) -> list[str]:
        cleaned = [c.strip() for c in choices]
        if any(not c for c in cleaned):
            msg = "every choice needs some text"
            raise ValueError(msg)
        if len(set(cleaned)) != len(cleaned):
            msg = "choices must be distinct"
            raise ValueError(msg)
        return cleaned


class AskForReview(_AskBase):
    """Arguments of ``ask_for_review``."""

    title: str = Field(
        min_length=1, max_length=200, description="What to review, e.g. 'Review the release notes'."
    )
    content: str = Field(min_length=1, max_length=100_000, description="The thing to review (Markdown).")

    _not_blank = field_validator("title", "content")(not_blank)


def _markdown(content: str | None) -> list[dict[str, Any]]:
    return [{"type": "mdsvex", "content": content}] if content and content.strip() else []


def _field(block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "input", "field": block}


def _comment(label: str = "Comment") -> dict[str, Any]:
    return _field({"name": "comment", "label": label, "kind": "textarea", "required": False})


def _task(title: str, step: str, blocks: list[dict[str, Any]], args: _AskBase, template: str) -> TaskCreate:
    # The page shows the task's title as its heading; the one step is named for what is asked.
    return TaskCreate.model_validate(
        {
            "title": title,
            "steps": [{"id": "answer", "title": step, "blocks": blocks}],
            "assignee_email": args.assignee_email,
            "template_id": template,
            "metadata": {"source": "mcp"},
        }
    )


def question_task(args: AskQuestion) -> TaskCreate:
    """The task ``ask_question`` makes: the context, then one required answer box."""
    answer = _field({"name": "answer", "label": "Your answer", "kind": "textarea", "required": True})
    return _task(args.question, "Your answer", [*_markdown(args.context), answer], args, "mcp.ask_question")


def approval_task(args: AskApproval) -> TaskCreate:
    """The task ``ask_approval`` makes: the details, Approve / Reject, an optional comment."""
    options = [{"value": APPROVE, "label": "Approve"}, {"value": REJECT, "label": "Reject"}]
    decision = _field({"name": "decision", "label": "Decision", "kind": "radio", "options": options})
    blocks = [*_markdown(args.details), decision, _comment()]
    return _task(args.title, "Your decision", blocks, args, "mcp.ask_approval")


def choice_task(args: AskChoice) -> TaskCreate:
    """The task ``ask_choice`` makes: the context, then one required choice among ``choices``."""
    choice = _field({"name": "choice", "label": "Your choice", "kind": "radio", "options": args.choices})
    return _task(args.question, "Your choice", [*_markdown(args.context), choice], args, "mcp.ask_choice")


def review_task(args: AskForReview) -> TaskCreate:
    """The task ``ask_for_review`` makes: the content, a verdict, an optional comment."""
    verdict = _field({"name": "verdict", "label": "Verdict", "kind": "radio", "options": list(VERDICTS)})
    blocks = [*_markdown(args.content), verdict, _comment()]
    return _task(args.title, "Your review", blocks, args, "mcp.ask_for_review")


def _branch(data: dict[str, Any] | None) -> dict[str, Any]:
    data = data or {}
    decision, verdict = data.get("decision"), data.get("verdict")
    approved = None
    if decision is not None:
        approved = decision == APPROVE
    elif verdict is not None:
        approved = verdict == "Approve"
    return {
        "approved": approved,
        "choice": data.get("choice"),
        "verdict": verdict,
        "answer": data.get("answer"),
        "comment": data.get("comment") or None,
    }


def _summary(result: dict[str, Any]) -> str:
    if result["status"] == "timed_out":
        return f"No answer yet (timed out); task {result['task_id']} is still open at {result['url']}."
    if result["status"] != "completed":
        return f"The task was {result['status']}; no answer ({result['url']})."
    said = next(
        (
            f"{k}: {result[k]}"
            for k in ("approved", "verdict", "choice", "answer")
            if result.get(k) is not None
        ),
        "answered",
    )
    comment = f" Comment: {result['comment']}" if result.get("comment") else ""
    return f"The person answered ({said}).{comment}"


async def ask(call: Call, body: TaskCreate, seconds: float) -> Answer:
    """Create the task, wait for its answer (cancelling it if the call is cancelled), and shape it."""
    created = await in_thread(core.create_task, call.principal, body)
    task = created.task
    url = task_url(call, task.link_id)
    async with cancel_on_abort(call, task.id):
        outcome = await wait_for(call, task.id, seconds, url)
    result = outcome_result(call, task.id, url, outcome)
    empty: dict[str, Any] = dict.fromkeys(("approved", "choice", "verdict", "answer", "comment"))
    result |= _branch(outcome.task.data) if outcome.task is not None else empty
    return Answer(result, _summary(result))


def _asker(build: Any) -> Any:
    async def run(call: Call, args: Any) -> Answer:
        return await ask(call, build(args), args.timeout_seconds)

    return run


_WAITS = (
    " Blocks until the person answers or timeout_seconds pass (progress notifications carry the "
    "task's url meanwhile); then returns status 'completed' | 'cancelled' | 'expired' | 'timed_out' "
    "with task_id and url. Cancelling the call cancels the task."
)
_SCOPES = (Scope.TASKS_CREATE, Scope.TASKS_READ)

TOOLS = [
    ToolDef(
        name="ask_question",
        title="Ask a person a question",
        description="Ask a person a free-text question and get their answer (result: answer)." + _WAITS,
        arguments=AskQuestion,
        run=_asker(question_task),
        scopes=_SCOPES,
    ),
    ToolDef(
        name="ask_approval",
        title="Ask a person to approve",
        description=(
            "Ask a person to approve or reject something (result: approved true|false, comment)." + _WAITS
        ),
        arguments=AskApproval,
        run=_asker(approval_task),
        scopes=_SCOPES,
    ),
    ToolDef(
        name="ask_choice",
        title="Ask a person to choose",
        description="Ask a person to pick one of several choices (result: choice, exactly one of choices)."
        + _WAITS,
        arguments=AskChoice,
        run=_asker(choice_task),
        scopes=_SCOPES,
    ),
    ToolDef(
        name="ask_for_review",
        title="Ask a person to review",
        description=(
            "Ask a person to review content (Markdown) and give a verdict: 'Approve', 'Request Changes' "
            "or 'Comment' (result: verdict, approved = verdict is Approve, comment)." + _WAITS
        ),
        arguments=AskForReview,
        run=_asker(review_task),
        scopes=_SCOPES,
    ),
]
