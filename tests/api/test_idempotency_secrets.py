"""A generated webhook secret is not kept in the idempotency replay record, yet a replay still shows it."""

from __future__ import annotations

import json

from sqlmodel import select

from hpi_app.db import session_scope
from hpi_app.models import IdempotencyKey
from tests.utils.bodies import seed_task


async def test_the_replay_record_keeps_no_secret_and_the_replay_is_the_first_answer(client, auth):
    body = seed_task(sinks=[{"type": "webhook", "url": "https://hooks.example/hpi"}])
    headers = {**auth, "Idempotency-Key": "deploy-with-hook"}
    first = await client.post("/api/v1/tasks", json=body, headers=headers)
    assert first.status_code == 201
    secret = first.json()["webhook_secrets"][0]["secret"]
    assert secret
    with session_scope() as session:
        stored = session.exec(select(IdempotencyKey)).all()
    assert len(stored) == 1
    assert secret not in json.dumps(stored[0].response)
    assert stored[0].response["webhook_secrets"] == [{"sink": 0, "url": "https://hooks.example/hpi"}]

    again = await client.post("/api/v1/tasks", json=body, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()  # the secret read back from the task's own sink
