"""Submitted answers laid out for people, once for every place that shows them.

The done page, the task detail page and the email a sink sends all present a task's answers
through ``answers``: the same words for a skipped field, a rating, a date or a number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hpi_app.spec import iter_fields, load_steps

NO_ANSWER = "—"


@dataclass
class AnswerFile:
    """One uploaded file of a file field: where to fetch it, and its name."""

    url: str = ""
    name: str = ""


@dataclass
class Answer:
    """One answered (or skipped) field, ready to show.

    Attributes:
        name: The field's name (the key in ``data``).
        label: The field's label.
        kind: The field's kind.
        text: The answer as text (``NO_ANSWER`` when not given).
        image: A data URL to show as a picture (signatures).
        files: The uploaded files (file fields).
        given: Whether the field was answered at all.
    """

    name: str = ""
    label: str = ""
    kind: str = ""
    text: str = ""
    image: str = ""
    files: list[AnswerFile] = field(default_factory=list)
    given: bool = True

    @property
    def links(self) -> list[str]:
        """The URLs of the uploaded files."""
        return [f.url for f in self.files]


def number_text(value: Any) -> str:
    """A number as people read it: ``5`` rather than ``5.0``; ``""`` for None."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _text(f: Any, value: Any) -> str:
    kind = f.kind
    if kind == "checkbox":
        return "Yes" if value else "No"
    if kind in ("select", "radio"):
        return f.option_label(value)
    if kind == "multiselect":
        return ", ".join(f.option_label(v) for v in value)
    if kind == "rating":
        return f"{'★' * value}{'☆' * (f.max_rating - value)}  ({value} of {f.max_rating})"
    if kind == "date":
        return str(value).replace("T", " ")
    if kind in ("number", "range"):
        return number_text(value)
    if kind == "file":
        return ", ".join(_file_name(v) for v in value)
    if kind == "signature":
        return "Signed"
    return str(value)


def _file_name(url: Any) -> str:
    return str(url).rstrip("/").rsplit("/", 1)[-1]


def answers(
    steps: list[dict[str, Any]],
    data: Mapping[str, Any] | None,
    *,
    link: Callable[[str], str] | None = None,
) -> list[Answer]:
    """Every field of the task with its answer, in the order of the form.

    Args:
        steps: The task's steps (its spec, as stored).
        data: The submitted answers.
        link: Turns a file's URL into the one to offer (the task page adds the link id).
    """
    data = data or {}
    out = []
    for f in iter_fields(load_steps(steps)):
        value = data.get(f.name)
        if value is None or value == "" or value == []:
            out.append(Answer(f.name, f.label, f.kind, NO_ANSWER, given=False))
            continue
        image = str(value.get("data", "")) if f.kind == "signature" and isinstance(value, dict) else ""
        files = (
            [AnswerFile(link(str(v)) if link else str(v), _file_name(v)) for v in value]
            if f.kind == "file" and isinstance(value, list)
            else []
        )
        out.append(Answer(f.name, f.label, f.kind, _text(f, value), image, files))
    return out
