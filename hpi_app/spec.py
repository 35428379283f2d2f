"""The task spec: the steps, blocks and fields of a create-task body (SPEC §4).

One set of Pydantic models validates the create body, drives the form renderer and, through
``hpi_app.submission`` (whose public names are re-exported here), validates submissions.

Decisions worth knowing:

- Unknown keys are ignored, but an unknown block ``type`` or field ``kind`` is an error.
- A step needs at least one block; a step of content blocks only (no inputs) is fine.
- ``required`` defaults to true. Select/radio/multiselect options may be strings or
  ``{value, label}`` objects (``label`` defaults to ``value``); a string option is dumped back
  as a string, so ``model_dump(mode="json", exclude_none=True)`` gives the spec a client sent.
- Block and field unions are built by :func:`tagged_union` and tagged ``block:<type>`` /
  ``field:<kind>``; those tags appear in Pydantic error locations and :func:`json_path` strips
  them, so every error reads as ``{"field": "steps[0].blocks[1].field.kind", "message": ...}``
  (see :func:`error_details`, which also serves FastAPI's request validation errors).
"""

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    PlainValidator,
    PrivateAttr,
    Tag,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError

from hpi_app.submission import SubmissionError as SubmissionError
from hpi_app.submission import check_value, is_empty, is_link_url
from hpi_app.submission import validate_submission as validate_submission

TEXT_KINDS = frozenset({"text", "textarea", "email", "url"})
_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COLOR_RE = re.compile(
    r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,30}|(?:rgba?|hsla?)\([0-9.,%\s/]+\)|var\(--[A-Za-z0-9_-]+\)"
)


def _fail(*errors: tuple[tuple[str | int, ...], str, Any]) -> ValidationError:
    """Builds a ValidationError whose errors sit at the given locations below the current one."""
    line_errors = [
        {"type": PydanticCustomError("spec_invalid", message), "loc": loc, "input": value}
        for loc, message, value in errors
    ]
    return ValidationError.from_exception_data("spec", line_errors)


def _check_name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        msg = "must be 1-100 characters of letters, digits, '_' or '-'"
        raise PydanticCustomError("field_name", msg)
    return value


def _check_not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be empty")
    return value


def _check_step_id(value: str) -> str:
    if not value.strip() or len(value) > 100:
        raise PydanticCustomError("step_id", "must be 1-100 characters")
    return value


def _check_link(value: str) -> str:
    if not is_link_url(value):
        msg = "must be an http(s) URL or a path starting with '/'"
        raise PydanticCustomError("link_url", msg)
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


def _check_cell(value: Any) -> str | int | float | bool | None:
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise PydanticCustomError("cell_type", "must be text, a number, a boolean or null")
    return value


Name = Annotated[str, AfterValidator(_check_name)]
NonBlank = Annotated[str, AfterValidator(_check_not_blank)]
LinkUrl = Annotated[str, AfterValidator(_check_link)]
Color = Annotated[str, AfterValidator(_check_color)]
Number = Annotated[int | float, PlainValidator(_check_number, json_schema_input_type=int | float)]
Cell = Annotated[
    str | int | float | bool | None,
    PlainValidator(_check_cell, json_schema_input_type=str | int | float | bool | None),
]
PositiveInt = Annotated[int, PydanticField(strict=True, gt=0)]
NonNegativeInt = Annotated[int, PydanticField(strict=True, ge=0)]
PositiveNumber = Annotated[Number, PydanticField(gt=0)]


