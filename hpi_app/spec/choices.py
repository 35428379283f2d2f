"""The choice field kinds (select, radio, multiselect) and their options.

Decisions worth knowing:

- Options may be strings or ``{value, label}`` objects (``label`` defaults to ``value``); a
  string option is dumped back as a string, so ``model_dump(mode="json", exclude_none=True)``
  gives the spec a client sent. Option values are unique within a field.
- A multiselect answer is cleaned of repeats, keeping the first of each.
"""

from typing import Annotated, Any, Literal

from pydantic import Field as PydanticField
from pydantic import PrivateAttr, WithJsonSchema, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from hpi_app.spec.base import FieldBase, SpecModel
from hpi_app.validation import validation_error


class Option(SpecModel):
    """One choice of a select, radio or multiselect field."""

    value: Annotated[str, PydanticField(min_length=1)]
    label: str | None = None
    _from_string: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _accept_string(cls, data: Any, handler: Any) -> "Option":
        """Accepts a bare string as an option whose value and label are that string."""
        if isinstance(data, str):
            option = handler({"value": data, "label": data})
            option._from_string = True
            return option
        if not isinstance(data, (dict, Option)):
            msg = 'must be a string or an object with "value" and "label"'
            raise PydanticCustomError("option_type", msg)
        option = handler(data)
        if option.label is None:
            option.label = option.value
        return option

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> str | dict[str, Any]:
        """Dumps a string option back as the string it came from."""
        return self.value if self._from_string else handler(self)


_OPTION_SCHEMA = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "properties": {
                "value": {"type": "string", "minLength": 1},
                "label": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
            "required": ["value"],
        },
    ]
}
OptionItem = Annotated[Option, WithJsonSchema(_OPTION_SCHEMA)]


class ChoiceBase(FieldBase):
    """Shared by select, radio and multiselect: a non-empty list of unique options."""

    options: Annotated[list[OptionItem], PydanticField(min_length=1)]

    def _cross_check(self) -> None:
        seen: set[str] = set()
        duplicates = []
        for index, option in enumerate(self.options):
            if option.value in seen:
                duplicates.append(
                    (("options", index), f"duplicate option value {option.value!r}", option.value)
                )
            seen.add(option.value)
        if duplicates:
            raise validation_error(*duplicates)

    def option_label(self, value: str) -> str:
        """Returns the label shown for an option value (the value itself if unknown)."""
        return next((o.label or o.value for o in self.options if o.value == value), value)

    def _choices(self) -> str:
        return ", ".join(option.label or option.value for option in self.options)

    def check(self, value: Any) -> str:
        """Checks that the answer is the value of one of the options."""
        if not isinstance(value, str) or value not in {option.value for option in self.options}:
            msg = f"Choose one of: {self._choices()}"
            raise ValueError(msg)
        return value


class SelectField(ChoiceBase):
    """One choice from a drop-down list."""

    kind: Literal["select"]


class RadioField(ChoiceBase):
    """One choice from radio buttons."""

    kind: Literal["radio"]


class MultiselectField(ChoiceBase):
    """Any number of choices; the answer is a list of option values."""

    kind: Literal["multiselect"]

    def check(self, value: Any) -> list[str]:
        """Checks that the answer is a list of option values; repeats are dropped."""
        allowed = {option.value for option in self.options}
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            msg = f"Choose any of: {self._choices()}"
            raise ValueError(msg)
        unknown = [item for item in value if item not in allowed]
        if unknown:
            msg = f"Not an option: {', '.join(unknown)}. Choose from: {self._choices()}"
            raise ValueError(msg)
        return list(dict.fromkeys(value))
