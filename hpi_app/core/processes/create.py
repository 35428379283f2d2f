"""Creating a process: a validated create body becomes a running process with every step pending."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from hpi_app.core.errors import Conflict
from hpi_app.core.principal import Principal
from hpi_app.core.processes.changes import CREATED, announce, record_change
from hpi_app.core.processes.input import ProcessCreate
from hpi_app.core.processes.rules import full_namespace
from hpi_app.db import session_scope
from hpi_app.models import Process, ProcessStep, utcnow


def _process_id_taken(process_id: str) -> Conflict:
    return Conflict(
        f"A process with id {process_id} already exists. Choose another process_id or leave it out.",
        code="process_exists",
        details=[{"field": "process_id", "message": "already exists"}],
    )


def _exists(session: Session, process_id: str) -> bool:
    return session.get(Process, process_id) is not None


def create_process(principal: Principal, body: ProcessCreate) -> Process:
    """Create a running process of the principal's organisation from a validated body.

    The process, its steps and its ``created`` timeline entry are written in one transaction;
    ``process.created`` is published after it commits.

    Raises:
        Conflict: ``process_id`` is already taken (by any organisation's process).
    """
    now = utcnow()
    process = Process(
        id=body.process_id or str(uuid.uuid4()),
        org_id=principal.org_id,
        namespace=full_namespace(principal.org_id, body.namespace),
        name=body.name,
        description=body.description,
        template_id=body.template_id,
        meta=body.metadata,
        created_by=principal.user_id,
        started_at=now,
        updated_at=now,
    )
    steps = [
        ProcessStep(process_id=process.id, key=s.key, label=s.label, human=s.human, position=n)
        for n, s in enumerate(body.steps)
    ]
    with session_scope(write=True) as session:
        if body.process_id and _exists(session, process.id):
            raise _process_id_taken(process.id)
        try:
            session.add(process)
            session.flush()
            session.add_all(steps)
            session.flush()
            change = record_change(
                session, process.org_id, process.id, CREATED, principal.user_id, {"name": process.name}
            )
            session.commit()
        except IntegrityError:
            session.rollback()
            if _exists(session, process.id):
                raise _process_id_taken(process.id) from None
            raise
    announce([change])
    return process
