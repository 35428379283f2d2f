"""Reading the store straight from tests: row counts, and the rows about one subject."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from hpi_app.db import session_scope


def row_counts(*models: Any) -> dict[str, int]:
    """How many rows each of ``models``' tables holds, by table name."""
    with session_scope() as session:
        return {
            model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
            for model in models
        }


def subject_rows(model: Any, subject_id: str, order_by: Any) -> list[Any]:
    """The rows of ``model`` (timeline entries, deliveries) about the subject ``subject_id``, in order."""
    with session_scope() as session:
        return list(
            session.exec(select(model).where(model.subject_id == subject_id).order_by(order_by)).all()
        )
