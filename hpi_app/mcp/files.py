"""The ``upload_file`` tool: store a file for the organisation, to show or offer in a task."""

from __future__ import annotations

import base64
import binascii
import io

from pydantic import BaseModel, ConfigDict, Field

from hpi_app.core import files as core
from hpi_app.core.errors import InvalidInput
from hpi_app.mcp.registry import Answer, Call, ToolDef, in_thread
from hpi_app.vocab import Scope


class UploadArgs(BaseModel):
    """Arguments of ``upload_file``: a name and the content, as base64 or as text."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, description="The file's name, e.g. 'report.pdf'.")
    content_base64: str | None = Field(default=None, description="The file's bytes, base64-encoded.")
    text: str | None = Field(default=None, description="Or: the file's content as text (stored as UTF-8).")
    content_type: str | None = Field(default=None, max_length=200, description="e.g. 'application/pdf'.")
    folder: str | None = Field(default=None, max_length=64, description="A folder name to organise uploads.")


def _content(args: UploadArgs) -> bytes:
    if (args.content_base64 is None) == (args.text is None):
        raise InvalidInput(
            "Give the file's content: content_base64 or text (exactly one).",
            details=[{"field": "content_base64", "message": "give exactly one of content_base64 and text"}],
        )
    if args.text is not None:
        return args.text.encode()
    try:
        return base64.b64decode(args.content_base64 or "", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "content_base64 is not valid base64.",
            details=[{"field": "content_base64", "message": "must be base64"}],
        ) from None


async def upload_file(call: Call, args: UploadArgs) -> Answer:
    """Store the file; answers ``{url, key, name, size, type}``."""
    record = await in_thread(
        core.save_upload,
        call.principal.org_id,
        call.principal.user_id,
        args.filename,
        args.content_type,
        io.BytesIO(_content(args)),
        folder=args.folder,
    )
    result = core.file_public(record, call.base_url)
    return Answer(result, f"Stored {result['name']} ({result['size']} bytes) at {result['url']}.")


TOOLS = [
    ToolDef(
        name="upload_file",
        title="Upload a file",
        description=(
            "Store a file (base64 or text) for this organisation. Returns its url: use it in a task's "
            "image, pdf or download block so the person sees or downloads it."
        ),
        arguments=UploadArgs,
        run=upload_file,
        scopes=(Scope.TASKS_CREATE,),
    ),
]
