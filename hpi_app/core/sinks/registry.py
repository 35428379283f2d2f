"""The sink types HPI knows, and everything that works on a sink without knowing its type.

To add a sink type: write one module, add one line. The module (see ``nats.py``) defines the
type's settings model (a ``SinkSettings`` with ``type: Literal["<name>"]``), its sender (a
``Sender``) and one ``SinkType`` naming them with its label, its target setting, the fields the
Settings page asks for and, if it carries a secret, how to generate one. The line is its
``from hpi_app.core.sinks.<module> import <TYPE>``, with ``<TYPE>`` added to ``BUILTIN`` below.
Nothing else changes: the unions validating a task's ``sinks[]`` and an org-wide sink
(:data:`Sink`, :data:`OrgSinkSpec`), secret generation, the delivery worker's senders, the UI's
badges and the Settings form all read :data:`SINK_TYPES`. A test may :func:`register` a type of
its own and :func:`unregister` it afterwards (``tests/core/test_sink_types.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, create_model
from pydantic_core import core_schema

from hpi_app.core.sinks.base import OrgSinkSettings, SettingField, SinkType
from hpi_app.core.sinks.email import EMAIL
from hpi_app.core.sinks.nats import NATS
from hpi_app.core.sinks.webhook import WEBHOOK
from hpi_app.spec import tagged_union

BUILTIN: tuple[SinkType, ...] = (WEBHOOK, EMAIL, NATS)

SINK_TYPES: dict[str, SinkType] = {}
"""The registered sink types by name, in the order the UI offers them."""

_org_specs: dict[str, type[BaseModel]] = {}
_version = 0


def register(sink_type: SinkType) -> SinkType:
    """Make ``sink_type`` known to validation, the senders and the UI; returns it.

    Raises:
        ValueError: Another type already has its name.
    """
    global _version
    if sink_type.name in SINK_TYPES:
        msg = f"a sink type named {sink_type.name!r} is already registered"
        raise ValueError(msg)
    SINK_TYPES[sink_type.name] = sink_type
    _version += 1
    return sink_type


def unregister(name: str) -> None:
    """Forget the sink type called ``name`` (tests register types of their own)."""
    global _version
    SINK_TYPES.pop(name, None)
    _org_specs.pop(name, None)
    _version += 1


def sink_type(name: object) -> SinkType | None:
    """The registered type called ``name``, if there is one."""
    return SINK_TYPES.get(name) if isinstance(name, str) else None


def org_spec(kind: SinkType) -> type[BaseModel]:
    """The model of an org-wide sink of ``kind``: its settings plus ``name`` and ``enabled``."""
    model = _org_specs.get(kind.name)
    if model is None:
        model = create_model(
            f"Org{kind.spec.__name__}",
            __base__=(kind.spec, OrgSinkSettings),
            __module__=kind.spec.__module__,
            __doc__=f"An organisation-wide {kind.label} sink.",
        )
        _org_specs[kind.name] = model
    return model


class _RegisteredSink:
    """A Pydantic type: a sink of whichever registered type its ``type`` names.

    It validates through ``tagged_union`` over the types registered at the time, so errors
    read as before (``sinks[0].url``; an unknown type at ``sinks[0].type``) and a type
    registered later is accepted without rebuilding the models that use it.
    """

    def __init__(self, *, org: bool) -> None:
        self.org = org
        self._adapter: TypeAdapter | None = None
        self._built_at = -1

    def adapter(self) -> TypeAdapter:
        """The union over the types registered now."""
        if self._adapter is None or self._built_at != _version:
            models = {name: org_spec(kind) if self.org else kind.spec for name, kind in SINK_TYPES.items()}
            self._adapter = TypeAdapter(tagged_union(models, key="type", prefix="sink"))
            self._built_at = _version
        return self._adapter

    def _validate(self, value: Any) -> BaseModel:
        return self.adapter().validate_python(value)

    def __get_pydantic_core_schema__(self, _source: Any, _handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self._validate)

    def __get_pydantic_json_schema__(self, _schema: Any, handler: Any) -> dict[str, Any]:
        return handler(self.adapter().core_schema)


Sink = Annotated[Any, _RegisteredSink(org=False)]
"""A sink of a task's ``sinks[]``: ``{type, events?, ...its type's settings}``."""

OrgSinkSpec = Annotated[Any, _RegisteredSink(org=True)]
"""An org-wide sink as created in Settings: ``{name, type, enabled?, events?, ...its settings}``."""


def with_new_secret(values: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``values`` with a generated secret if its type carries one and none is set; the new secret."""
    kind = sink_type(values.get("type"))
    if kind is None or kind.new_secret is None or values.get("secret"):
        return values, None
    secret = kind.new_secret()
    return {**values, "secret": secret}, secret


def prepare_task_sinks(specs: Iterable[BaseModel]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A new task's sinks as stored, and the secrets generated for them (returned once).

    Each generated secret is reported as ``{"sink": <index>, <target>: ..., "secret": ...}``,
    e.g. ``{"sink": 0, "url": "https://...", "secret": "whsec_..."}``.
    """
    sinks, generated = [], []
    for index, spec in enumerate(specs):
        data, secret = with_new_secret(spec.model_dump(mode="json", exclude_none=True))
        if secret is not None:
            target = SINK_TYPES[data["type"]].target
            generated.append({"sink": index, target: data[target], "secret": secret})
        sinks.append(data)
    return sinks, generated


def sink_target(sink: Mapping[str, Any]) -> str:
    """Where a sink sends to, as its type names it: its URL, address or subject."""
    kind = sink_type(sink.get("type"))
    return str(sink.get(kind.target, "")) if kind else ""


def shows_subject(sink: Mapping[str, Any]) -> bool:
    """Whether the sender of ``sink`` shows the subject's current state (an email lays out answers)."""
    kind = sink_type(sink.get("type"))
    return bool(kind and kind.shows_subject)


def form_fields(kind: SinkType) -> tuple[SettingField, ...]:
    """The settings the Settings page asks for (the target alone when the type declares none)."""
    return kind.fields or (SettingField(kind.target, kind.target.replace("_", " ").capitalize()),)


for _kind in BUILTIN:
    register(_kind)
