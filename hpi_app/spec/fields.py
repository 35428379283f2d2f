"""The field kinds of an input block; each field checks a submitted value itself (SPEC §4).

A field's ``check(value)`` holds the rules for one answer to it; the field uses it to check its
own ``default`` (see :class:`hpi_app.spec.base.FieldBase`) and
:func:`hpi_app.spec.submission.validate_submission` uses it for every answer, so the two agree.
The choice kinds live in :mod:`hpi_app.spec.choices`; :data:`Field` is the union of all kinds.

Decisions worth knowing:

- An unknown field ``kind`` is an error; unknown keys are ignored.
- ``required`` defaults to true. A field's ``default`` is only a pre-fill for the form and must
  be a valid answer.
- Text answers are kept as typed (not stripped), except email and URL answers, which are
  stripped of surrounding whitespace; a blank text answer counts as missing.
- Date answers are returned as the person gave them, once checked.
"""

import math
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, field_validator
from pydantic_core import PydanticCustomError

from hpi_app.spec.base import Color, FieldBase, NonNegativeInt, Number, PositiveInt, PositiveNumber
from hpi_app.spec.choices import MultiselectField, RadioField, SelectField
from hpi_app.spec.patterns import MAX_MATCHED_LENGTH, PatternError, compile_pattern, full_match
from hpi_app.spec.values import DATE_RE, EMAIL_RE, is_http_url, is_iso_datetime, is_link_url, is_png_data_url
from hpi_app.validation import integer, tagged_union, validation_error

TEXT_KINDS = frozenset({"text", "textarea", "email", "url"})


def _fmt(number: float) -> str:
    """Formats a number for a message: ``5`` rather than ``5.0``."""
    return str(int(number)) if float(number).is_integer() and abs(number) < 1e15 else str(number)


def _characters(count: int) -> str:
    return f"{count} character" if count == 1 else f"{count} characters"


class _TextFieldBase(FieldBase):
    """Shared by the text kinds: optional length limits and a regex pattern."""

    min_length: NonNegativeInt | None = None
    max_length: NonNegativeInt | None = None
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compile_pattern(cls, value: str | None) -> str | None:
        """Rejects a pattern RE2 cannot compile, or one over the length limit."""
        if value is not None:
            try:
                compile_pattern(value)
            except PatternError as exc:
                raise PydanticCustomError("pattern_invalid", "{reason}", {"reason": str(exc)}) from None
        return value

    def _cross_check(self) -> None:
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            msg = f"must be at least min_length ({self.min_length})"
            raise validation_error((("max_length",), msg, self.max_length))

    def check(self, value: Any) -> str:
        """Checks that the answer is text within the length limits and matching the pattern."""
        if not isinstance(value, str):
            msg = "Must be text"
            raise ValueError(msg)
        if self.min_length is not None and len(value) < self.min_length:
            msg = f"Must be at least {_characters(self.min_length)}"
            raise ValueError(msg)
        if self.max_length is not None and len(value) > self.max_length:
            msg = f"Must be at most {_characters(self.max_length)}"
            raise ValueError(msg)
        if self.pattern is not None:
            if len(value) > MAX_MATCHED_LENGTH:
                msg = f"Must be at most {_characters(MAX_MATCHED_LENGTH)} to be checked against the format"
                raise ValueError(msg)
            if not full_match(self.pattern, value):
                msg = "Does not match the required format"
                raise ValueError(msg)
        return value


class TextField(_TextFieldBase):
    """A one-line text answer."""

    kind: Literal["text"]


class TextareaField(_TextFieldBase):
    """A multi-line text answer."""

    kind: Literal["textarea"]


class EmailField(_TextFieldBase):
    """A text answer that must be an email address."""

    kind: Literal["email"]

    def check(self, value: Any) -> str:
        """Checks the text rules, then that the stripped answer is an email address."""
        value = super().check(value).strip()
        if len(value) > 254 or not EMAIL_RE.fullmatch(value):
            msg = "Enter a valid email address, like name@example.com"
            raise ValueError(msg)
        return value


class UrlField(_TextFieldBase):
    """A text answer that must be an http(s) URL."""

    kind: Literal["url"]

    def check(self, value: Any) -> str:
        """Checks the text rules, then that the stripped answer is an http(s) URL."""
        value = super().check(value).strip()
        if not is_http_url(value):
            msg = "Enter a valid web address starting with http:// or https://"
            raise ValueError(msg)
        return value


