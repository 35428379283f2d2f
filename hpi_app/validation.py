"""Validation errors for the whole app, reported as ``{"field": "<JSON path>", "message": ...}``.

The task spec, the REST bodies and the sink settings all report Pydantic errors through
:func:`error_details` (FastAPI's request errors through :func:`request_error_details`), so every
error the app shows names its place the same way.

Decisions worth knowing:

- Unions are built by :func:`tagged_union` and tagged ``<prefix>:<name>`` (``block:input``,
  ``field:select``, ``sink:webhook``); those tags appear in Pydantic error locations and
  :func:`json_path` strips them, so every error reads as
  ``{"field": "steps[0].blocks[1].field.kind", "message": ...}``.
- An unknown or missing union key is reported at ``<path>.<key>`` with the choices:
  "unknown block type 'foo'; expected one of: ...".
- Pydantic's messages are replaced by the short ones in ``_MESSAGES`` ("must be a string");
  a message not in the table keeps Pydantic's wording.
"""

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    Strict,
    Tag,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TAGS: set[str] = set()


def not_blank(value: str) -> str:
    """A field validator: the text must hold more than white space (``must not be blank``)."""
    if not value.strip():
        msg = "must not be blank"
        raise ValueError(msg)
    return value


def text_rule(
    pattern: str,
    message: str,
    *,
    code: str = "text_format",
    min_length: int = 0,
    max_length: int | None = None,
) -> Any:
    """A string type checked by ``pattern`` and its length, and declared so in the JSON schema.

    One regular expression serves both: the check searches it (JSON Schema's ``pattern`` is a
    search too, so anchor it with ``^...$`` for a whole match), and the OpenAPI document shows it
    with ``minLength`` / ``maxLength``. A value that breaks the pattern is reported with ``message``.
    """
    # JSON Schema's "$" is the end of the text; Python's also matches before a final newline.
    regex = re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)

    def check(value: str) -> str:
        if len(value) < min_length:
            msg = "must be at least {min_length} characters"
            raise PydanticCustomError("string_too_short", msg, {"min_length": min_length})
        if max_length is not None and len(value) > max_length:
            msg = "must be at most {max_length} characters"
            raise PydanticCustomError("string_too_long", msg, {"max_length": max_length})
        if not regex.search(value):
            raise PydanticCustomError(code, message)
        return value

    schema: dict[str, Any] = {"type": "string", "pattern": pattern}
    if min_length:
        schema["minLength"] = min_length
    if max_length is not None:
        schema["maxLength"] = max_length
    return Annotated[str, AfterValidator(check), WithJsonSchema(schema)]


# White space as str.strip() sees it, spelled out: JSON Schema's \s (ECMA) and Python's differ.
WHITESPACE = r"\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"[^{WHITESPACE}]"  # Some character that is not white space.


def _integral(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**63 else value


def integer(**bounds: int) -> Any:
    """A JSON integer (3 or 3.0, never "3" or true: JSON Schema's "integer"), with ``ge=``, ``le=``..."""
    # The bounds go before the validator, so the JSON schema shows them as minimum / maximum.
    return Annotated[int, Strict(), Field(**bounds), BeforeValidator(_integral)]


Integer = integer()


# The largest list ``offset`` (the stores' 64-bit integers overflow past it; no list is that long).
MAX_OFFSET = 2**53

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_UUID_MESSAGE = "must be a UUID such as 3f2b8c1e-0d4a-4b7e-9a53-2f0c6d1e8b90"


def optional_uuid(value: str | None) -> str | None:
    """A field validator: an id the caller chose must be a UUID; it is kept in its canonical form."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(_UUID_MESSAGE) from None


def validation_error(*errors: tuple[tuple[str | int, ...], str, Any]) -> ValidationError:
    """Builds a ValidationError whose errors sit at the given locations below the current one.

    Args:
        *errors: ``(location, message, input value)`` for each error, the location relative
            to the value being validated, e.g. ``(("max",), "must be ...", 3)``.
    """
    line_errors = [
        {"type": PydanticCustomError("spec_invalid", message), "loc": loc, "input": value}
        for loc, message, value in errors
    ]
    return ValidationError.from_exception_data("spec", line_errors)


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


EMAIL_PATTERN = f"^[^@{WHITESPACE}]+@[^@{WHITESPACE}]+\\.[^@{WHITESPACE}]+$"
# An email address as the API takes one (``assignee_email``, an email sink's ``to``).
EmailAddress = text_rule(EMAIL_PATTERN, "must be an email address", max_length=320)


def given(name: str) -> dict[str, Any]:
    """JSON Schema: the object has ``name`` with a truthy value (true, or a non-empty string)."""
    return {
        "required": [name],
        "properties": {name: {"anyOf": [{"const": True}, {"type": "string", "minLength": 1}]}},
    }


def requires_one_of(flag: str, *names: str) -> dict[str, Any]:
    """JSON Schema: when ``flag`` is true, at least one of ``names`` is given (see :func:`given`)."""
    return {"if": given(flag), "then": {"anyOf": [given(name) for name in names]}}


# An id the caller chooses (``task_id``, ``process_id``): written 8-4-4-4-12 in hex.
UuidText = text_rule(UUID_PATTERN, _UUID_MESSAGE, code="uuid")
