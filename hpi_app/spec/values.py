"""Tests on answer values shared by the field checks and the spec models: empty, URL, date, PNG."""

import base64
import binascii
import re
from datetime import datetime
from urllib.parse import urlsplit

from hpi_app.validation import WHITESPACE

EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?")
_HOST = r"[A-Za-z0-9._~%!$&'()*+,;=-]+"
# An http(s) URL with a host, or a site path starting with one "/"; no white space or backslash.
# Image, PDF and download blocks and file answers take these; their JSON schema declares it.
LINK_URL_PATTERN = (
    f"^(?:/(?:[^{WHITESPACE}/\\\\][^{WHITESPACE}\\\\]*)?"
    f"|[Hh][Tt][Tt][Pp][Ss]?://(?:[^{WHITESPACE}/?#@\\\\]*@)?{_HOST}(?::[0-9]*)?"
    f"(?:[/?#][^{WHITESPACE}\\\\]*)?)$"
)
_LINK_URL = re.compile(LINK_URL_PATTERN[:-1] + r"\Z")
_PNG_PREFIX = "data:image/png;base64,"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_empty(value: object) -> bool:
    """Tells whether an answer counts as missing: None, a blank string, ``[]`` or ``{}``."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, dict)) and not value


def is_http_url(value: object) -> bool:
    """Tells whether ``value`` is an absolute http or https URL with a host."""
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def is_link_url(value: object) -> bool:
    """Tells whether ``value`` is an http(s) URL or a site path starting with a single ``/``."""
    return isinstance(value, str) and _LINK_URL.match(value) is not None


def is_iso_datetime(value: str) -> bool:
    """Tells whether ``value`` is an ISO date-time such as ``2026-02-24T14:30`` (seconds, zone optional)."""
    if not DATETIME_RE.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_png_data_url(value: object) -> bool:
    """Tells whether ``value`` is a ``data:image/png;base64,`` URL holding a PNG image."""
    if not isinstance(value, str) or not value.startswith(_PNG_PREFIX):
        return False
    try:
        return base64.b64decode(value[len(_PNG_PREFIX) :], validate=True).startswith(_PNG_MAGIC)
    except (binascii.Error, ValueError):
        return False
