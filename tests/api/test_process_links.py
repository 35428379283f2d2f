"""``/api/v1/processes/{id}/links``: links to a process's read-only page; bad input writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hpi_client import HPIClient
from hpi_client.client import HPIError
from sqlmodel import select

from hpi_app.core import accounts, link_codes, process_links, tokens
from hpi_app.db import session_scope
from hpi_app.models import Link, TimelineEntry, utcnow
from tests.utils.bodies import seed_task
from tests.utils.link_codes import code_in
from tests.utils.links import CREATED_KEYS, LISTED_KEYS, links_written
from tests.utils.processes import process_body

ALL = "tasks:create,tasks:read,processes:read,processes:write"
JSON = {"Content-Type": "application/json"}
UNKNOWN = "3f2b8c1e-0d4a-4b7e-9a53-2f0c6d1e8b90"


@pytest.fixture
def full(make_token) -> dict[str, str]:
    """Headers of a token with every scope."""
    return {"Authorization": f"Bearer {make_token(ALL)}"}


async def _process(client, headers) -> str:
    answer = await client.post("/api/v1/processes", json=process_body(), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["process_id"]


async def test_a_link_for_an_outsider_asks_for_a_code_and_opens_the_process_page(client, full):
    pid = await _process(client, full)
    before = utcnow()
    answer = await client.post(
        f"/api/v1/processes/{pid}/links",
        json={"assignee_email": "Guest@Elsewhere.test", "assignee_name": "Gus", "expires_in": 3600},
        headers=full,
    )
    assert answer.status_code == 201, answer.text
    link = answer.json()
    assert set(link) == CREATED_KEYS
    assert link["url"] == f"http://hpi.test/p/{link['link_id']}"
    assert link["requires_otp"] is True and link["assignee_email"] == "guest@elsewhere.test"
    assert link["expires_at"].endswith("Z") and link["created_at"].endswith("Z")
    with session_scope() as session:
        row = session.get(Link, link["link_id"])
        kinds = session.exec(
            select(TimelineEntry.kind).where(TimelineEntry.subject_id == pid).order_by(TimelineEntry.id)
        ).all()
    assert (row.subject_kind, row.subject_id, row.primary, row.assignee_name) == (
        "process",
        pid,
        False,
        "Gus",
    )
    assert before + timedelta(seconds=3590) < row.expires_at <= utcnow() + timedelta(seconds=3600)
    assert kinds == ["created", "link_created"]


async def test_a_members_link_needs_no_code_and_require_otp_overrides(client, full, admin):
    member = accounts.create_user("bob@acme.test", "a long password", org_id=admin.org_id)
    pid = await _process(client, full)
    url = f"/api/v1/processes/{pid}/links"
    of_member = (await client.post(url, json={"assignee_email": member.email}, headers=full)).json()
    assert of_member["requires_otp"] is False
    forced = await client.post(url, json={"assignee_email": member.email, "require_otp": True}, headers=full)
    assert forced.json()["requires_otp"] is True
    waived = await client.post(
        url, json={"assignee_email": "g@elsewhere.test", "require_otp": False}, headers=full
    )
    assert waived.json()["requires_otp"] is False


async def test_the_list_has_every_link_oldest_first_in_the_task_links_shape(client, full):
    pid = await _process(client, full)
    url = f"/api/v1/processes/{pid}/links"
    first = (await client.post(url, json={"assignee_email": "a@elsewhere.test"}, headers=full)).json()
    second = (await client.post(url, json={"assignee_email": "b@elsewhere.test"}, headers=full)).json()
    other = await _process(client, full)
    await client.post(f"/api/v1/processes/{other}/links", json={"assignee_email": "c@x.test"}, headers=full)
    listed = (await client.get(url, headers=full)).json()["links"]
    assert [row["link_id"] for row in listed] == [first["link_id"], second["link_id"]]
    assert set(listed[0]) == LISTED_KEYS
    assert listed[0]["url"] == first["url"] and listed[0]["primary"] is False
    assert listed[1]["assignee_email"] == "b@elsewhere.test" and listed[1]["revoked_at"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (None, "assignee_email"),
        ({}, "assignee_email"),
        ({"assignee_email": None}, "assignee_email"),
        ({"assignee_email": ""}, "assignee_email"),
        ({"assignee_email": "not-an-email"}, "assignee_email"),
        ({"assignee_email": "a@b.test", "expires_in": 10}, "expires_in"),
        ({"assignee_email": "a@b.test", "expires_in": "soon"}, "expires_in"),
        ({"assignee_email": "a@b.test", "expires_in": 10**9}, "expires_in"),
        ({"assignee_email": "a@b.test", "require_otp": "perhaps"}, "require_otp"),
        ({"assignee_email": "a@b.test", "assignee_name": "x" * 201}, "assignee_name"),
    ],
)
async def test_a_bad_body_is_400_naming_the_field_and_writes_nothing(client, full, body, field):
    pid = await _process(client, full)
    before = links_written()
    url = f"/api/v1/processes/{pid}/links"
    if body is None:  # what the SDK sends with no fields: the JSON header and no body at all
        answer = await client.post(url, headers={**full, **JSON})
    else:
        answer = await client.post(url, json=body, headers=full)
    assert answer.status_code == 400, answer.text
    assert [d["field"] for d in answer.json()["details"]] == [field]
    assert links_written() == before


async def test_unknown_or_another_organisations_process_is_404_and_writes_nothing(client, full):
    pid = await _process(client, full)
    eve = accounts.create_user("eve@other.test", "correct horse battery", org_name="Other")
    raw, _ = tokens.create_token(eve.id, "eve", ALL)
    theirs = {"Authorization": f"Bearer {raw}"}
    before = links_written()
    body = {"assignee_email": "a@b.test"}
    for headers, process_id in ((theirs, pid), (full, UNKNOWN), (full, "not-a-uuid")):
        made = await client.post(f"/api/v1/processes/{process_id}/links", json=body, headers=headers)
        assert made.status_code == 404 and made.json()["code"] == "process_not_found", made.text
        listed = await client.get(f"/api/v1/processes/{process_id}/links", headers=headers)
        assert listed.status_code == 404
    assert links_written() == before


@pytest.mark.parametrize("end", ["completed", "failed"])
async def test_a_finished_process_takes_no_new_link_and_nothing_is_written(client, full, end):
    pid = await _process(client, full)
    url = f"/api/v1/processes/{pid}/links"
    kept = (await client.post(url, json={"assignee_email": "a@b.test"}, headers=full)).json()
    update = {"type": end} if end == "completed" else {"type": end, "error": "broke"}
    assert (
        await client.post(f"/api/v1/processes/{pid}/update", json=update, headers=full)
    ).status_code == 200
    before = links_written()
    answer = await client.post(url, json={"assignee_email": "late@b.test"}, headers=full)
    assert answer.status_code == 409 and answer.json()["code"] == f"process_{end}"
    assert answer.json()["status"] == end
    assert links_written() == before
    # The links it has still list, and still open (the holder sees how it ended).
    assert [row["link_id"] for row in (await client.get(url, headers=full)).json()["links"]] == [
        kept["link_id"]
    ]
    assert process_links.opening_state(process_links.resolve(kept["link_id"])) == "open"


async def test_withdrawing_a_link(client, full):
    pid = await _process(client, full)
    url = f"/api/v1/processes/{pid}/links"
    link = (await client.post(url, json={"assignee_email": "a@b.test"}, headers=full)).json()
    gone = await client.delete(f"{url}?link_id={link['link_id']}", headers=full)
    assert gone.status_code == 200 and gone.json() == {"link_id": link["link_id"], "revoked": True}
    assert process_links.opening_state(process_links.resolve(link["link_id"])) == process_links.WITHDRAWN
    before = links_written()
    again = await client.delete(f"{url}?link_id={link['link_id']}", headers=full)
    assert again.status_code == 200 and links_written() == before  # withdrawing twice writes nothing
    listed = (await client.get(url, headers=full)).json()["links"]
    assert listed[0]["revoked_at"] is not None

    task = (await client.post("/api/v1/tasks", json=seed_task(), headers=full)).json()
    other = await _process(client, full)
    theirs = (
        await client.post(
            f"/api/v1/processes/{other}/links", json={"assignee_email": "c@b.test"}, headers=full
        )
    ).json()
    before = links_written()
    for wrong in ("no-such-link", theirs["link_id"], task["link_id"]):
        refused = await client.delete(f"{url}?link_id={wrong}", headers=full)
        assert refused.status_code == 404 and refused.json()["details"][0]["field"] == "link_id"
    missing = await client.delete(url, headers=full)
    assert missing.status_code == 400 and missing.json()["details"][0]["field"] == "link_id"
    assert links_written() == before


async def test_scopes(client, make_token):
    writer = {"Authorization": f"Bearer {make_token('processes:write')}"}
    creator = {"Authorization": f"Bearer {make_token('tasks:create')}"}
    reader = {"Authorization": f"Bearer {make_token('processes:read')}"}
    tasks_reader = {"Authorization": f"Bearer {make_token('tasks:read')}"}
    pid = await _process(client, writer)
    url = f"/api/v1/processes/{pid}/links"
    body = {"assignee_email": "a@b.test"}
    assert (await client.post(url, json=body, headers=writer)).status_code == 201
    assert (await client.post(url, json=body, headers=creator)).status_code == 201
    before = links_written()
    for headers in (reader, tasks_reader):
        refused = await client.post(url, json=body, headers=headers)
        assert refused.status_code == 403 and refused.json()["required_scope"] == "processes:write"
    assert links_written() == before
    assert len((await client.get(url, headers=reader)).json()["links"]) == 2
    denied = await client.get(url, headers=writer)
    assert denied.status_code == 403 and denied.json()["required_scope"] == "processes:read"
    assert (await client.get(url)).status_code == 401


async def test_openapi_documents_the_process_link_routes(client):
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    routes = paths["/api/v1/processes/{process_id}/links"]
    assert "requestBody" in routes["post"] and {"201", "400", "403", "404", "409"} <= set(
        routes["post"]["responses"]
    )
    assert "ProcessLinkCreate" in str(routes["post"]["requestBody"])
    assert {"200", "403", "404"} <= set(routes["get"]["responses"])
    assert {"200", "400", "404"} <= set(routes["delete"]["responses"])


async def test_a_right_code_for_a_process_link_goes_back_to_its_page(client, full, outbox):
    pid = await _process(client, full)
    link = (
        await client.post(
            f"/api/v1/processes/{pid}/links", json={"assignee_email": "g@elsewhere.test"}, headers=full
        )
    ).json()
    link_codes.send_code(link["link_id"], "http://hpi.test")
    [mail] = outbox
    assert mail["To"] == "g@elsewhere.test" and "Deploy release 1.4" in mail["Subject"]
    assert link["url"] in mail.get_body(("plain",)).get_content()
    wrong = await client.post("/auth/link-code", data={"link_id": link["link_id"], "code": "12"})
    assert wrong.headers["location"] == f"/p/{link['link_id']}?code_error=code_malformed"
    answer = await client.post("/auth/link-code", data={"link_id": link["link_id"], "code": code_in(mail)})
    assert answer.status_code == 303 and answer.headers["location"] == f"/p/{link['link_id']}"
    name = link_codes.grant_cookie_name(link["link_id"])
    assert link_codes.grant_allows(link["link_id"], answer.cookies[name])
    with session_scope() as session:
        kinds = session.exec(
            select(TimelineEntry.kind).where(TimelineEntry.subject_id == pid).order_by(TimelineEntry.id)
        ).all()
    assert kinds == ["created", "link_created", "code_sent", "code_verified"]


def test_the_official_sdk_creates_and_lists_process_links(live_api, make_token):
    sdk = HPIClient(live_api, make_token(ALL), timeout=10)
    try:
        process = sdk.create_process(**process_body())
        pid = process["process_id"]
        made = sdk.create_process_link(pid, assignee_email="guest@elsewhere.test", assignee_name="Gus")
        assert made["url"] == f"{live_api}/p/{made['link_id']}" and made["requires_otp"] is True
        waived = sdk.create_process_link(
            pid, assignee_email="g2@elsewhere.test", require_otp=False, expires_in=600
        )
        assert waived["requires_otp"] is False and waived["expires_at"] is not None
        listed = sdk.list_process_links(pid)["links"]
        assert [row["link_id"] for row in listed] == [made["link_id"], waived["link_id"]]
        assert listed[0]["assignee_name"] == "Gus"

        with pytest.raises(HPIError) as bad:
            sdk.create_process_link(pid, assignee_email="nope")
        assert bad.value.status == 400 and [d["field"] for d in bad.value.details] == ["assignee_email"]
        with pytest.raises(HPIError) as short:
            sdk.create_process_link(pid, assignee_email="a@b.test", expires_in=5)
        assert short.value.status == 400 and [d["field"] for d in short.value.details] == ["expires_in"]
        with pytest.raises(HPIError) as unknown:
            sdk.list_process_links(UNKNOWN)
        assert unknown.value.status == 404 and unknown.value.error
        sdk.update_process(pid, {"type": "completed"})
        with pytest.raises(HPIError) as finished:
            sdk.create_process_link(pid, assignee_email="late@b.test")
        assert finished.value.status == 409
        assert len(sdk.list_process_links(pid)["links"]) == 2
    finally:
        sdk.close()
