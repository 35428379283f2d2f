"""GET /api/v1/tasks pages by cursor (next_cursor) beside offset; a bad cursor is a 400 naming it."""

from __future__ import annotations

from tests.utils.bodies import seed_task


async def test_cursor_pages_walk_the_list_once(client, auth):
    made = []
    for n in range(5):
        answer = await client.post("/api/v1/tasks", json=seed_task(title=f"Page task {n}"), headers=auth)
        made.append(answer.json()["task_id"])
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, "sort": "oldest"} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/v1/tasks", params=params, headers=auth)).json()
        pages += 1
        assert body["total"] == 5 and body["offset"] == 0
        seen.extend(t["task_id"] for t in body["tasks"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == made and pages == 3
    by_offset = (await client.get("/api/v1/tasks", params={"limit": 2, "offset": 4}, headers=auth)).json()
    assert [t["task_id"] for t in by_offset["tasks"]] == [made[0]] and by_offset["next_cursor"] is None


async def test_a_bad_cursor_or_a_cursor_with_an_offset_is_refused(client, auth):
    for params in ({"cursor": "not-a-cursor"}, {"cursor": "W10", "offset": 3}):
        answer = await client.get("/api/v1/tasks", params=params, headers=auth)
        assert answer.status_code == 400, answer.text
        assert [d["field"] for d in answer.json()["details"]] == ["cursor"]
