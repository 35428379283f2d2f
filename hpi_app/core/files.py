"""Uploaded files: stored under the data folder, isolated per organisation."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import re
import uuid
from pathlib import Path
from typing import BinaryIO

from hpi_app import routes
from hpi_app.config import settings
from hpi_app.core import link_codes, link_rows, links, sessions
from hpi_app.core.errors import InvalidInput, NotFound, TooLarge
from hpi_app.db import session_scope
from hpi_app.models import StoredFile, Task, utcnow

# An upload's folder; empty or absent means "uploads" (the API declares this pattern).
FOLDER_PATTERN = r"^(?:[A-Za-z0-9_-]{1,64})?$"
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]+")
# Types a browser could run as a page of ours; they are only ever served as downloads.
_ACTIVE_TYPES = (
    "text/html",
    "image/svg+xml",
    "application/xhtml+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
)
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
) -> StoredFile:
    """Store an uploaded file, refusing one over the size limit.

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
    try:
        with path.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    limit_mb = settings.max_upload_bytes / (1024 * 1024)
                    raise TooLarge(f"The file is larger than the {limit_mb:g} MiB limit.")
                out.write(chunk)
        record = StoredFile(
            key=key, org_id=org_id, name=name, size=size, content_type=ctype, created_by=user_id
        )
        with session_scope(write=True) as session:
            session.add(record)
            session.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        _remove_empty_parent(path)
        raise
    return record


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


def is_active_type(content_type: str) -> bool:
    """Whether a browser could run this type as a page (so it must be a download)."""
    return content_type in _ACTIVE_TYPES


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


def _past_the_code(task: Task, link_id: str, cookie_header: str) -> bool:
    grant = link_codes.grant_in_cookies(link_id, cookie_header)
    if grant and link_codes.grant_allows(link_id, grant):
        return True
    member = sessions.resolve_session(sessions.cookie_value(cookie_header))
    return member is not None and member[1].id == task.org_id
