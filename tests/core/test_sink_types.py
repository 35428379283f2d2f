"""A fourth sink type, declared here in a few lines, works end to end without touching a sink module.

The "ledger" type below is a settings model and a sender that records what it got; registering it
is all it takes for the API to validate it, the outbox to queue it, the delivery worker to send
it and org-wide sinks (with a generated secret) to use it.
"""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field, ValidationError, field_validator

from hpi_app.api.presenters import delivery_public
from hpi_app.core import delivery_log, sinks, tasks
from hpi_app.core.errors import InvalidInput
from hpi_app.core.sinks.base import Job, Sender, SinkSettings, SinkType
from hpi_app.core.sinks.registry import form_fields, prepare_task_sinks, register, sink_target, unregister
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.spec import error_details
from tests.utils.bodies import seed_task
from tests.utils.deliveries import deliveries, running_worker, wait_until


class LedgerSink(SinkSettings):
    """Write the event into a ledger ``book``."""

    type: Literal["ledger"]
    book: str = Field(max_length=50)

    @field_validator("book")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        if not value.isalpha() or not value.islower():
            msg = "must be lower-case letters"
            raise ValueError(msg)
        return value


class LedgerSender(Sender):
    """Records every job it is given."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    async def send(self, job: Job) -> None:
        """Record ``job``."""
        self.jobs.append(job)


@pytest.fixture
def ledger():
    sender = LedgerSender()
    register(
        SinkType(
            name="ledger",
            label="Ledger",
            spec=LedgerSink,
            target="book",
            new_sender=lambda _config: sender,
            new_secret=lambda: "ledger-secret-1",
        )
    )
    yield sender
    unregister("ledger")


def delivered() -> list:
    return [d for d in deliveries() if d.status == "delivered"]


async def test_a_task_with_a_registered_sink_type_gets_its_event(client, auth, ledger):
    bad = await client.post(
        "/api/v1/tasks", json=seed_task(sinks=[{"type": "ledger", "book": "Main Book"}]), headers=auth
    )
    assert bad.status_code == 400
    assert bad.json()["details"] == [{"field": "sinks[0].book", "message": "must be lower-case letters"}]
    unknown = await client.post("/api/v1/tasks", json=seed_task(sinks=[{"type": "abacus"}]), headers=auth)
    assert unknown.json()["details"] == [
        {
            "field": "sinks[0].type",
            "message": "unknown sink type 'abacus'; expected one of: email, ledger, nats, webhook",
        }
    ]

    created = await client.post(
        "/api/v1/tasks", json=seed_task(sinks=[{"type": "ledger", "book": "main"}]), headers=auth
    )
    assert created.status_code == 201, created.text
    task_id = created.json()["task_id"]
    tasks.complete_task(task_id, {"decision": "Approve"})
    async with running_worker():
        await wait_until(delivered, what="the ledger delivery")
    (job,) = ledger.jobs
    assert job.event == "task.completed" and job.body["task_id"] == task_id
    assert job.body["data"] == {"decision": "Approve"}
    assert job.sink["type"] == "ledger" and job.sink["book"] == "main"
    log = await client.get(f"/api/v1/tasks/{task_id}/deliveries", headers=auth)
    (shown,) = log.json()["deliveries"]
    assert shown["status"] == "delivered" and shown["webhook_id"] == job.webhook_id
    assert shown["sink"]["book"] == "main" and "secret" not in shown["sink"]


def test_an_org_wide_sink_of_a_registered_type_gets_a_secret_and_a_test_event(admin, ledger):
    with pytest.raises(InvalidInput) as caught:
        sinks.create_sink(admin.org_id, {"name": "Books", "type": "ledger", "book": "x1"})
    assert caught.value.details == [{"field": "book", "message": "must be lower-case letters"}]

    saved = sinks.create_sink(admin.org_id, {"name": "Books", "type": "ledger", "book": "main"})
    assert saved.new_secret == "ledger-secret-1" and saved.sink.config == {
        "book": "main",
        "secret": "ledger-secret-1",
    }
    assert sinks.rotate_secret(admin.org_id, saved.sink.id).new_secret == "ledger-secret-1"
    assert sinks.to_public(saved.sink)["config"] == {"book": "main"}


async def test_the_worker_sends_an_org_wide_test_event_with_the_registered_sender(admin, ledger):
    saved = sinks.create_sink(admin.org_id, {"name": "Books", "type": "ledger", "book": "main"})
    sent = sinks.send_test_event(admin.org_id, saved.sink.id)
    async with running_worker():
        await wait_until(delivered, what="the test event")
    (job,) = ledger.jobs
    assert (
        job.event == "task.test" and job.sink["name"] == "Books" and job.sink["secret"] == "ledger-secret-1"
    )
    shown = delivery_public(delivery_log.get_delivery(admin.org_id, sent.id))
    assert shown["status"] == "delivered" and shown["attempt_count"] == 1


def test_the_registry_answers_for_the_new_type(ledger):
    body = TaskCreate.model_validate(seed_task(sinks=[{"type": "ledger", "book": "main"}]))
    stored, generated = prepare_task_sinks(body.sinks)
    assert stored == [
        {"type": "ledger", "book": "main", "events": ["completed", "cancelled"], "secret": "ledger-secret-1"}
    ]
    assert generated == [{"sink": 0, "book": "main", "secret": "ledger-secret-1"}]
    assert sink_target({"type": "ledger", "book": "main"}) == "main"
    (field,) = form_fields(sinks.sink_type("ledger"))
    assert (field.name, field.label) == ("book", "Book")


def test_an_unregistered_type_is_unknown_again():
    with pytest.raises(ValidationError) as caught:
        TaskCreate.model_validate(seed_task(sinks=[{"type": "ledger", "book": "main"}]))
    assert error_details(caught.value) == [
        {
            "field": "sinks[0].type",
            "message": "unknown sink type 'ledger'; expected one of: email, nats, webhook",
        }
    ]


def test_a_sender_without_send_cannot_be_made():
    from hpi_app.core.sinks.base import Sender

    class Silent(Sender):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Silent()


def test_an_email_sink_names_each_task_event_in_words():
    from hpi_app.core.sinks.email import heading_for
    from hpi_app.vocab import SinkEvent

    headings = {event.value: heading_for(f"task.{event.value}", "task") for event in SinkEvent}
    assert headings["updated"] == "Retitled" and headings["assigned"] == "Reassigned"
    assert not [event for event, heading in headings.items() if heading.startswith("task.")]
