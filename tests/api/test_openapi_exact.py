"""The OpenAPI document tells the truth: 405 with Allow, JSON 404s, 400 not 422, declared constraints."""

from __future__ import annotations

import pytest

from hpi_app.api.app import create_api
from tests.utils.bodies import seed_task


@pytest.fixture(scope="module")
def document() -> dict:
    return create_api().openapi()


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/tasks", "GET, POST"),
        ("TRACE", "/api/v1/tasks/abc", "GET, PATCH"),
        ("PATCH", "/api/v1/tasks/abc/links", "DELETE, GET, POST"),
        ("OPTIONS", "/api/v1/tasks/abc/links", "DELETE, GET, POST"),
        ("FOO", "/api/v1/tasks/abc/cancel", "POST"),
        ("DELETE", "/api/v1/processes", "GET, POST"),
    ],
)
async def test_an_undeclared_method_is_405_with_allow_and_a_json_body(client, auth, method, path, allow):
    answer = await client.request(method, path, headers=auth)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    body = answer.json()
    assert body["code"] == "method_not_allowed"
    assert method in body["error"]


async def test_allow_lists_exactly_the_documented_methods(client, auth, document):
    for path, item in document["paths"].items():
        concrete = path.replace("{task_id}", "t").replace("{process_id}", "p").replace("{delivery_id}", "d")
        concrete = concrete.replace("{key}", "k")
        answer = await client.request("TRACE", concrete, headers=auth)
        assert answer.status_code == 405, path
        assert answer.headers["allow"] == ", ".join(sorted(m.upper() for m in item)), path


async def test_a_literal_path_is_not_taken_as_an_id(client, auth):
    # PATCH /tasks/{task_id} must not take "templates" for a task id: the path is GET only.
    answer = await client.patch("/api/v1/tasks/templates", json={"title": "x"}, headers=auth)
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"


@pytest.mark.parametrize(
    "path", ["/api/v1/%0A", "/api/%0A", "/api/v1/tasks/x/%0A", "/api/v1/tasks%0A/x", "/api/nope"]
)
async def test_odd_paths_are_a_json_404(client, auth, path):
    answer = await client.get(path, headers=auth)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["code"] == "not_found"


async def test_a_newline_task_id_is_a_json_404_of_that_task(client, auth):
    answer = await client.get("/api/v1/tasks/%0A", headers=auth)
    assert answer.status_code == 404
    assert answer.json()["code"] == "task_not_found"


def test_no_route_documents_fastapis_422(document):
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for item in document["paths"].values():
        for operation in item.values():
            assert "422" not in operation["responses"]


def test_every_route_documents_the_errors_it_can_answer(document):
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            expected = set()
            if operation.get("parameters") or "requestBody" in operation:
                expected.add("400")
            if "{" in path:
                expected.add("404")
            if "requestBody" in operation:
                expected.add("413")
            if path != "/api/v1/health":
                expected.add("401")
            for status in expected:
                assert status in responses, f"{method} {path} {status}"
                assert responses[status]["content"]["application/json"]["schema"] == error


def test_token_routes_declare_the_bearer_scheme_and_their_scopes(document):
    assert document["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer htk_...`",
    }
    create = document["paths"]["/api/v1/tasks"]["post"]
    assert create["security"] == [{"token": ["tasks:create"]}]
    assert "403" in create["responses"]
    assert document["paths"]["/api/v1/tasks"]["get"]["security"] == [{"token": ["tasks:read"]}]


async def test_seed_task_still_creates(client, auth):
    answer = await client.post("/api/v1/tasks", json=seed_task(), headers=auth)
    assert answer.status_code == 201


async def test_corr_id_and_correlation_key_filters_both_hold(client, auth):
    # Two values for the one filter are ANDed like any two filters (the schema cannot forbid them).
    created = await client.post("/api/v1/tasks", json={**seed_task(), "corr_id": "a"}, headers=auth)
    task_id = created.json()["task_id"]
    same = await client.get("/api/v1/tasks?corr_id=a&correlation_key=a", headers=auth)
    assert [t["task_id"] for t in same.json()["tasks"]] == [task_id]
    differing = await client.get("/api/v1/tasks?corr_id=a&correlation_key=b", headers=auth)
    assert differing.status_code == 200
    assert differing.json() == {"tasks": [], "total": 0, "limit": 50, "offset": 0, "next_cursor": None}
