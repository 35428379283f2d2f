"""Create-task bodies for the task page's browser tests (the quick-start one: ``tests.utils.bodies``)."""

from __future__ import annotations

import copy
import struct
import zlib
from typing import Any


def png_bytes(width: int = 160, height: int = 64, rgb: tuple[int, int, int] = (62, 99, 221)) -> bytes:
    """A solid-colour PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# A one-page PDF, small enough to inline.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R"
    b"/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>endobj\n"
    b"4 0 obj<</Length 44>>stream\nBT /F1 18 Tf 40 70 Td (Release notes) Tj ET\nendstream endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def every_kind_task(*, image_url: str, pdf_url: str, download_url: str) -> dict[str, Any]:
    """A four-step task using every block type and every field kind of SPEC §4."""
    return copy.deepcopy(
        {
            "title": "Vendor onboarding review",
            "instructions_mdsvex": "Review the **vendor** details and sign off. It takes about five minutes.",
            "steps": [
                {
                    "id": "contact",
                    "title": "Contact details",
                    "description_mdsvex": "Who is answering this review?",
                    "blocks": [
                        {
                            "type": "mdsvex",
                            "content": (
                                "## Before you start\n\n"
                                "- Have the *contract* at hand\n- ~~Old form~~ is retired\n\n"
                                "> Questions? Ask `ops@example.com`.\n\n"
                                "| Item | Owner |\n|:--|--:|\n| Contract | Legal |"
                            ),
                        },
                        {
                            "type": "callout",
                            "severity": "info",
                            "title": "Why we ask",
                            "content": "We keep a record of **who** approved each vendor.",
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "full_name",
                                "label": "Full name",
                                "kind": "text",
                                "placeholder": "Ada Lovelace",
                                "min_length": 2,
                            },
                        },
                        {"type": "input", "field": {"name": "email", "label": "Work email", "kind": "email"}},
                        {
                            "type": "input",
                            "field": {
                                "name": "website",
                                "label": "Vendor website",
                                "kind": "url",
                                "required": False,
                            },
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "team_size",
                                "label": "Team size",
                                "kind": "number",
                                "min": 1,
                                "max": 500,
                                "description_mdsvex": "People who will use the vendor's **service**.",
                            },
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "notes",
                                "label": "Notes",
                                "kind": "textarea",
                                "required": False,
                                "default": "No concerns so far.",
                            },
                        },
                    ],
                },
                {
                    "id": "material",
                    "title": "Review the material",
                    "blocks": [
                        {
                            "type": "table",
                            "headers": ["Quarter", "Spend (k€)", "Status"],
                            "rows": [["Q1", 12.5, "paid"], ["Q2", 18, "due"], ["Q3", None, True]],
                            "alignments": ["left", "right", "center"],
                            "caption": "Spend so far",
                        },
                        {
                            "type": "image",
                            "url": image_url,
                            "alt": "Vendor logo",
                            "caption": "The vendor's logo",
                        },
                        {"type": "pdf", "url": pdf_url, "filename": "release-notes.pdf", "height": 320},
                        {
                            "type": "download",
                            "downloads": [
                                {
                                    "url": download_url,
                                    "filename": "contract.txt",
                                    "size": 2048,
                                    "mime_type": "text/plain",
                                    "description": "The signed contract",
                                }
                            ],
                        },
                        {"type": "divider"},
                        {
                            "type": "chart",
                            "chart_type": "bar",
                            "data": [
                                {"month": "Jan", "spend": 4, "budget": 5},
                                {"month": "Feb", "spend": 6, "budget": 5},
                                {"month": "Mar", "spend": 3, "budget": 5},
                            ],
                            "x": "month",
                            "series": [
                                {"key": "spend", "label": "Spend"},
                                {"key": "budget", "label": "Budget"},
                            ],
                            "caption": "Monthly spend against budget",
                            "height": 240,
                            "y_label": "k€",
                        },
                        {
                            "type": "chart",
                            "chart_type": "line",
                            "data": [
                                {"day": "Mon", "tickets": 3},
                                {"day": "Tue", "tickets": 7},
                                {"day": "Wed", "tickets": 5},
                            ],
                            "x": "day",
                            "series": [{"key": "tickets", "label": "Tickets", "color": "#e5484d"}],
                            "caption": "Support tickets",
                            "height": 220,
                        },
                        {
                            "type": "chart",
                            "chart_type": "area",
                            "data": [{"week": "W1", "uptime": 99.1}, {"week": "W2", "uptime": 99.8}],
                            "x": "week",
                            "series": [{"key": "uptime", "label": "Uptime %"}],
                            "caption": "Uptime",
                            "height": 200,
                        },
                        {
                            "type": "chart",
                            "chart_type": "pie",
                            "data": [
                                {"team": "Ops", "share": 50},
                                {"team": "Dev", "share": 30},
                                {"team": "QA", "share": 20},
                            ],
                            "x": "team",
                            "series": [{"key": "share", "label": "Share"}],
                            "caption": "Who uses it",
                            "height": 240,
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "decision",
                                "label": "Decision",
                                "kind": "select",
                                "options": [
                                    {"value": "approve", "label": "Approve"},
                                    {"value": "reject", "label": "Reject"},
                                ],
                            },
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "priority",
                                "label": "Priority",
                                "kind": "radio",
                                "options": ["Low", "Medium", "High"],
                            },
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "regions",
                                "label": "Regions",
                                "kind": "multiselect",
                                "options": [
                                    {"value": "eu", "label": "Europe"},
                                    {"value": "us", "label": "Americas"},
                                    {"value": "apac", "label": "Asia-Pacific"},
                                ],
                            },
                        },
                    ],
                },
                {
                    "id": "details",
                    "title": "Details",
                    "blocks": [
                        {
                            "type": "callout",
                            "severity": "warning",
                            "content": "Go-live dates are in **your** local time.",
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "go_live",
                                "label": "Go-live",
                                "kind": "date",
                                "include_time": True,
                            },
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "confidence",
                                "label": "Confidence",
                                "kind": "range",
                                "min": 0,
                                "max": 100,
                                "step": 5,
                            },
                        },
                        {"type": "input", "field": {"name": "quality", "label": "Quality", "kind": "rating"}},
                        {
                            "type": "input",
                            "field": {
                                "name": "confirmed",
                                "label": "I confirm the details are correct",
                                "kind": "checkbox",
                            },
                        },
                    ],
                },
                {
                    "id": "sign",
                    "title": "Sign off",
                    "blocks": [
                        {
                            "type": "callout",
                            "severity": "error",
                            "title": "Final",
                            "content": "You can't change answers after submitting.",
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "evidence",
                                "label": "Evidence",
                                "kind": "file",
                                "accept": ".txt,.pdf,image/*",
                                "max_files": 2,
                                "max_file_size": 1048576,
                            },
                        },
                        {
                            "type": "input",
                            "field": {
                                "name": "signature",
                                "label": "Signature",
                                "kind": "signature",
                                "signature_mode": "draw",
                            },
                        },
                        {
                            "type": "callout",
                            "severity": "success",
                            "content": "Thank you for helping us keep vendors safe.",
                        },
                    ],
                },
            ],
        }
    )


def xss_task() -> dict[str, Any]:
    """A task whose Markdown tries script, event handlers and ``javascript:`` links everywhere."""
    hostile = (
        "Hello <script>window.__x=1</script> **bold**\n\n"
        '<img src=x onerror="window.__x=2">\n\n'
        "[click](javascript:window.__x=3)"
    )
    return {
        "title": "Markdown safety check",
        "instructions_mdsvex": hostile,
        "steps": [
            {
                "id": "only",
                "title": "Read this",
                "description_mdsvex": hostile,
                "blocks": [
                    {"type": "mdsvex", "content": hostile},
                    {"type": "callout", "severity": "info", "content": hostile},
                    {
                        "type": "input",
                        "field": {
                            "name": "ok",
                            "label": "Looks fine",
                            "kind": "checkbox",
                            "description_mdsvex": hostile,
                        },
                    },
                ],
            }
        ],
    }