class _Model(BaseModel):
    """Base of every spec model: unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")


class Option(_Model):
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
        {"type": "string"},
        {
            "type": "object",
            "properties": {"value": {"type": "string"}, "label": {"type": "string"}},
            "required": ["value"],
        },
    ]
}
OptionItem = Annotated[Option, WithJsonSchema(_OPTION_SCHEMA)]


class _FieldBase(_Model):
    """What every field kind has: name, label, required, placeholder, description, default."""

    name: Name
    label: NonBlank
    kind: str
    required: bool = True
    placeholder: str | None = None
    description_mdsvex: str | None = None
    default: Any = None

    def _cross_check(self) -> None:
        """Raises a ValidationError when attributes contradict each other; subclasses extend."""

    @model_validator(mode="after")
    def _check_consistency(self) -> "_FieldBase":
        """Checks cross-field rules, then that ``default`` is a valid answer for the field."""
        self._cross_check()
        if not is_empty(self.default):
            try:
                check_value(self, self.default)
            except ValueError as exc:
                raise _fail(
                    (("default",), f"is not a valid value for this field: {exc}", self.default)
                ) from None
        return self


class _TextFieldBase(_FieldBase):
    """Shared by the text kinds: optional length limits and a regex pattern."""

    min_length: NonNegativeInt | None = None
    max_length: NonNegativeInt | None = None
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compile_pattern(cls, value: str | None) -> str | None:
        """Rejects a pattern that is not a valid Python regular expression."""
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                msg = "is not a valid regular expression: {reason}"
                raise PydanticCustomError("pattern_invalid", msg, {"reason": str(exc)}) from None
        return value

    def _cross_check(self) -> None:
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            msg = f"must be at least min_length ({self.min_length})"
            raise _fail((("max_length",), msg, self.max_length))


class TextField(_TextFieldBase):
    """A one-line text answer."""

    kind: Literal["text"]


class TextareaField(_TextFieldBase):
    """A multi-line text answer."""

    kind: Literal["textarea"]


class EmailField(_TextFieldBase):
    """A text answer that must be an email address."""

    kind: Literal["email"]


class UrlField(_TextFieldBase):
    """A text answer that must be an http(s) URL."""

    kind: Literal["url"]


class _BoundedBase(_FieldBase):
    """Shared by number and range: min, max and step."""

    min: Number | None = None
    max: Number | None = None
    step: PositiveNumber | None = None

    def _cross_check(self) -> None:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise _fail((("max",), f"must be greater than or equal to min ({self.min})", self.max))


class NumberField(_BoundedBase):
    """A numeric answer with optional bounds and step."""

    kind: Literal["number"]


class RangeField(_BoundedBase):
    """A slider between a required min and max."""

    kind: Literal["range"]
    min: Number
    max: Number


class _ChoiceBase(_FieldBase):
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
            raise _fail(*duplicates)

    def option_label(self, value: str) -> str:
        """Returns the label shown for an option value (the value itself if unknown)."""
        return next((o.label or o.value for o in self.options if o.value == value), value)


class SelectField(_ChoiceBase):
    """One choice from a drop-down list."""

    kind: Literal["select"]


class RadioField(_ChoiceBase):
    """One choice from radio buttons."""

    kind: Literal["radio"]


class MultiselectField(_ChoiceBase):
    """Any number of choices; the answer is a list of option values."""

    kind: Literal["multiselect"]


class CheckboxField(_FieldBase):
    """A tick box; when required it must be ticked."""

    kind: Literal["checkbox"]


class DateField(_FieldBase):
    """An ISO date, or an ISO date-time when ``include_time`` is set."""

    kind: Literal["date"]
    include_time: bool = False


class RatingField(_FieldBase):
    """A star rating from 1 to ``max_rating``."""

    kind: Literal["rating"]
    max_rating: Annotated[int, PydanticField(strict=True, ge=1, le=10)] = 5


class FileField(_FieldBase):
    """Uploaded files; the answer is a list of file URLs."""

    kind: Literal["file"]
    accept: str | None = None
    max_file_size: PositiveInt | None = None
    max_files: PositiveInt | None = None


class SignatureField(_FieldBase):
    """A drawn signature; the answer is ``{mode, data (PNG data URL), timestamp}``."""

    kind: Literal["signature"]
    signature_mode: Literal["draw"] = "draw"
    pen_color: Color | None = None


_TAGS: set[str] = set()


def tagged_union(models: Mapping[str, type[BaseModel]], *, key: str, prefix: str) -> Any:
    """Builds a discriminated union over ``models``, picked by the value of ``key``.

    Members are tagged ``prefix:name``; :func:`json_path` knows these tags and drops them
    from error paths. An unknown or missing ``key`` is reported at ``<path>.<key>`` as
    "unknown <prefix> <key> 'x'; expected one of: ..." (see :func:`error_details`). The REST
    layer can use it for its own unions, e.g. ``tagged_union(sinks, key="type", prefix="sink")``.
    """

    def pick(value: Any) -> str | None:
        name = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        return f"{prefix}:{name}" if isinstance(name, str) and name in models else None

    _TAGS.update(f"{prefix}:{name}" for name in models)
    members = tuple(Annotated[model, Tag(f"{prefix}:{name}")] for name, model in models.items())
    expected = ", ".join(sorted(models))
    discriminator = Discriminator(
        pick,
        custom_error_type="union_tag_unknown",
        custom_error_message=f"unknown {prefix} {key}; expected one of: {expected}",
        custom_error_context={"key": key, "noun": f"{prefix} {key}", "expected": expected},
    )
    return Annotated[Union[members], discriminator]  # noqa: UP007 (built from a tuple)


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


class InputBlock(_Model):
    """A block holding one form field."""

    type: Literal["input"]
    field: Field


class MdsvexBlock(_Model):
    """Markdown content, rendered server-side and sanitised."""

    type: Literal["mdsvex"]
    content: str


class TableBlock(_Model):
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
            raise _fail(*errors)
        return self


class ImageBlock(_Model):
    """An image shown by URL."""

    type: Literal["image"]
    url: LinkUrl
    alt: str | None = None
    caption: str | None = None


class CalloutBlock(_Model):
    """A highlighted Markdown note."""

    type: Literal["callout"]
    severity: Literal["info", "warning", "error", "success"] = "info"
    title: str | None = None
    content: str


class PdfBlock(_Model):
    """An embedded PDF viewer; ``height`` is in pixels."""

    type: Literal["pdf"]
    url: LinkUrl
    filename: str | None = None
    caption: str | None = None
    height: PositiveInt | None = None


class DownloadItem(_Model):
    """One file offered for download; ``size`` is in bytes."""

    url: LinkUrl
    filename: NonBlank
    size: NonNegativeInt | None = None
    mime_type: str | None = None
    description: str | None = None


class DownloadBlock(_Model):
    """A list of files to download."""

    type: Literal["download"]
    downloads: Annotated[list[DownloadItem], PydanticField(min_length=1)]


class DividerBlock(_Model):
    """A horizontal rule."""

    type: Literal["divider"]


class ChartSeries(_Model):
    """One data series of a chart: the key in each data object, with label and colour."""

    key: NonBlank
    label: str | None = None
    color: Color | None = None


class ChartBlock(_Model):
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


class Step(_Model):
    """One page of the task form: an id, a title and at least one block."""

    id: Annotated[str, AfterValidator(_check_step_id)]
    title: NonBlank
    description_mdsvex: str | None = None
    blocks: Annotated[list[Block], PydanticField(min_length=1)]


def step_fields(step: Step) -> list[Field]:
    """Returns the fields of one step's input blocks, in order."""
    return [block.field for block in step.blocks if isinstance(block, InputBlock)]


