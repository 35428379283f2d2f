"""``/api/v1/files``: upload, and download by token or by the link of a task that uses the file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse

from hpi_app import routes
from hpi_app.api.deps import BaseUrl, CanCreate, bearer_token, in_thread
from hpi_app.api.schemas import ErrorBody
from hpi_app.core import files as core
from hpi_app.core.errors import NotFound
from hpi_app.core.tokens import authenticate_token

router = APIRouter(prefix="/files", tags=["files"])


@router.post(
    "",
    status_code=201,
    responses={
        400: {"model": ErrorBody},
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        413: {"model": ErrorBody},
    },
    summary="Upload a file",
)
async def upload_file(
    principal: CanCreate,
    base: BaseUrl,
    file: Annotated[UploadFile, File(description="The file")],
    folder: Annotated[str | None, Form(description="A folder name for organising uploads")] = None,
) -> dict:
    """Store a file for this organisation; answers its URL and key."""
    record = await in_thread(
        core.save_upload,
        principal.org_id,
        principal.user_id,
        file.filename or "file",
        file.content_type,
        file.file,
        folder=folder,
    )
    return {
        "url": routes.file_url(base, record.key),
        "key": record.key,
        "name": record.name,
        "size": record.size,
        "type": record.content_type,
    }


@router.get(
    "/{key:path}",
    responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}},
    summary="Download a file",
)
async def download_file(
    key: str,
    request: Request,
    link: Annotated[str | None, Query(description="The link id of a task that uses this file")] = None,
) -> FileResponse:
    """A file of the caller's organisation (by token), or of the task behind ``link``."""
    record = await in_thread(core.find_file, key)
    token = bearer_token(request)
    if token is not None or link is None:
        principal = await in_thread(authenticate_token, token)
        allowed = principal.org_id == record.org_id
    else:
        allowed = await in_thread(core.link_grants_file, link, record, request.headers.get("cookie", ""))
    if not allowed:
        raise NotFound("No such file.", code="file_not_found")
    disposition = "attachment" if core.is_active_type(record.content_type) else "inline"
    return FileResponse(
        core.file_path(record),
        media_type=record.content_type,
        filename=record.name,
        content_disposition_type=disposition,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )
