"""Notification sinks: the sink types (``registry``) and the organisation-wide sinks (``org_sinks``).

A sink type is one module (``webhook``, ``email``, ``nats``): its settings model, its sender,
its label and target, and whether it carries a secret; ``registry`` lists them and builds what
works on any sink from them. ``sending`` runs one attempt of a delivery with the type's sender.

``from hpi_app.core import sinks`` gives the org-wide sinks' operations (``sinks.create_sink``).
"""

from hpi_app.core.sinks.org_sinks import (
    MAX_SINKS_PER_ORG,
    SavedSink,
    create_sink,
    delete_sink,
    get_sink,
    list_sinks,
    rotate_secret,
    send_test_event,
    set_enabled,
    to_public,
    update_sink,
)
from hpi_app.core.sinks.registry import SINK_TYPES, OrgSinkSpec, Sink, register, sink_type, unregister

__all__ = [
    "MAX_SINKS_PER_ORG",
    "SINK_TYPES",
    "OrgSinkSpec",
    "SavedSink",
    "Sink",
    "create_sink",
    "delete_sink",
    "get_sink",
    "list_sinks",
    "register",
    "rotate_secret",
    "send_test_event",
    "set_enabled",
    "sink_type",
    "to_public",
    "unregister",
    "update_sink",
]
