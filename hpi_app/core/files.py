"""Uploaded files: stored under the data folder, isolated per organisation.

Files a person uploads on a task's page carry the task's id: together they may take at most
``HPI_TASK_UPLOAD_QUOTA_BYTES``; one removed from the form is deleted at once, and
:func:`collect_orphaned_uploads` deletes those no submission kept once the task is finished.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from sqlmodel import Session, delete, func, or_, select

from hpi_app import routes
from hpi_app.config import settings
from hpi_app.core import file_types, link_codes, link_rows, links, sessions
from hpi_app.core.errors import InvalidInput, NotFound, TooLarge
from hpi_app.db import session_scope
from hpi_app.models import StoredFile, Task, utcnow
from hpi_app.vocab import TaskStatus

# An upload's folder; empty or absent means "uploads" (the API declares this pattern).
FOLDER_PATTERN = r"^(?:[A-Za-z0-9_-]{1,64})?$"
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]+")
CHUNK = 1024 * 1024


def safe_name(name: str) -> str:
    """A file name reduced to safe characters (keeps the extension)."""
    base = Path(name or "file").name
    cleaned = _UNSAFE.sub("_", base).strip("._") or "file"
    return cleaned[:120]


def _path_for(org_id: str, key: str) -> Path:
    return settings.files_dir / org_id / key


def save_upload(
    org_id: str,
    user_id: str | None,
    filename: str,
    content_type: str | None,
    stream: BinaryIO,
    *,
    folder: str | None = None,
    task_id: str | None = None,
) -> StoredFile:
    """Store an uploaded file, refusing one over the size limit (or over its task's quota).

    Returns:
        The stored file's record; its ``key`` names it in URLs.
    """
    if folder is not None and not re.search(FOLDER_PATTERN, folder):
        raise InvalidInput(
            "The folder name may use letters, digits, '-' and '_' (up to 64 characters).",
            details=[{"field": "folder", "message": "invalid folder name"}],
        )
    folder = folder or "uploads"
    name = safe_name(filename)
    key = f"{folder}/{uuid.uuid4().hex}/{name}"
    ctype = (content_type or "").split(";")[0].strip().lower()
    if not ctype or ctype == "application/octet-stream":
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    path = _path_for(org_id, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    room = _room(task_id)
    try:
        with path.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > room:
                    raise _too_large(task_id, room)
                out.write(chunk)
        record = StoredFile(
            key=key,
            org_id=org_id,
            name=name,
            size=size,
            content_type=ctype,
            created_by=user_id,
            task_id=task_id,
        )
        with session_scope(write=True) as session:
            session.add(record)
            session.flush()
            # Counted again inside the write: two uploads at once can't both take the last room.
            if task_id is not None and _task_bytes(session, task_id) > settings.task_upload_quota_bytes:
                raise _too_large(task_id, 0)
            session.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        _remove_empty_parent(path)
        raise
    return record


def _task_bytes(session: Session, task_id: str) -> int:
    total = func.coalesce(func.sum(StoredFile.size), 0)
    return int(session.exec(select(total).where(StoredFile.task_id == task_id)).one())


def _room(task_id: str | None) -> int:
    """How many bytes the next upload may have: the file limit, or less if its task's quota is near."""
    if task_id is None:
        return settings.max_upload_bytes
    with session_scope() as session:
        left = settings.task_upload_quota_bytes - _task_bytes(session, task_id)
    return max(min(settings.max_upload_bytes, left), 0)


def _too_large(task_id: str | None, room: int) -> TooLarge:
    if task_id is None or room >= settings.max_upload_bytes:
        return TooLarge(f"The file is larger than the {_mib(settings.max_upload_bytes)} MiB limit.")
    quota = _mib(settings.task_upload_quota_bytes)
    return TooLarge(f"This task's uploads may take {quota} MiB in all: this file doesn't fit in the rest.")


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _delete(record: StoredFile) -> None:
    path = _path_for(record.org_id, record.key)
    path.unlink(missing_ok=True)
    _remove_empty_parent(path)


def key_of(url: str) -> str | None:
    """The key of one of our file URLs (absolute or a path, with or without a query), if it is one."""
    path = urlsplit(url).path
    return unquote(path.removeprefix(routes.FILES_API)) if path.startswith(routes.FILES_API) else None


def discard_task_upload(task_id: str, url: str) -> bool:
    """Delete a file uploaded on ``task_id``'s page that the person removed from the form.

    Only that task's uploads go, and only while the task is pending (a finished task keeps
    what its submission named). Returns whether a file was deleted.
    """
    key = key_of(url)
    if key is None:
        return False
    with session_scope(write=True) as session:
        record = session.get(StoredFile, key)
        task = session.get(Task, task_id)
        if record is None or record.task_id != task_id or task is None or task.status != TaskStatus.PENDING:
            return False
        session.delete(record)
        session.commit()
    _delete(record)
    return True


def collect_orphaned_uploads(now: datetime | None = None) -> int:
    """Delete task-page uploads that no submission kept: the task is finished (or gone), and the
    upload is older than ``HPI_UPLOAD_ORPHAN_AGE``. Returns how many were deleted.
    """
    cutoff = (now or utcnow()) - timedelta(seconds=settings.upload_orphan_seconds)
    with session_scope() as session:
        rows = session.exec(
            select(StoredFile, Task)
            .join(Task, Task.id == StoredFile.task_id, isouter=True)
            .where(StoredFile.task_id.is_not(None), StoredFile.created_at < cutoff)
            .where(or_(Task.id.is_(None), Task.status != TaskStatus.PENDING))
            .limit(500)
        ).all()
    orphans = [record for record, task in rows if task is None or not _kept_by(task, record)]
    if not orphans:
        return 0
    with session_scope(write=True) as session:
        for record in orphans:
            session.exec(delete(StoredFile).where(StoredFile.key == record.key))
        session.commit()
    for record in orphans:
        _delete(record)
    return len(orphans)


def _kept_by(task: Task, record: StoredFile) -> bool:
    return record.key in json.dumps(task.data or {}, ensure_ascii=False)


def file_public(record: StoredFile, base_url: str) -> dict[str, Any]:
    """A stored file as every door answers an upload: ``{url, key, name, size, type}``."""
    return {
        "url": routes.file_url(base_url, record.key),
        "key": record.key,
        "name": record.name,
        "size": record.size,
        "type": record.content_type,
    }


def _remove_empty_parent(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def find_file(key: str) -> StoredFile:
    """A stored file by key, whatever its organisation (the caller checks access)."""
    with session_scope() as session:
        record = session.get(StoredFile, key)
    if record is None or not _path_for(record.org_id, record.key).is_file():
        raise NotFound("No such file.", code="file_not_found")
    return record


def file_path(record: StoredFile) -> Path:
    """Where a stored file's bytes are."""
    return _path_for(record.org_id, record.key)


def served_as(record: StoredFile) -> file_types.Served:
    """How a stored file is answered: decided from its bytes (``core/file_types.py``)."""
    return file_types.served_as(file_path(record), record.content_type)


def link_grants_file(link_id: str, record: StoredFile, cookie_header: str = "") -> bool:
    """Whether the holder of ``link_id`` may read the file.

    ``link_id`` may be any of the task's links, but not a withdrawn or expired one. The task must
    use the file (in its spec, payload or data), and when the link asks for a one-time code,
    this browser must have confirmed it (its grant cookie) or be signed in as a member of the
    task's organisation: the same rule as the task page.
    """
    try:
        opened = links.resolve(link_id)
    except NotFound:
        return False
    task = opened.task
    # The link's own state, whatever the task's (an expired link of a finished task opens nothing).
    if task.org_id != record.org_id or link_rows.state_of(opened.link, utcnow()) is not None:
        return False
    needle = routes.file_path(record.key)
    haystack = json.dumps([task.steps, task.payload, task.data, task.instructions_mdsvex])
    if needle not in haystack and record.key not in haystack:
        return False
    return not opened.link.requires_otp or _past_the_code(task, link_id, cookie_header)


def may_upload(link_id: str | None, cookie_header: str = "") -> bool:
    """Whether a browser may send files to a task form: a signed-in member, or the holder of an
    open link to a pending task (past its one-time code when the link asks for one).
    """
    if sessions.resolve_session(sessions.cookie_value(cookie_header)) is not None:
        return True
    if not link_id:
        return False
    try:
        opened = links.resolve(link_id)
    except NotFound:
        return False
    if opened.task.status != TaskStatus.PENDING or link_rows.state_of(opened.link, utcnow()) is not None:
        return False
    return not opened.link.requires_otp or _past_the_code(opened.task, link_id, cookie_header)


def _past_the_code(task: Task, link_id: str, cookie_header: str) -> bool:
    grant = link_codes.grant_in_cookies(link_id, cookie_header)
    if grant and link_codes.grant_allows(link_id, grant):
        return True
    member = sessions.resolve_session(sessions.cookie_value(cookie_header))
    return member is not None and member[1].id == task.org_id