def iter_fields(steps: Iterable[Step]) -> Iterator[Field]:
    """Yields every field of the task, step by step, in order."""
    for step in steps:
        yield from step_fields(step)


def check_steps(steps: list[Step]) -> list[Step]:
    """Checks that step ids are unique in the task and field names unique across all steps.

    Each repeat is reported at its own location (``[1].id``, ``[2].blocks[0].field.name``)
    relative to the step list.

    Raises:
        ValidationError: naming every repeated step id and field name.
    """
    errors = []
    step_ids: dict[str, int] = {}
    field_names: dict[str, str] = {}
    for step_index, step in enumerate(steps):
        if step.id in step_ids:
            msg = f"duplicate step id {step.id!r} (already used by steps[{step_ids[step.id]}])"
            errors.append(((step_index, "id"), msg, step.id))
        step_ids.setdefault(step.id, step_index)
        for block_index, block in enumerate(step.blocks):
            if not isinstance(block, InputBlock):
                continue
            name = block.field.name
            loc = (step_index, "blocks", block_index, "field", "name")
            if name in field_names:
                msg = f"duplicate field name {name!r} (already used at {field_names[name]})"
                errors.append((loc, msg, name))
            field_names.setdefault(name, json_path(("steps", *loc)))
    if errors:
        raise _fail(*errors)
    return steps


StepList = Annotated[list[Step], PydanticField(min_length=1), AfterValidator(check_steps)]
_STEPS_ADAPTER: TypeAdapter[list[Step]] = TypeAdapter(StepList)


