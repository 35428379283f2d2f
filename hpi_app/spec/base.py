"""The bases of the spec models (:class:`SpecModel`, :class:`FieldBase`) and their attribute types."""

import math
from abc import abstractmethod
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, WithJsonSchema, model_validator
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from hpi_app.spec.values import is_empty
from hpi_app.validation import NOT_BLANK, WHITESPACE, integer, text_rule, validation_error

# Colours the form can draw with: hex, a name, rgb()/hsl(), or a theme variable.
_COLOR = (
    r"^(?:#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,30}|(?:rgba?|hsla?)\([0-9.,%/"
    + WHITESPACE
    + r"]+\)|var\(--[A-Za-z0-9_-]+\))$"
)


def _check_number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PydanticCustomError("number_type", "must be a number")
    return value


Name = text_rule(
    r"^[A-Za-z0-9_-]{1,100}$", "must be 1-100 characters of letters, digits, '_' or '-'", code="field_name"
)
NonBlank = text_rule(NOT_BLANK, "must not be empty", code="blank")
Color = text_rule(_COLOR, "must be a CSS colour such as '#1f6feb', 'navy' or 'rgb(0, 0, 0)'", code="color")
Number = Annotated[int | float, PlainValidator(_check_number, json_schema_input_type=int | float)]
PositiveInt = integer(gt=0)
NonNegativeInt = integer(ge=0)
PositiveNumber = Annotated[
    Number, PydanticField(gt=0), WithJsonSchema({"type": "number", "exclusiveMinimum": 0})
]


class SpecModel(BaseModel):
    """Base of every spec model: unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)


class FieldBase(SpecModel):
    """What every field kind has: name, label, required, placeholder, description, default."""

    name: Name
    label: NonBlank
    kind: str
    required: bool = True
    placeholder: str | None = None
    description_mdsvex: str | None = None
    default: Any = None

    @abstractmethod
    def check(self, value: Any) -> Any:
        """Checks one non-empty answer to this field and returns the cleaned value.

        Each field kind defines this (a kind without it cannot be made). ``required`` is not
        checked here; ``hpi_app.spec.submission.validate_submission`` does that.

        Raises:
            ValueError: with a message for the person filling the form.
        """

    def _cross_check(self) -> None:
        """Raises a ValidationError when attributes contradict each other; subclasses extend."""

    @model_validator(mode="after")
    def _check_consistency(self) -> "FieldBase":
        """Checks cross-field rules, then that ``default`` is a valid answer for the field."""
        self._cross_check()
        if not is_empty(self.default):
            try:
                self.check(self.default)
            except ValueError as exc:
                raise validation_error(
                    (("default",), f"is not a valid value for this field: {exc}", self.default)
                ) from None
        return self
