"""What the task form holds, and the typed ``data`` made from it (SPEC §4 "value in data").

The form keeps its values in four maps, one per value type, so each state var is typed:
``texts`` (text kinds, select, radio, date, number and range as typed, signature data URLs),
``flags`` (checkboxes), ``lists`` (multiselect, file URLs) and ``ratings``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from hpi_app.components.task_form.views import file_accepted, size_text
from hpi_app.core.answers import number_text
from hpi_app.spec import Step, iter_fields

TEXT_KINDS = frozenset({"text", "textarea", "email", "url", "select", "radio", "date", "number", "range"})
_INTEGER_RE = re.compile(r"[+-]?\d+")


@dataclasses.dataclass
class FormValues:
    """What the form holds, one map per value type."""

    texts: dict[str, str] = dataclasses.field(default_factory=dict)
    flags: dict[str, bool] = dataclasses.field(default_factory=dict)
    lists: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    ratings: dict[str, int] = dataclasses.field(default_factory=dict)


def initial_values(steps: Iterable[Step]) -> FormValues:
    """The form's starting values: each field's ``default``, a range at its default or minimum."""
    values = FormValues()
    for field in iter_fields(steps):
        default, name, kind = field.default, field.name, field.kind
        if kind == "checkbox":
            values.flags[name] = default is True
        elif kind == "rating":
            values.ratings[name] = (
                default if isinstance(default, int) and not isinstance(default, bool) else 0
            )
        elif kind in ("multiselect", "file"):
            values.lists[name] = [str(v) for v in default] if isinstance(default, list) else []
        elif kind == "signature":
            values.texts[name] = str(default.get("data", "")) if isinstance(default, dict) else ""
        elif kind == "range":
            values.texts[name] = number_text(default if default is not None else field.min)
        elif kind == "number":
            values.texts[name] = number_text(default)
        else:
            values.texts[name] = "" if default is None else str(default)
    return values


def parse_number(text: str) -> int | float | str | None:
    """A typed number from an input's text; None when blank, the text itself when not a number."""
    text = text.strip()
    if not text:
        return None
    if _INTEGER_RE.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return text
    return number


def collect_data(
    steps: Iterable[Step],
    values: FormValues,
    signed_at: Mapping[str, str],
    *,
    only_step: str | None = None,
) -> dict[str, Any]:
    """The answers in the JSON types the spec asks for (empty answers left out).

    Args:
        steps: The task's steps.
        values: What the form holds.
        signed_at: When each signature was drawn (ISO 8601), by field name.
        only_step: Collect only this step's fields.
    """
    steps = [s for s in steps if only_step is None or s.id == only_step]
    data: dict[str, Any] = {}
    for field in iter_fields(steps):
        name, kind = field.name, field.kind
        if kind == "checkbox":
            value: Any = values.flags.get(name, False)
        elif kind == "rating":
            value = values.ratings.get(name, 0) or None
        elif kind in ("multiselect", "file"):
            value = list(values.lists.get(name, []))
        elif kind in ("number", "range"):
            value = parse_number(values.texts.get(name, ""))
        elif kind == "signature":
            image = values.texts.get(name, "")
            value = (
                {"mode": field.signature_mode, "data": image, "timestamp": signed_at.get(name, "")}
                if image
                else None
            )
        else:
            value = values.texts.get(name, "")
        if value is not None and value != "" and value != []:
            data[name] = value
    return data


def rejection_message(field: Any, rejected: list[dict[str, Any]]) -> str:
    """What to tell the person when the browser refused dropped files (type, size or count)."""
    codes = {str(e.get("code", "")) for item in rejected for e in (item.get("errors") or [])}
    if "file-too-large" in codes:
        return f"That file is too large: the limit is {size_text(field.max_file_size)}."
    if "too-many-files" in codes:
        return f"Too many files: upload at most {field.max_files}."
    if "file-invalid-type" in codes:
        return f"That type of file isn't accepted here. Accepted: {field.accept}."
    return "That file couldn't be added. Try another file."


def upload_problem(field: Any, uploads: list[Any], already: int) -> str:
    """Why files chosen for a file field can't be stored (count, type, size), or ``""``.

    Args:
        field: The file field.
        uploads: The chosen files (``name``, ``content_type``, ``size`` and a seekable ``file``).
        already: How many files the field holds already.
    """
    if field.max_files and already + len(uploads) > field.max_files:
        return f"Upload at most {field.max_files} file{'s' if field.max_files != 1 else ''}."
    for upload in uploads:
        name = upload.name or "file"
        if not file_accepted(field.accept, name, upload.content_type):
            return f"“{name}” isn't an accepted type. Accepted: {field.accept}."
        size = upload.size
        if size is None:
            upload.file.seek(0, 2)
            size = upload.file.tell()
            upload.file.seek(0)
        if field.max_file_size and size > field.max_file_size:
            return f"“{name}” is too large: the limit is {size_text(field.max_file_size)}."
    return ""


def plain_data(value: Any) -> Any:
    """State values as plain lists and dicts (the strict spec models refuse Reflex's proxies)."""
    value = getattr(value, "__wrapped__", value)
    if isinstance(value, dict):
        return {key: plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    return value
