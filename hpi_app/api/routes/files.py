"""``/api/v1/files``: upload, and download by token or by the link of a task that uses the file.

The official SDK's ``upload_file`` sends a multipart body still labelled
``Content-Type: application/json`` (SPEC §9). ``SniffedMultipartRoute`` reads the body's first
line: ``--<boundary>`` there makes it a multipart body with that boundary, and the header is set
to say so before the form is parsed. Any other body stays as it came, and a body that is not a
file upload is refused like one with no file (400 naming ``file``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from fastapi.routing import APIRoute
from starlette.types import Message

from hpi_app.api.deps import BaseUrl, CanCreate, bearer_token, in_thread
from hpi_app.api.schemas import ErrorBody
from hpi_app.core import files as core
from hpi_app.core.errors import NotFound
from hpi_app.core.file_types import FILE_HEADERS
from hpi_app.core.tokens import authenticate_token

# RFC 2046: a boundary is 1 to 70 of these characters, not ending in a space.
_FIRST_LINE = re.compile(rb"--([0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?])\r\n")
_SNIFF_BYTES = 80


def multipart_boundary(first_bytes: bytes) -> str | None:
    """The boundary of a multipart body that begins with ``first_bytes``, or None if it is not one."""
    match = _FIRST_LINE.match(first_bytes)
    return match.group(1).decode("ascii") if match else None


class SniffedMultipartRoute(APIRoute):
    """A route that recognises a multipart body by its first line, whatever its ``Content-Type`` says."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, behind a look at the first bytes of a mislabelled body."""
        handler = super().get_route_handler()

        async def sniffing_handler(request: Request) -> Response:
            ctype = request.headers.get("content-type", "")
            if ctype.split(";")[0].strip().lower() == "multipart/form-data":
                return await handler(request)
            return await handler(await _relabelled(request))

        return sniffing_handler


async def _relabelled(request: Request) -> Request:
    """``request`` with its first body bytes read and replayed; labelled multipart if they say so."""
    held: list[Message] = []
    seen = b""
    while len(seen) < _SNIFF_BYTES:
        message = await request.receive()
        held.append(message)
        if message["type"] != "http.request":
            break
        seen += message.get("body", b"")
        if b"\r\n" in seen or not message.get("more_body", False):
            break
    boundary = multipart_boundary(seen)
    scope = request.scope
    if boundary is not None:
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
        headers.append((b"content-type", f"multipart/form-data; boundary={boundary}".encode()))
        scope = {**scope, "headers": headers}

    async def replay() -> Message:
        return held.pop(0) if held else await request.receive()

    return Request(scope, replay)


# Uploads take the sniffing route; downloads (GET, no body) stay plain.
_uploads = APIRouter(prefix="/files", tags=["files"], route_class=SniffedMultipartRoute)
_downloads = APIRouter(prefix="/files", tags=["files"])
router = APIRouter()


@_uploads.post(
    "",
    status_code=201,
    responses={
        400: {"model": ErrorBody},
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        413: {"model": ErrorBody},
    },
    summary="Upload a file",
    description=(
        "Multipart `file` (+ `folder`). A multipart body labelled `Content-Type: application/json` "
        "(as the official SDK sends it) is recognised by its first line, `--<boundary>`."
    ),
)
async def upload_file(
    principal: CanCreate,
    base: BaseUrl,
    file: Annotated[UploadFile, File(description="The file")],
    folder: Annotated[
        str | None,
        Form(
            description="A folder name for organising uploads (default `uploads`)",
            json_schema_extra={"pattern": core.FOLDER_PATTERN},
        ),
    ] = None,
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
    return core.file_public(record, base)


@_downloads.get(
    "/{key:path}",
    responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}},
    summary="Download a file",
    description=(
        "Served inline only when the file's own bytes are a raster image, a PDF, audio, video or "
        "plain text; anything else is an attachment of type `application/octet-stream`. Every "
        "answer carries `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`."
    ),
    # A token, a signed-in session's cookie, or ?link= of a task using the file.
    openapi_extra={"security": [{"token": []}, {}]},
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
    served = await in_thread(core.served_as, record)
    return FileResponse(
        core.file_path(record),
        media_type=served.media_type,
        filename=record.name,
        content_disposition_type=served.disposition,
        headers=FILE_HEADERS,
    )


router.include_router(_uploads)
router.include_router(_downloads)
