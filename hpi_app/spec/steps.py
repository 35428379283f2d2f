"""The steps of a task: pages of blocks, checked together for repeated ids and names (SPEC §4).

Decisions worth knowing:

- A task needs at least one step and a step at least one block; a step of content blocks only
  (no inputs) is fine.
- Step ids are unique in the task and field names unique across all its steps; each repeat is
  reported at its own place and names where the first use was.
"""

from collections.abc import Iterable, Iterator
from typing import Annotated

from pydantic import AfterValidator, TypeAdapter
from pydantic import Field as PydanticField

from hpi_app.spec.base import NonBlank, SpecModel
from hpi_app.spec.blocks import Block, InputBlock
from hpi_app.spec.fields import Field
from hpi_app.validation import NOT_BLANK, json_path, text_rule, validation_error

StepId = text_rule(NOT_BLANK, "must be 1-100 characters", code="step_id", max_length=100)


class Step(SpecModel):
    """One page of the task form: an id, a title and at least one block."""

    id: StepId
    title: NonBlank
    description_mdsvex: str | None = None
    blocks: Annotated[list[Block], PydanticField(min_length=1)]


def step_fields(step: Step) -> list[Field]:
    """Returns the fields of one step's input blocks, in order."""
    return [block.field for block in step.blocks if isinstance(block, InputBlock)]


def iter_fields(steps: Iterable[Step]) -> Iterator[Field]:
    """Yields every field of the task, step by step, in order."""
    for step in steps:
        yield from step_fields(step)


def check_steps(steps: list[Step]) -> list[Step]:
    """Checks that step ids are unique in the task and field names unique across all steps.

    Each repeat is reported at its own location (``[1].id``, ``[2].blocks[0].field.name``)
    relative to the step list.

    Raises:
        ValidationError: naming every repeated step id and field name.
    """
    errors = []
    step_ids: dict[str, int] = {}
    field_names: dict[str, str] = {}
    for step_index, step in enumerate(steps):
        if step.id in step_ids:
            msg = f"duplicate step id {step.id!r} (already used by steps[{step_ids[step.id]}])"
            errors.append(((step_index, "id"), msg, step.id))
        step_ids.setdefault(step.id, step_index)
        for block_index, block in enumerate(step.blocks):
            if not isinstance(block, InputBlock):
                continue
            name = block.field.name
            loc = (step_index, "blocks", block_index, "field", "name")
            if name in field_names:
                msg = f"duplicate field name {name!r} (already used at {field_names[name]})"
                errors.append((loc, msg, name))
            field_names.setdefault(name, json_path(("steps", *loc)))
    if errors:
        raise validation_error(*errors)
    return steps


StepList = Annotated[list[Step], PydanticField(min_length=1), AfterValidator(check_steps)]
_STEPS_ADAPTER: TypeAdapter[list[Step]] = TypeAdapter(StepList)


def load_steps(raw: object) -> list[Step]:
    """Validates a JSON-like ``steps`` list, such as a task's spec read back from the store.

    Raises:
        ValidationError: use ``error_details(exc, prefix=("steps",))`` to report it.
    """
    return _STEPS_ADAPTER.validate_python(raw)