def load_steps(raw: object) -> list[Step]:
    """Validates a JSON-like ``steps`` list, such as a task's spec read back from the store.

    Raises:
        ValidationError: use ``error_details(exc, prefix=("steps",))`` to report it.
    """
    return _STEPS_ADAPTER.validate_python(raw)


def json_path(loc: Iterable[str | int]) -> str:
    """Turns a Pydantic error location into a JSON path like ``steps[0].blocks[1].field.kind``.

    A leading ``"body"`` (FastAPI) and the union tags Pydantic inserts are dropped; keys that
    are not identifiers are quoted (``metadata["a b"]``). The body itself is ``""``.
    """
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _TAGS or re.match(r"function-(after|before|wrap|plain)\[", part):
            continue
        elif _IDENTIFIER_RE.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part)}]"
    return path


def error_details(exc: Any, prefix: tuple[str | int, ...] = ()) -> list[dict[str, str]]:
    """Reports validation errors as ``[{"field": "<JSON path>", "message": "..."}]``.

    Args:
        exc: A ``pydantic.ValidationError``, anything with an ``errors()`` method (such as
            FastAPI's ``RequestValidationError``), or a list of Pydantic error dicts.
        prefix: Location prepended to every error, e.g. ``("steps",)`` after ``load_steps``.
    """
    errors: Sequence[Mapping[str, Any]] = exc.errors() if hasattr(exc, "errors") else exc
    details = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        in_body = not prefix and loc[:1] == ("body",)
        loc, message = _describe(error, (*prefix, *loc))
        details.append({"field": json_path(loc) or ("body" if in_body else ""), "message": message})
    return details


def request_error_details(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Reports FastAPI's ``RequestValidationError.errors()`` as ``{field, message}`` details.

    Errors about the body as a whole (missing, not JSON) are reported at ``"body"``; query,
    path and header parameters are reported by their bare name (``limit``, ``Idempotency-Key``).
    """
    located = [
        {**error, "loc": tuple(error["loc"][1:])}
        if error.get("loc") and error["loc"][0] in ("query", "path", "header", "cookie")
        else error
        for error in errors
    ]
    return error_details(located)


def _describe(error: Mapping[str, Any], loc: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], str]:
    """Returns the location and human message for one Pydantic error dict."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "union_tag_unknown":
        key, value = ctx["key"], error.get("input")
        if not isinstance(value, dict):
            return loc, f'must be an object with a "{key}"'
        if key not in value:
            return (*loc, key), f"is required; expected one of: {ctx['expected']}"
        return (*loc, key), f"unknown {ctx['noun']} {value[key]!r}; expected one of: {ctx['expected']}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = str(ctx.get("discriminator", "")).strip("'")
        expected = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected_tags", ""))))
        if kind == "union_tag_not_found" or not key.isidentifier():
            return (*loc, key) if key.isidentifier() else loc, "is required"
        return (*loc, key), f"unknown {key} {ctx.get('tag')!r}; expected one of: {expected}"
    if kind == "json_invalid":
        return (), f"the request body is not valid JSON: {ctx.get('error', 'syntax error')}"
    if kind == "missing":
        return loc, "is required" if json_path(loc) else "a JSON request body is required"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return loc, str(ctx["error"])
    if kind == "literal_error":
        choices = re.findall(r"'((?:[^'\\]|\\.)*)'", str(ctx.get("expected", "")))
        return loc, f"must be one of: {', '.join(choices) or ctx.get('expected')}"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return loc, "must not be empty"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return loc, "must have at least one item"
    template = _MESSAGES.get(kind)
    if template is None:
        return loc, str(error.get("msg", "is not valid"))
    try:
        return loc, template.format(**ctx)
    except (KeyError, IndexError):
        return loc, str(error.get("msg", "is not valid"))


_MESSAGES = {
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "uuid_type": "must be a UUID",
    "uuid_parsing": "must be a UUID",
    "extra_forbidden": "is not allowed",
    "string_too_short": "must be at least {min_length} characters",
    "string_too_long": "must be at most {max_length} characters",
    "too_short": "must have at least {min_length} items",
    "too_long": "must have at most {max_length} items",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
}
