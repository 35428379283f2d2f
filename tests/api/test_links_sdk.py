"""The official SDK's link methods (``aithericon-hpi`` 0.1.0) against the app served over real HTTP."""

from __future__ import annotations

import pytest
from hpi_client import HPIClient
from hpi_client.client import HPIError

from hpi_app.core import links
from tests.utils.bodies import seed_task


@pytest.fixture
def sdk(live_api: str, token: str):
    """The official client, pointed at the live app with the admin's token."""
    client = HPIClient(live_api, token, timeout=10)
    yield client
    client.close()


def test_create_list_and_delete_task_links(sdk, live_api):
    task = sdk.create_task(title="Sign off", steps=seed_task()["steps"])

    bare = sdk.create_task_link(task["task_id"])  # no fields: the SDK sends no body at all
    assert bare["url"] == f"{live_api}/t/{bare['link_id']}" and bare["requires_otp"] is False
    guest = sdk.create_task_link(
        task["task_id"], assignee_email="guest@elsewhere.test", assignee_name="Gus", expires_in=3600
    )
    assert guest["requires_otp"] is True and guest["assignee_email"] == "guest@elsewhere.test"
    assert guest["expires_at"] is not None

    listed = sdk.list_task_links(task["task_id"])["links"]
    assert [row["link_id"] for row in listed] == [task["link_id"], bare["link_id"], guest["link_id"]]
    assert listed[0]["primary"] is True and listed[2]["assignee_name"] == "Gus"

    assert sdk.delete_task_link(task["task_id"], bare["link_id"]) == {
        "link_id": bare["link_id"],
        "revoked": True,
    }
    after = {row["link_id"]: row for row in sdk.list_task_links(task["task_id"])["links"]}
    assert after[bare["link_id"]]["revoked_at"] is not None
    assert links.opening_state(links.resolve(bare["link_id"])) == links.WITHDRAWN


def test_sdk_error_paths(sdk):
    task = sdk.create_task(title="Sign off", steps=seed_task()["steps"])

    with pytest.raises(HPIError) as bad:
        sdk.create_task_link(task["task_id"], assignee_email="nope")
    assert bad.value.status == 400 and [d["field"] for d in bad.value.details] == ["assignee_email"]

    with pytest.raises(HPIError) as unknown:
        sdk.delete_task_link(task["task_id"], "no-such-link")
    assert unknown.value.status == 404 and "no link" in unknown.value.error

    with pytest.raises(HPIError) as missing:
        sdk.list_task_links("3f2b8c1e-0d4a-4b7e-9a53-2f0c6d1e8b90")
    assert missing.value.status == 404

    sdk.cancel_task(task["task_id"])
    with pytest.raises(HPIError) as finished:
        sdk.create_task_link(task["task_id"])
    assert finished.value.status == 409 and "cancelled" in finished.value.error
