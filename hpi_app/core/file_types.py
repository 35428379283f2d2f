"""How a stored file is served: inline only when its bytes are a type that cannot run script.

The type an uploader names (and the file name) are claims: a file sent as ``text/xsl`` and named
``report.pdf`` ran script on HPI's origin when it was served as it was labelled. So the server
reads the file's first bytes and serves it inline only when they are a raster image (PNG, JPEG,
GIF, WebP), a PDF, audio or video, or plain UTF-8 text labelled ``text/plain``; with that type,
never the claimed one. Everything else is an attachment of type ``application/octet-stream``.
Every file answer also carries ``X-Content-Type-Options: nosniff`` and
``Content-Security-Policy: sandbox`` (:data:`FILE_HEADERS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ATTACHMENT_TYPE = "application/octet-stream"
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Cache-Control": "private, max-age=3600",
}
_HEAD_BYTES = 64
_TEXT_BYTES = 64 * 1024
# (offset, magic bytes, type): the first that matches names the file's type.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (0, b"\xff\xf3", "audio/mpeg"),
    (0, b"\xff\xf2", "audio/mpeg"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (4, b"ftypM4A ", "audio/mp4"),
    (4, b"ftyp", "video/mp4"),
)
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}


@dataclass(frozen=True)
class Served:
    """How one file is answered: its ``Content-Type`` and ``Content-Disposition`` kind."""

    media_type: str
    disposition: str


def _sniffed(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    for offset, magic, media_type in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return media_type
    return None


def _is_text(sample: bytes) -> bool:
    """Whether ``sample`` (a file's first bytes) is UTF-8 text without NUL bytes."""
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut at the end of the sample is still text.
        return exc.start >= len(sample) - 3 and len(sample) == _TEXT_BYTES
    return True


def served_as(path: Path, claimed_type: str) -> Served:
    """How the file at ``path`` is served, from its own bytes (``claimed_type`` only picks text)."""
    with path.open("rb") as stream:
        sample = stream.read(_TEXT_BYTES)
    media_type = _sniffed(sample[:_HEAD_BYTES])
    if media_type is not None:
        return Served(media_type, "inline")
    if claimed_type == "text/plain" and _is_text(sample):
        return Served("text/plain; charset=utf-8", "inline")
    return Served(ATTACHMENT_TYPE, "attachment")
