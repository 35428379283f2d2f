"""Submission validation: checks a person's answers against the task spec (SPEC §4).

The rules for one value live in :func:`check_value`; the spec models use it to check a field's
``default`` and :func:`validate_submission` uses it for every answer, so the two agree.
This module needs no spec model at import time (``hpi_app.spec`` imports it), so it reads
fields by their attributes (``kind``, ``name``, ``required``, ``options`` ...).

Decisions worth knowing:

- Absent or empty answers (``None``, blank strings, ``[]``, ``{}``) to optional fields are left
  out of the cleaned data; a field's ``default`` is only a pre-fill for the form and is never
  filled in by the server.
- Text answers are kept as typed (not stripped), except email and URL answers, which are
  stripped of surrounding whitespace; a blank text answer counts as missing.
- Date answers are returned as the person gave them, once checked.
"""

import base64
import binascii
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "SubmissionError",
    "check_value",
    "is_empty",
    "is_http_url",
    "is_link_url",
    "validate_submission",
]

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?")
_PNG_PREFIX = "data:image/png;base64,"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_REQUIRED = "This field is required"
_TICK = "This box must be ticked"
_SKIP = object()


class SubmissionError(Exception):
    """Answers that do not fit the spec; ``details`` lists ``{"field": "data.<name>", "message"}``."""

    def __init__(self, details: list[dict[str, str]]) -> None:
        """Keeps the details and summarises them as the exception message."""
        self.details = details
        super().__init__("; ".join(f"{d['field']}: {d['message']}" for d in details))


def is_empty(value: object) -> bool:
    """Tells whether an answer counts as missing: None, a blank string, ``[]`` or ``{}``."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, dict)) and not value


def is_http_url(value: object) -> bool:
    """Tells whether ``value`` is an absolute http or https URL with a host."""
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def is_link_url(value: object) -> bool:
    """Tells whether ``value`` is an http(s) URL or a site path starting with a single ``/``."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        return not any(c.isspace() or c == "\\" for c in value)
    return is_http_url(value)


def _fmt(number: float) -> str:
    """Formats a number for a message: ``5`` rather than ``5.0``."""
    return str(int(number)) if float(number).is_integer() and abs(number) < 1e15 else str(number)


def _characters(count: int) -> str:
    return f"{count} character" if count == 1 else f"{count} characters"


def _choices(field: Any) -> str:
    return ", ".join(option.label or option.value for option in field.options)


def _check_text(field: Any, value: Any) -> str:
    if not isinstance(value, str):
        msg = "Must be text"
        raise ValueError(msg)
    if field.min_length is not None and len(value) < field.min_length:
        msg = f"Must be at least {_characters(field.min_length)}"
        raise ValueError(msg)
    if field.max_length is not None and len(value) > field.max_length:
        msg = f"Must be at most {_characters(field.max_length)}"
        raise ValueError(msg)
    if field.pattern is not None and re.fullmatch(field.pattern, value) is None:
        msg = "Does not match the required format"
        raise ValueError(msg)
    if field.kind == "email":
        value = value.strip()
        if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
            msg = "Enter a valid email address, like name@example.com"
            raise ValueError(msg)
    if field.kind == "url":
        value = value.strip()
        if not is_http_url(value):
            msg = "Enter a valid web address starting with http:// or https://"
            raise ValueError(msg)
    return value


