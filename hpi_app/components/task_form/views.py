"""The task form's view of a task: render-ready steps, blocks and fields.

A task's spec is dynamic data, so the page renders it from state vars. This module turns the
validated spec (``hpi_app.spec`` models) into plain dataclasses whose attributes the components
read: Markdown already rendered and sanitised, options as ``{value, label}``, chart colours
chosen, our file URLs carrying the link. ``values`` does the way back, from what the form
holds to the JSON ``data`` the spec asks for.
"""

from __future__ import annotations

import dataclasses
import mimetypes
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from hpi_app import routes
from hpi_app.core.answers import number_text
from hpi_app.core.markdown import render_markdown
from hpi_app.spec import (
    CalloutBlock,
    ChartBlock,
    DownloadBlock,
    ImageBlock,
    InputBlock,
    MdsvexBlock,
    PdfBlock,
    Step,
    TableBlock,
)

# Radix step-9 colours: readable on light and dark backgrounds.
PALETTE = ("#3e63dd", "#12a594", "#f76b15", "#e93d82", "#6e56cf", "#ffc53d", "#46a758", "#00a2c7")
_INPUT_TYPES = {"text": "text", "email": "email", "url": "url", "number": "number"}


@dataclasses.dataclass
class OptionView:
    """One choice of a select, radio or multiselect field."""

    value: str = ""
    label: str = ""


@dataclasses.dataclass
class FieldView:
    """A field as the form renders it."""

    name: str = ""
    label: str = ""
    kind: str = ""
    input_id: str = ""
    required: bool = True
    placeholder: str = ""
    description_html: str = ""
    options: list[OptionView] = dataclasses.field(default_factory=list)
    input_type: str = "text"
    min: str = ""
    max: str = ""
    step: str = ""
    stars: list[int] = dataclasses.field(default_factory=list)
    accept: str = ""
    accept_types: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    max_files: int = 0
    max_file_size: int = 0
    file_hint: str = ""
    pen_color: str = "#1c2024"


@dataclasses.dataclass
class CellView:
    """One table cell: its text and alignment."""

    text: str = ""
    align: str = "left"


@dataclasses.dataclass
class DownloadView:
    """One file offered for download."""

    url: str = ""
    filename: str = ""
    details: str = ""
    description: str = ""


@dataclasses.dataclass
class SeriesView:
    """One data series of a chart."""

    key: str = ""
    label: str = ""
    color: str = ""


@dataclasses.dataclass
class BlockView:
    """A block as the form renders it; only the attributes of its ``type`` are filled."""

    type: str = ""
    html: str = ""
    title: str = ""
    severity: str = "info"
    headers: list[CellView] = dataclasses.field(default_factory=list)
    rows: list[list[CellView]] = dataclasses.field(default_factory=list)
    caption: str = ""
    url: str = ""
    alt: str = ""
    filename: str = ""
    height: str = ""
    downloads: list[DownloadView] = dataclasses.field(default_factory=list)
    chart_type: str = ""
    data: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    x: str = ""
    series: list[SeriesView] = dataclasses.field(default_factory=list)
    slice_colors: list[str] = dataclasses.field(default_factory=list)
    x_label: str = ""
    y_label: str = ""
    field: FieldView = dataclasses.field(default_factory=FieldView)


@dataclasses.dataclass
class StepView:
    """One step of the form."""

    id: str = ""
    title: str = ""
    description_html: str = ""
    blocks: list[BlockView] = dataclasses.field(default_factory=list)


def file_link(url: str, link_id: str, own_hosts: Iterable[str] = ()) -> str:
    """A URL of our files endpoint with ``?link=<link_id>`` added, so the link holder may read it.

    Relative URLs and absolute ones on one of ``own_hosts`` are ours; any other URL is returned
    unchanged (the link id never leaves for another site).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    ours = not parts.netloc or parts.netloc.lower() in {host.lower() for host in own_hosts if host}
    if not ours or not parts.path.startswith(routes.FILES_API) or "link=" in parts.query:
        return url
    separator = "&" if parts.query else "?"
    return f"{url}{separator}link={link_id}"


def size_text(size: int | None) -> str:
    """A byte count for people: ``512 B``, ``1.2 KB``, ``3.4 MB``."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return ""


def accept_types(accept: str | None) -> dict[str, list[str]]:
    """Turns an ``accept`` string (``"image/*,.pdf"``) into react-dropzone's MIME → extensions map."""
    out: dict[str, list[str]] = {}
    for token in (accept or "").split(","):
        token = token.strip().lower()
        if token.startswith(".") and len(token) > 1:
            mime = mimetypes.guess_type(f"file{token}")[0] or "application/octet-stream"
            out.setdefault(mime, []).append(token)
        elif "/" in token:
            out.setdefault(token, [])
    return out


def file_accepted(accept: str | None, filename: str, content_type: str | None) -> bool:
    """Whether a file matches an ``accept`` string by extension or MIME type (no accept: any)."""
    tokens = [t.strip().lower() for t in (accept or "").split(",") if t.strip()]
    if not tokens:
        return True
    name, ctype = filename.lower(), (content_type or "").split(";")[0].strip().lower()
    for token in tokens:
        if token.startswith("."):
            if name.endswith(token):
                return True
        elif token.endswith("/*"):
            if ctype.startswith(token[:-1]):
                return True
        elif ctype == token:
            return True
    return False


