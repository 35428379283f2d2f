"""Subjects: the things HPI keeps a timeline of and announces changes to (a task today, a process tomorrow).

The timeline, the event bus, the event streams and the outbox speak of a :class:`Subject` — a kind
and an id — never of a task as such. A kind of subject declares itself once with
:func:`register`; from then on its changes are recorded, streamed, resumed and pushed like a task's,
with no second copy of any of those modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Subject:
    """What a change is about: ``Subject("task", "<uuid>")``."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class SubjectView:
    """What a sender shows of a subject (an email): read from the store when the event is sent.

    Attributes:
        noun: What the subject is called (``task``).
        title: Its title.
        path: Where a person opens it on this site (``/t/<link_id>``).
        reason: Why it was cancelled, if it was.
        rows: Its answers (or other details) as labelled values, once it has any.
    """

    noun: str
    title: str
    path: str
    reason: str | None = None
    rows: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SubjectType:
    """How one kind of subject takes part in the timeline, the event streams and the outbox.

    Attributes:
        name: The kind (``task``); events are named ``<name>.<what happened>``.
        streamed: The timeline kinds event streams carry (the rest stay on the timeline only).
        final: Timeline kinds that leave the subject in a final state, with that state; a
            stream of one subject ends after one of them.
        open_status: The state a streamed entry of any other kind leaves the subject in.
        sink_events: The name sinks list in ``events`` for each timeline kind that can be pushed
            (a timeline kind not in it is never pushed).
        describe: Reads what senders show of the subjects (an email), as ``{id: SubjectView}``;
            called with a session and a set of ids.
    """

    name: str
    streamed: frozenset[str]
    final: Mapping[str, str]
    open_status: str
    sink_events: Mapping[str, str] = field(default_factory=dict)
    describe: Callable[[Any, set[str]], dict[str, SubjectView]] | None = None

    def id_key(self) -> str:
        """The key naming the subject in event bodies: ``task_id``."""
        return id_key(self.name)

    def status_after(self, kind: str) -> str:
        """The subject's state after a timeline entry of ``kind``."""
        return self.final.get(kind, self.open_status)

    def event_name(self, kind: str) -> str:
        """The public name of a change: ``task.completed``."""
        return f"{self.name}.{kind}"


_TYPES: dict[str, SubjectType] = {}


def register(subject_type: SubjectType) -> SubjectType:
    """Declare a kind of subject (again with the same name: replace it)."""
    _TYPES[subject_type.name] = subject_type
    return subject_type


def unregister(name: str) -> None:
    """Forget a kind of subject (for tests that declare one of their own)."""
    _TYPES.pop(name, None)


def subject_type(name: str) -> SubjectType:
    """The declared kind ``name``."""
    return _TYPES[name]


def find_subject_type(name: str | None) -> SubjectType | None:
    """The declared kind ``name``, or None (a row of a kind this process does not know)."""
    return _TYPES.get(name or "")


def id_key(kind: str) -> str:
    """The key naming a subject of ``kind`` in event bodies and answers: ``task_id``."""
    return f"{kind}_id"


def subject_types() -> list[SubjectType]:
    """Every declared kind of subject."""
    return list(_TYPES.values())
