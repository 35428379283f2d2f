"""An uploaded file cannot run script on HPI's origin, whatever type and name its uploader gave it.

A file sent as ``text/xsl`` and named ``report.pdf`` is an XML document with an XHTML
``<script>``: served as it was labelled, Chromium ran the script, also inside the PDF block's
iframe, for every member who opened the task. The server now decides from the bytes: it is an
attachment, and the browser downloads it instead of rendering it.
"""

from __future__ import annotations

from contextlib import suppress

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.e2e.accounts import sign_in
from tests.e2e.helpers import make_api_user

pytestmark = pytest.mark.e2e

HOSTILE = (
    b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body><script>'
    b"localStorage.setItem('xss', 'ran'); window.top.__xss = 'ran'; window.top.document.title = 'XSS';"
    b"</script></body></html>"
)


def _script_ran(page: Page) -> dict:
    return page.evaluate(
        "() => ({stored: localStorage.getItem('xss'), flag: window.__xss ?? null, title: document.title})"
    )


def test_a_hostile_file_named_pdf_runs_no_script_for_a_member(app_server, browser):
    member = make_api_user(app_server, admin=True)
    uploaded = member.upload_file("report.pdf", HOSTILE, "text/xsl")
    task = member.create_task(
        {
            "title": "Read the report",
            "steps": [
                {
                    "id": "read",
                    "title": "Read",
                    "blocks": [{"type": "pdf", "url": uploaded["url"], "filename": "report.pdf"}],
                }
            ],
        }
    )
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    try:
        sign_in(page, app_server, member)
        # Inside the PDF block's iframe: the browser gets the file as a download, not a page.
        with page.expect_download() as in_frame:
            page.goto(task["url"])
        assert in_frame.value.suggested_filename == "report.pdf"
        expect(page.locator('[data-block="pdf"] iframe')).to_be_attached()
        assert _script_ran(page) == {"stored": None, "flag": None, "title": "Task · HPI"}

        # Opened on its own, as a member following the block's link would.
        file_url = page.locator('[data-block="pdf"] iframe').get_attribute("src")
        with page.expect_download() as opened, suppress(PlaywrightError):
            page.goto(file_url)  # "Download is starting": no page is rendered
        assert opened.value.suggested_filename == "report.pdf"
        page.goto(task["url"])
        expect(page.locator('[data-block="pdf"] iframe')).to_be_attached()
        assert _script_ran(page)["stored"] is None
    finally:
        context.close()