class _BoundedBase(FieldBase):
    """Shared by number and range: min, max and step."""

    min: Number | None = None
    max: Number | None = None
    step: PositiveNumber | None = None

    def _cross_check(self) -> None:
        if self.min is not None and self.max is not None and self.min > self.max:
            msg = f"must be greater than or equal to min ({self.min})"
            raise validation_error((("max",), msg, self.max))

    def check(self, value: Any) -> int | float:
        """Checks that the answer is a finite number within the bounds and on a step."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            msg = "Must be a number"
            raise ValueError(msg)
        if not math.isfinite(value):
            msg = "Must be a finite number"
            raise ValueError(msg)
        if self.min is not None and value < self.min:
            msg = f"Must be at least {_fmt(self.min)}"
            raise ValueError(msg)
        if self.max is not None and value > self.max:
            msg = f"Must be at most {_fmt(self.max)}"
            raise ValueError(msg)
        if self.step:
            base = self.min if self.min is not None else 0
            steps = (value - base) / self.step
            if abs(steps - round(steps)) > 1e-9 * max(1.0, abs(steps)):
                start = "" if base == 0 else f" starting from {_fmt(base)}"
                msg = f"Must be in steps of {_fmt(self.step)}{start}"
                raise ValueError(msg)
        return value


class NumberField(_BoundedBase):
    """A numeric answer with optional bounds and step."""

    kind: Literal["number"]


class RangeField(_BoundedBase):
    """A slider between a required min and max."""

    kind: Literal["range"]
    min: Number
    max: Number


class CheckboxField(FieldBase):
    """A tick box; when required it must be ticked."""

    kind: Literal["checkbox"]

    def check(self, value: Any) -> bool:
        """Checks that the answer is true or false (whether it must be ticked is not checked here)."""
        if not isinstance(value, bool):
            msg = "Must be ticked or not (true or false)"
            raise ValueError(msg)
        return value


class DateField(FieldBase):
    """An ISO date, or an ISO date-time when ``include_time`` is set."""

    kind: Literal["date"]
    include_time: bool = False

    def check(self, value: Any) -> str:
        """Checks that the answer is an ISO date (or date-time) and returns it as given."""
        if self.include_time:
            if not isinstance(value, str) or not is_iso_datetime(value):
                msg = "Enter a valid date and time, like 2026-02-24T14:30"
                raise ValueError(msg)
            return value
        valid = isinstance(value, str) and DATE_RE.fullmatch(value)
        try:
            valid = valid and date.fromisoformat(value)
        except ValueError:
            valid = False
        if not valid:
            msg = "Enter a valid date, like 2026-02-24"
            raise ValueError(msg)
        return value


class RatingField(FieldBase):
    """A star rating from 1 to ``max_rating``."""

    kind: Literal["rating"]
    max_rating: integer(ge=1, le=10) = 5

    def check(self, value: Any) -> int:
        """Checks that the answer is a whole number from 1 to ``max_rating``."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= self.max_rating:
            msg = f"Choose a rating from 1 to {self.max_rating}"
            raise ValueError(msg)
        return value


class FileField(FieldBase):
    """Uploaded files; the answer is a list of file URLs."""

    kind: Literal["file"]
    accept: str | None = None
    max_file_size: PositiveInt | None = None
    max_files: PositiveInt | None = None

    def check(self, value: Any) -> list[str]:
        """Checks that the answer is a list of at most ``max_files`` file URLs."""
        if not isinstance(value, list) or not all(is_link_url(item) for item in value):
            msg = "Must be a list of uploaded file URLs"
            raise ValueError(msg)
        if self.max_files is not None and len(value) > self.max_files:
            msg = f"Upload at most {self.max_files} file{'s' if self.max_files != 1 else ''}"
            raise ValueError(msg)
        return value


class SignatureField(FieldBase):
    """A drawn signature; the answer is ``{mode, data (PNG data URL), timestamp}``."""

    kind: Literal["signature"]
    signature_mode: Literal["draw"] = "draw"
    pen_color: Color | None = None

    def check(self, value: Any) -> dict[str, Any]:
        """Checks the mode, PNG data and timestamp, and returns just those three keys."""
        invalid = "The signature could not be read; please sign again"
        if not isinstance(value, dict):
            raise ValueError(invalid)
        mode, data, timestamp = value.get("mode"), value.get("data"), value.get("timestamp")
        timestamp_ok = (isinstance(timestamp, str) and is_iso_datetime(timestamp)) or (
            isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool)
        )
        if mode != self.signature_mode or not is_png_data_url(data) or not timestamp_ok:
            raise ValueError(invalid)
        return {"mode": mode, "data": data, "timestamp": timestamp}


_FIELD_MODELS: dict[str, type[BaseModel]] = {
    "checkbox": CheckboxField,
    "date": DateField,
    "email": EmailField,
    "file": FileField,
    "multiselect": MultiselectField,
    "number": NumberField,
    "radio": RadioField,
    "range": RangeField,
    "rating": RatingField,
    "select": SelectField,
    "signature": SignatureField,
    "text": TextField,
    "textarea": TextareaField,
    "url": UrlField,
}
FIELD_KINDS = tuple(_FIELD_MODELS)
Field = tagged_union(_FIELD_MODELS, key="kind", prefix="field")