def _file_hint(field: Any) -> str:
    parts = []
    if field.max_files:
        parts.append("One file" if field.max_files == 1 else f"Up to {field.max_files} files")
    if field.max_file_size:
        parts.append(
            f"{size_text(field.max_file_size)} each"
            if field.max_files != 1
            else size_text(field.max_file_size) + " max"
        )
    if field.accept:
        parts.append(field.accept.replace(",", ", "))
    return " · ".join(parts)


def field_view(field: Any) -> FieldView:
    """The render-ready view of one field."""
    view = FieldView(
        name=field.name,
        label=field.label,
        kind=field.kind,
        input_id=f"field-{field.name}",
        required=field.required,
        placeholder=field.placeholder or "",
        description_html=render_markdown(field.description_mdsvex or ""),
        input_type=_INPUT_TYPES.get(field.kind, "text"),
    )
    kind = field.kind
    if kind in ("select", "radio", "multiselect"):
        view.options = [OptionView(value=o.value, label=o.label or o.value) for o in field.options]
    elif kind in ("number", "range"):
        view.min, view.max = number_text(field.min), number_text(field.max)
        view.step = number_text(field.step) if field.step else ("any" if kind == "number" else "1")
    elif kind == "date":
        view.input_type = "datetime-local" if field.include_time else "date"
    elif kind == "rating":
        view.stars = list(range(1, field.max_rating + 1))
    elif kind == "file":
        view.accept = field.accept or ""
        view.accept_types = accept_types(field.accept)
        view.max_files = field.max_files or 0
        view.max_file_size = field.max_file_size or 0
        view.file_hint = _file_hint(field)
    elif kind == "signature":
        view.pen_color = field.pen_color or "#1c2024"
    return view


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return number_text(value)
    return str(value)


def _table(block: TableBlock) -> BlockView:
    aligns = [*block.alignments, *["left"] * (len(block.headers) - len(block.alignments))]
    return BlockView(
        type="table",
        headers=[CellView(text=h, align=aligns[i]) for i, h in enumerate(block.headers)],
        rows=[
            [CellView(text=_cell_text(c), align=aligns[i]) for i, c in enumerate(row)] for row in block.rows
        ],
        caption=block.caption or "",
    )


def _chart(block: ChartBlock) -> BlockView:
    series_keys = {s.key for s in block.series}
    x = block.x or next((key for row in block.data[:1] for key in row if key not in series_keys), "name")
    series = [
        SeriesView(key=s.key, label=s.label or s.key, color=s.color or PALETTE[i % len(PALETTE)])
        for i, s in enumerate(block.series)
    ]
    return BlockView(
        type="chart",
        chart_type=block.chart_type,
        data=[dict(row) for row in block.data],
        x=x,
        series=series,
        slice_colors=[PALETTE[i % len(PALETTE)] for i in range(len(block.data))],
        caption=block.caption or "",
        height=f"{block.height or 300}px",
        x_label=block.x_label or "",
        y_label=block.y_label or "",
    )


def _download_details(item: Any) -> str:
    parts = [size_text(item.size), item.mime_type or ""]
    return " · ".join(p for p in parts if p)


def block_view(block: Any, link: Callable[[str], str]) -> BlockView:
    """The render-ready view of one block; ``link`` adds the link id to our file URLs."""
    if isinstance(block, InputBlock):
        return BlockView(type="input", field=field_view(block.field))
    if isinstance(block, MdsvexBlock):
        return BlockView(type="mdsvex", html=render_markdown(block.content))
    if isinstance(block, CalloutBlock):
        return BlockView(
            type="callout",
            severity=block.severity,
            title=block.title or "",
            html=render_markdown(block.content),
        )
    if isinstance(block, TableBlock):
        return _table(block)
    if isinstance(block, ImageBlock):
        return BlockView(type="image", url=link(block.url), alt=block.alt or "", caption=block.caption or "")
    if isinstance(block, PdfBlock):
        name = block.filename or block.url.rsplit("/", 1)[-1].split("?")[0] or "document.pdf"
        return BlockView(
            type="pdf",
            url=link(block.url),
            filename=name,
            caption=block.caption or "",
            height=f"{block.height or 600}px",
        )
    if isinstance(block, DownloadBlock):
        return BlockView(
            type="download",
            downloads=[
                DownloadView(
                    url=link(item.url),
                    filename=item.filename,
                    details=_download_details(item),
                    description=item.description or "",
                )
                for item in block.downloads
            ],
        )
    if isinstance(block, ChartBlock):
        return _chart(block)
    return BlockView(type=block.type)


def step_views(steps: Iterable[Step], link: Callable[[str], str]) -> list[StepView]:
    """The render-ready steps of a task."""
    return [
        StepView(
            id=step.id,
            title=step.title,
            description_html=render_markdown(step.description_mdsvex or ""),
            blocks=[block_view(block, link) for block in step.blocks],
        )
        for step in steps
    ]


def now_iso() -> str:
    """Now, as the task's answers record moments (``2026-03-03T09:30:00.000Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def when_text(moment: datetime | None) -> str:
    """A moment as the task page shows it: ``3 Mar 2026, 09:30 UTC``."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC")
