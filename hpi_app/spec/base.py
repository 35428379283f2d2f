"""The bases of the spec models (:class:`SpecModel`, :class:`FieldBase`) and their attribute types."""

import math
import re
from abc import abstractmethod
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainValidator, model_validator
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from hpi_app.spec.values import is_empty
from hpi_app.validation import validation_error

_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")
_COLOR_RE = re.compile(
    r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,30}|(?:rgba?|hsla?)\([0-9.,%\s/]+\)|var\(--[A-Za-z0-9_-]+\)"
)


def _check_name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        msg = "must be 1-100 characters of letters, digits, '_' or '-'"
        raise PydanticCustomError("field_name", msg)
    return value


def _check_not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be empty")
    return value


def _check_color(value: str) -> str:
    if not _COLOR_RE.fullmatch(value):
        msg = "must be a CSS colour such as '#1f6feb', 'navy' or 'rgb(0, 0, 0)'"
        raise PydanticCustomError("color", msg)
    return value


def _check_number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PydanticCustomError("number_type", "must be a number")
    return value


Name = Annotated[str, AfterValidator(_check_name)]
NonBlank = Annotated[str, AfterValidator(_check_not_blank)]
Color = Annotated[str, AfterValidator(_check_color)]
Number = Annotated[int | float, PlainValidator(_check_number, json_schema_input_type=int | float)]
PositiveInt = Annotated[int, PydanticField(strict=True, gt=0)]
NonNegativeInt = Annotated[int, PydanticField(strict=True, ge=0)]
PositiveNumber = Annotated[Number, PydanticField(gt=0)]


class SpecModel(BaseModel):
    """Base of every spec model: unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")


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
