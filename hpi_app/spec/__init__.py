"""The task spec: the steps, blocks and fields of a create-task body (SPEC §4).

One set of Pydantic models validates the create body, drives the form renderer and, through
each field's own ``check``, validates submissions. The modules, from the bottom up:

- :mod:`~hpi_app.spec.values`: tests on answer values (empty, URL, date, PNG);
- :mod:`~hpi_app.spec.base`: the model bases and shared attribute types;
- :mod:`~hpi_app.spec.choices` and :mod:`~hpi_app.spec.fields`: the field kinds;
- :mod:`~hpi_app.spec.blocks`: the block types;
- :mod:`~hpi_app.spec.steps`: steps and the checks across them;
- :mod:`~hpi_app.spec.submission`: checking a person's answers.

Errors are reported through :mod:`hpi_app.validation` as
``{"field": "steps[0].blocks[1].field.kind", "message": ...}``; its names are re-exported here
for the code that imported them from the spec before they moved.

Decisions worth knowing:

- Unknown keys are ignored, but an unknown block ``type`` or field ``kind`` is an error.
- ``model_dump(mode="json", exclude_none=True)`` of a parsed spec gives the spec a client sent.
"""

from hpi_app.spec.blocks import (
    BLOCK_TYPES,
    Block,
    CalloutBlock,
    ChartBlock,
    ChartSeries,
    DividerBlock,
    DownloadBlock,
    DownloadItem,
    ImageBlock,
    InputBlock,
    MdsvexBlock,
    PdfBlock,
    TableBlock,
)
from hpi_app.spec.choices import MultiselectField, Option, RadioField, SelectField
from hpi_app.spec.fields import (
    FIELD_KINDS,
    TEXT_KINDS,
    CheckboxField,
    DateField,
    EmailField,
    Field,
    FileField,
    NumberField,
    RangeField,
    RatingField,
    SignatureField,
    TextareaField,
    TextField,
    UrlField,
)
from hpi_app.spec.steps import Step, StepList, check_steps, iter_fields, load_steps, step_fields
from hpi_app.spec.submission import SubmissionError, validate_submission
from hpi_app.validation import error_details, json_path, request_error_details, tagged_union

__all__ = [
    "BLOCK_TYPES",
    "FIELD_KINDS",
    "TEXT_KINDS",
    "Block",
    "CalloutBlock",
    "ChartBlock",
    "ChartSeries",
    "CheckboxField",
    "DateField",
    "DividerBlock",
    "DownloadBlock",
    "DownloadItem",
    "EmailField",
    "Field",
    "FileField",
    "ImageBlock",
    "InputBlock",
    "MdsvexBlock",
    "MultiselectField",
    "NumberField",
    "Option",
    "PdfBlock",
    "RadioField",
    "RangeField",
    "RatingField",
    "SelectField",
    "SignatureField",
    "Step",
    "StepList",
    "SubmissionError",
    "TableBlock",
    "TextField",
    "TextareaField",
    "UrlField",
    "check_steps",
    "error_details",
    "iter_fields",
    "json_path",
    "load_steps",
    "request_error_details",
    "step_fields",
    "tagged_union",
    "validate_submission",
]
