"""Submitted answers laid out for people: the done page, task detail, and email."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hpi_app.spec import iter_fields, load_steps


@dataclass
class Answer:
    """One answered (or skipped) field, ready to show.

    Attributes:
        name: The field's name (the key in ``data``).
        label: The field's label.
        kind: The field's kind.
        text: The answer as text ("—" when not given).
        image: A data URL to show as a picture (signatures).
        links: URLs to offer as downloads (file fields).
    """

    name: str
    label: str
    kind: str
    text: str
    image: str = ""
    links: list[str] = field(default_factory=list)


def _text(f: Any, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    kind = f.kind
    if kind == "checkbox":
        return "Yes" if value else "No"
    if kind in ("select", "radio"):
        return f.option_label(value)
    if kind == "multiselect":
        return ", ".join(f.option_label(v) for v in value)
    if kind == "rating":
        return f"{value} / {f.max_rating}"
    if kind == "file":
        return ", ".join(str(v).rsplit("/", 1)[-1] for v in value)
    if kind == "signature":
        return "Signed"
    return str(value)


def answers(steps: list[dict[str, Any]], data: dict[str, Any] | None) -> list[Answer]:
    """Every field of the task with its answer, in the order of the form."""
    data = data or {}
    out = []
    for f in iter_fields(load_steps(steps)):
        value = data.get(f.name)
        image = value.get("data", "") if f.kind == "signature" and isinstance(value, dict) else ""
        links = [str(v) for v in value] if f.kind == "file" and isinstance(value, list) else []
        out.append(Answer(f.name, f.label, f.kind, _text(f, value), image, links))
    return out
