"""POST /api/v1/files and GET /api/v1/files/{key}: tokens, organisations, links, limits."""

from __future__ import annotations

import pytest

from hpi_app.core import accounts, tokens
from tests.utils.bodies import seed_task


async def _upload(
    client, auth, content=b"%PDF-1.4 hello", name="report.pdf", ctype="application/pdf", **data
):
    return await client.post("/api/v1/files", files={"file": (name, content, ctype)}, data=data, headers=auth)


async def test_upload_and_download_with_a_token(client, auth):
    answer = await _upload(client, auth, folder="reports")
    assert answer.status_code == 201
    body = answer.json()
    assert body["name"] == "report.pdf" and body["size"] == 14 and body["type"] == "application/pdf"
    assert body["key"].startswith("reports/") and body["key"].endswith("/report.pdf")
    assert body["url"] == f"http://hpi.test/api/v1/files/{body['key']}"
    got = await client.get(f"/api/v1/files/{body['key']}", headers=auth)
    assert got.status_code == 200
    assert got.content == b"%PDF-1.4 hello"
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"


async def test_download_needs_credentials(client, auth):
    key = (await _upload(client, auth)).json()["key"]
    answer = await client.get(f"/api/v1/files/{key}")
    assert answer.status_code == 401


async def test_files_are_isolated_per_organisation(client, auth):
    key = (await _upload(client, auth)).json()["key"]
    stranger = accounts.create_user("eve@other.test", "another password", org_name="Other")
    raw, _ = tokens.create_token(stranger.id, "eve", "tasks:read")
    answer = await client.get(f"/api/v1/files/{key}", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 404


async def test_a_task_link_grants_the_files_the_task_uses(client, auth):
    uploaded = (await _upload(client, auth)).json()
    other = (await _upload(client, auth, name="secret.pdf")).json()
    body = seed_task()
    body["steps"][0]["blocks"].insert(0, {"type": "pdf", "url": uploaded["url"], "filename": "report.pdf"})
    link_id = (await client.post("/api/v1/tasks", json=body, headers=auth)).json()["link_id"]
    ok = await client.get(f"/api/v1/files/{uploaded['key']}?link={link_id}")
    assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    refused = await client.get(f"/api/v1/files/{other['key']}?link={link_id}")
    assert refused.status_code == 404
    bogus = await client.get(f"/api/v1/files/{uploaded['key']}?link=not-a-link")
    assert bogus.status_code == 404


async def test_html_uploads_are_served_as_attachments(client, auth):
    key = (
        await _upload(client, auth, content=b"<script>alert(1)</script>", name="x.html", ctype="text/html")
    ).json()["key"]
    answer = await client.get(f"/api/v1/files/{key}", headers=auth)
    assert answer.headers["content-disposition"].startswith("attachment")


XSL = (
    b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'
    b"<script>localStorage.setItem('xss', 'ran')</script></html>"
)
SVG = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


@pytest.mark.parametrize(
    ("content", "name", "claimed", "served", "disposition"),
    [
        # What the bytes are decides; the claimed type and the name do not.
        (XSL, "report.pdf", "text/xsl", "application/octet-stream", "attachment"),
        (XSL, "report.pdf", "application/pdf", "application/octet-stream", "attachment"),
        (
            SVG,
            "a.png",
            "image/png",
            "application/octet-stream",
            "attachment",
        ),
        (b"<html><script>1</script>", "notes.txt", "text/html", "application/octet-stream", "attachment"),
        (b"\x00\x01binary", "data.txt", "text/plain", "application/octet-stream", "attachment"),
        (b"%PDF-1.4 hello", "report.pdf", "text/html", "application/pdf", "inline"),
        (PNG, "logo.html", "text/html", "image/png", "inline"),
        (b"\xff\xd8\xff\xe0" + bytes(16), "a.jpg", "image/jpeg", "image/jpeg", "inline"),
        (b"GIF89a" + bytes(16), "a.gif", "image/gif", "image/gif", "inline"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "a.webp", "image/webp", "image/webp", "inline"),
        (b"ID3\x04" + bytes(16), "a.mp3", "audio/mpeg", "audio/mpeg", "inline"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(8), "a.mp4", "video/mp4", "video/mp4", "inline"),
        (b"The contract.\n<script>x</script>", "c.txt", "text/plain", "text/plain; charset=utf-8", "inline"),
    ],
)
async def test_a_file_is_served_inline_only_when_its_bytes_cannot_run_script(
    client, auth, content, name, claimed, served, disposition
):
    uploaded = (await _upload(client, auth, content=content, name=name, ctype=claimed)).json()
    body = seed_task()
    body["steps"][0]["blocks"].insert(0, {"type": "pdf", "url": uploaded["url"], "filename": name})
    link_id = (await client.post("/api/v1/tasks", json=body, headers=auth)).json()["link_id"]
    for answer in (
        await client.get(f"/api/v1/files/{uploaded['key']}", headers=auth),
        await client.get(f"/api/v1/files/{uploaded['key']}?link={link_id}"),
    ):
        assert answer.status_code == 200
        assert answer.content == content
        assert answer.headers["content-type"] == served
        assert answer.headers["content-disposition"].startswith(disposition)
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"] == "sandbox"


async def test_upload_needs_create_scope(client, make_token):
    reader = {"Authorization": f"Bearer {make_token('tasks:read')}"}
    answer = await _upload(client, reader)
    assert answer.status_code == 403 and answer.json()["required_scope"] == "tasks:create"


async def test_upload_errors(client, auth, monkeypatch):
    from hpi_app import config
    from hpi_app.api import limits
    from hpi_app.core import files

    missing = await client.post("/api/v1/files", data={"folder": "x"}, headers=auth)
    assert missing.status_code == 400
    assert [d["field"] for d in missing.json()["details"]] == ["file"]
    bad_folder = await _upload(client, auth, folder="../etc")
    assert bad_folder.status_code == 400
    assert [d["field"] for d in bad_folder.json()["details"]] == ["folder"]
    small = config.Settings(**{**config.settings.__dict__, "max_upload_bytes": 10})
    monkeypatch.setattr(files, "settings", small)
    monkeypatch.setattr(limits, "settings", small)
    stored_before = sorted(p for p in config.settings.files_dir.rglob("*") if p.is_file())
    # Refused by the body limit while streaming in, and by the store's own count.
    for size in (100_000, 1_000):
        too_big = await _upload(client, auth, content=b"x" * size, name="big.bin")
        assert too_big.status_code == 413, size
        assert too_big.json()["code"] == "payload_too_large"
    assert sorted(p for p in config.settings.files_dir.rglob("*") if p.is_file()) == stored_before
