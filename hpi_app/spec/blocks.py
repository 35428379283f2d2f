"""The block types of a step: one input block per field, and content blocks (SPEC §4).

Decisions worth knowing:

- An unknown block ``type`` is an error; unknown keys are ignored.
- Image, PDF and download URLs must be http(s) URLs or site paths (``/api/v1/files/...``);
  ``javascript:``, ``data:`` and protocol-relative (``//host``) URLs are refused.
- Each table row has exactly one cell per header, and there are at most as many alignments.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, PlainValidator, model_validator
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from hpi_app.spec.base import Color, NonBlank, NonNegativeInt, PositiveInt, SpecModel
from hpi_app.spec.fields import Field
from hpi_app.spec.values import LINK_URL_PATTERN
from hpi_app.validation import tagged_union, text_rule, validation_error


def _check_cell(value: Any) -> str | int | float | bool | None:
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise PydanticCustomError("cell_type", "must be text, a number, a boolean or null")
    return value


LinkUrl = text_rule(LINK_URL_PATTERN, "must be an http(s) URL or a path starting with '/'", code="link_url")
Cell = Annotated[
    str | int | float | bool | None,
    PlainValidator(_check_cell, json_schema_input_type=str | int | float | bool | None),
]


class InputBlock(SpecModel):
    """A block holding one form field."""

    type: Literal["input"]
    field: Field


class MdsvexBlock(SpecModel):
    """Markdown content, rendered server-side and sanitised."""

    type: Literal["mdsvex"]
    content: str


class TableBlock(SpecModel):
    """A static table; each row has one cell per header."""

    type: Literal["table"]
    headers: Annotated[list[str], PydanticField(min_length=1)]
    rows: list[list[Cell]] = []
    alignments: list[Literal["left", "center", "right"]] = []
    caption: str | None = None

    @model_validator(mode="after")
    def _check_shape(self) -> "TableBlock":
        """Checks that rows and alignments fit the headers."""
        width = len(self.headers)
        errors = [
            (("rows", index), f"has {len(row)} cells but the table has {width} headers", row)
            for index, row in enumerate(self.rows)
            if len(row) != width
        ]
        if len(self.alignments) > width:
            msg = f"has {len(self.alignments)} entries but the table has {width} headers"
            errors.append((("alignments",), msg, self.alignments))
        if errors:
            raise validation_error(*errors)
        return self


class ImageBlock(SpecModel):
    """An image shown by URL."""

    type: Literal["image"]
    url: LinkUrl
    alt: str | None = None
    caption: str | None = None


class CalloutBlock(SpecModel):
    """A highlighted Markdown note."""

    type: Literal["callout"]
    severity: Literal["info", "warning", "error", "success"] = "info"
    title: str | None = None
    content: str


class PdfBlock(SpecModel):
    """An embedded PDF viewer; ``height`` is in pixels."""

    type: Literal["pdf"]
    url: LinkUrl
    filename: str | None = None
    caption: str | None = None
    height: PositiveInt | None = None


class DownloadItem(SpecModel):
    """One file offered for download; ``size`` is in bytes."""

    url: LinkUrl
    filename: NonBlank
    size: NonNegativeInt | None = None
    mime_type: str | None = None
    description: str | None = None


class DownloadBlock(SpecModel):
    """A list of files to download."""

    type: Literal["download"]
    downloads: Annotated[list[DownloadItem], PydanticField(min_length=1)]


class DividerBlock(SpecModel):
    """A horizontal rule."""

    type: Literal["divider"]


class ChartSeries(SpecModel):
    """One data series of a chart: the key in each data object, with label and colour."""

    key: NonBlank
    label: str | None = None
    color: Color | None = None


class ChartBlock(SpecModel):
    """A chart over ``data`` objects; ``x`` names the category key, ``height`` is in pixels."""

    type: Literal["chart"]
    chart_type: Literal["area", "bar", "line", "pie"]
    data: list[dict[str, Any]] = []
    x: str | None = None
    series: Annotated[list[ChartSeries], PydanticField(min_length=1)]
    caption: str | None = None
    height: PositiveInt | None = None
    x_label: str | None = None
    y_label: str | None = None


_BLOCK_MODELS: dict[str, type[BaseModel]] = {
    "callout": CalloutBlock,
    "chart": ChartBlock,
    "divider": DividerBlock,
    "download": DownloadBlock,
    "image": ImageBlock,
    "input": InputBlock,
    "mdsvex": MdsvexBlock,
    "pdf": PdfBlock,
    "table": TableBlock,
}
BLOCK_TYPES = tuple(_BLOCK_MODELS)
Block = tagged_union(_BLOCK_MODELS, key="type", prefix="block")
