"""Submission validation: checks a person's answers against the task's steps (SPEC §4).

Each answer is checked by its field's own ``check`` (see :mod:`hpi_app.spec.fields`); this
module adds what concerns the answers as a whole: required answers, unknown keys, one step.

Decisions worth knowing:

- Absent or empty answers (``None``, blank strings, ``[]``, ``{}``) to optional fields are left
  out of the cleaned data; a field's ``default`` is only a pre-fill for the form and is never
  filled in by the server.
- A required checkbox must be ticked (``true``); an optional one may be ``false``.
- Every bad answer is reported, each as ``data.<name>``, along with answers to fields the task
  does not have.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from hpi_app.spec.fields import Field
from hpi_app.spec.steps import Step, iter_fields, step_fields
from hpi_app.spec.values import is_empty

_REQUIRED = "This field is required"
_TICK = "This box must be ticked"
_SKIP = object()


class SubmissionError(Exception):
    """Answers that do not fit the spec; ``details`` lists ``{"field": "data.<name>", "message"}``."""

    def __init__(self, details: list[dict[str, str]]) -> None:
        """Keeps the details and summarises them as the exception message."""
        self.details = details
        super().__init__("; ".join(f"{d['field']}: {d['message']}" for d in details))


def _check_answer(field: Field, value: Any) -> Any:
    """Checks one answer, required-ness included; returns ``_SKIP`` for an empty optional one."""
    if is_empty(value):
        if field.required:
            raise ValueError(_TICK if field.kind == "checkbox" else _REQUIRED)
        return _SKIP
    value = field.check(value)
    if field.kind == "checkbox" and field.required and value is not True:
        raise ValueError(_TICK)
    return value


def validate_submission(
    steps: Iterable[Step], data: object, *, only_step: str | None = None
) -> dict[str, Any]:
    """Checks submitted answers against the task's steps and returns the cleaned ``data``.

    Args:
        steps: The task's steps.
        data: The answers, a mapping of field name to value.
        only_step: Check only this step's fields (the form's per-step validation); answers to
            other steps' fields are then ignored and left out of the result.

    Returns:
        The answers to the checked fields, cleaned; empty optional answers are left out.

    Raises:
        SubmissionError: naming each bad answer as ``data.<name>``.
        ValueError: if ``only_step`` is not a step of the task.
    """
    steps = list(steps)
    if not isinstance(data, Mapping):
        raise SubmissionError(
            [{"field": "data", "message": "Answers must be an object of field names to values"}]
        )
    all_names = {field.name for field in iter_fields(steps)}
    if only_step is None:
        fields = list(iter_fields(steps))
    else:
        step = next((s for s in steps if s.id == only_step), None)
        if step is None:
            msg = f"unknown step {only_step!r}"
            raise ValueError(msg)
        fields = step_fields(step)
    details = [
        {"field": f"data.{key}", "message": "This task has no such field"}
        for key in data
        if key not in all_names
    ]
    cleaned: dict[str, Any] = {}
    for field in fields:
        try:
            value = _check_answer(field, data.get(field.name))
        except ValueError as exc:
            details.append({"field": f"data.{field.name}", "message": str(exc)})
            continue
        if value is not _SKIP:
            cleaned[field.name] = value
    if details:
        raise SubmissionError(details)
    return cleaned