def _check_number(field: Any, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = "Must be a number"
        raise ValueError(msg)
    if not math.isfinite(value):
        msg = "Must be a finite number"
        raise ValueError(msg)
    if field.min is not None and value < field.min:
        msg = f"Must be at least {_fmt(field.min)}"
        raise ValueError(msg)
    if field.max is not None and value > field.max:
        msg = f"Must be at most {_fmt(field.max)}"
        raise ValueError(msg)
    if field.step:
        base = field.min if field.min is not None else 0
        steps = (value - base) / field.step
        if abs(steps - round(steps)) > 1e-9 * max(1.0, abs(steps)):
            start = "" if base == 0 else f" starting from {_fmt(base)}"
            msg = f"Must be in steps of {_fmt(field.step)}{start}"
            raise ValueError(msg)
    return value


def _check_rating(field: Any, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= field.max_rating:
        msg = f"Choose a rating from 1 to {field.max_rating}"
        raise ValueError(msg)
    return value


def _check_choice(field: Any, value: Any) -> str:
    if not isinstance(value, str) or value not in {option.value for option in field.options}:
        msg = f"Choose one of: {_choices(field)}"
        raise ValueError(msg)
    return value


def _check_multiselect(field: Any, value: Any) -> list[str]:
    allowed = {option.value for option in field.options}
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        msg = f"Choose any of: {_choices(field)}"
        raise ValueError(msg)
    unknown = [item for item in value if item not in allowed]
    if unknown:
        msg = f"Not an option: {', '.join(unknown)}. Choose from: {_choices(field)}"
        raise ValueError(msg)
    return list(dict.fromkeys(value))


def _check_checkbox(field: Any, value: Any) -> bool:
    if not isinstance(value, bool):
        msg = "Must be ticked or not (true or false)"
        raise ValueError(msg)
    return value


def _is_iso_datetime(value: str) -> bool:
    if not _DATETIME_RE.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_date(field: Any, value: Any) -> str:
    if field.include_time:
        if not isinstance(value, str) or not _is_iso_datetime(value):
            msg = "Enter a valid date and time, like 2026-02-24T14:30"
            raise ValueError(msg)
        return value
    valid = isinstance(value, str) and _DATE_RE.fullmatch(value)
    try:
        valid = valid and date.fromisoformat(value)
    except ValueError:
        valid = False
    if not valid:
        msg = "Enter a valid date, like 2026-02-24"
        raise ValueError(msg)
    return value


def _check_files(field: Any, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(is_link_url(item) for item in value):
        msg = "Must be a list of uploaded file URLs"
        raise ValueError(msg)
    if field.max_files is not None and len(value) > field.max_files:
        msg = f"Upload at most {field.max_files} file{'s' if field.max_files != 1 else ''}"
        raise ValueError(msg)
    return value


def _is_png_data_url(value: Any) -> bool:
    if not isinstance(value, str) or not value.startswith(_PNG_PREFIX):
        return False
    try:
        return base64.b64decode(value[len(_PNG_PREFIX) :], validate=True).startswith(_PNG_MAGIC)
    except (binascii.Error, ValueError):
        return False


def _check_signature(field: Any, value: Any) -> dict[str, Any]:
    invalid = "The signature could not be read; please sign again"
    if not isinstance(value, dict):
        raise ValueError(invalid)
    mode, data, timestamp = value.get("mode"), value.get("data"), value.get("timestamp")
    timestamp_ok = (isinstance(timestamp, str) and _is_iso_datetime(timestamp)) or (
        isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool)
    )
    if mode != field.signature_mode or not _is_png_data_url(data) or not timestamp_ok:
        raise ValueError(invalid)
    return {"mode": mode, "data": data, "timestamp": timestamp}


_CHECKS: dict[str, Callable[[Any, Any], Any]] = {
    "text": _check_text,
    "textarea": _check_text,
    "email": _check_text,
    "url": _check_text,
    "number": _check_number,
    "range": _check_number,
    "rating": _check_rating,
    "select": _check_choice,
    "radio": _check_choice,
    "multiselect": _check_multiselect,
    "checkbox": _check_checkbox,
    "date": _check_date,
    "file": _check_files,
    "signature": _check_signature,
}


def check_value(field: Any, value: Any) -> Any:
    """Checks one non-empty answer against its field and returns the cleaned value.

    ``required`` is not checked here; :func:`validate_submission` does that.

    Raises:
        ValueError: with a message for the person filling the form.
    """
    return _CHECKS[field.kind](field, value)


def _check_answer(field: Any, value: Any) -> Any:
    """Checks one answer, required-ness included; returns ``_SKIP`` for an empty optional one."""
    if is_empty(value):
        if field.required:
            raise ValueError(_TICK if field.kind == "checkbox" else _REQUIRED)
        return _SKIP
    value = check_value(field, value)
    if field.kind == "checkbox" and field.required and value is not True:
        raise ValueError(_TICK)
    return value


def validate_submission(
    steps: Iterable[Any], data: object, *, only_step: str | None = None
) -> dict[str, Any]:
    """Checks submitted answers against the task's steps and returns the cleaned ``data``.

    Args:
        steps: The task's steps (``hpi_app.spec.Step`` models).
        data: The answers, a mapping of field name to value.
        only_step: Check only this step's fields (the form's per-step validation); answers to
            other steps' fields are then ignored and left out of the result.

    Returns:
        The answers to the checked fields, cleaned; empty optional answers are left out.

    Raises:
        SubmissionError: naming each bad answer as ``data.<name>``.
        ValueError: if ``only_step`` is not a step of the task.
    """
    from hpi_app.spec import iter_fields, step_fields

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
