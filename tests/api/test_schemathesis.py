"""Schemathesis against the API (ASGI, real migrated store, a valid token): every check, zero failures.

Each operation is fuzzed on its own (positive and negative data, undeclared methods, missing
auth), then the stateful run follows the links schemathesis infers from the document (create a
task, then get, wait for, cancel or complete it by its id). Runs are derandomized with a fixed
seed, so CI sees the same requests every time.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from hpi_app.api.app import create_api

load_all_checks()
# Every built-in check but the response-time one (a timing threshold, which tests here never use).
ALL_CHECKS = [check for check in CHECKS.get_all() if check.__name__ != "max_response_time"]
# Event streams never end: a request to one would hold the test forever (tests/api/test_events.py).
STREAMS = r"/events$"
# What no declared schema can state: the parts of a body that must differ from (or fit) one
# another, and ids that must name something in the store. A schema-valid body breaking one is
# refused with 400 naming the place (tests/spec and tests/api cover each), so positive cases are
# made to keep them first (_fit); negative cases go as generated.
LONGEST_WAIT = 0.05
SCOPES = "tasks:create,tasks:read,processes:read,processes:write"

schema = schemathesis.openapi.from_asgi(
    "/api/v1/openapi.json",
    create_api(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": 11,
            # The token comes from the test's store (below); schemathesis drops it itself to check
            # that every route refuses a request without it (ignored_auth).
            # NUL is refused in all text, as the document's description says (no per-string
            # pattern states it); tests/api/test_declared_constraints.py checks that refusal.
            "generation": {"deterministic": True, "with-security-parameters": False, "allow-x00": False},
        }
    ),
).exclude(path_regex=STREAMS)


def _unique(items: list, key: str) -> None:
    """Make ``item[key]`` differ across ``items`` (dicts), keeping each value schema-valid."""
    seen: set = set()
    for n, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get(key), str):
            while item[key] in seen:
                item[key] = f"{item[key][: max(len(item[key]) - len(str(n)) - 1, 1)]}-{n}"
            seen.add(item[key])


def _fit_field(field: dict) -> None:
    field.pop("default", None)  # a default must be a valid answer to its field: a rule of its own
    field.pop("pattern", None)  # RE2's syntax, which no JSON schema states (tests/api/test_patterns.py)
    for low, high in (("min", "max"), ("min_length", "max_length")):
        a, b = field.get(low), field.get(high)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > b:
            field[low], field[high] = b, a
    if isinstance(field.get("options"), list):
        values = [o if isinstance(o, str) else o.get("value") for o in field["options"]]
        field["options"] = [o for n, o in enumerate(field["options"]) if values[n] not in values[:n]]


def _fit_block(block: dict) -> None:
    if block.get("type") == "table" and isinstance(block.get("headers"), list):
        width = len(block["headers"])
        block["rows"] = [(row + [None] * width)[:width] for row in block.get("rows") or []]
        block["alignments"] = (block.get("alignments") or [])[:width]
    if block.get("type") == "input" and isinstance(block.get("field"), dict):
        _fit_field(block["field"])


def _fit_policy(body: dict) -> None:
    """Escalation steps run in the order of their ``after`` and name people (a member id must be one of
    the organisation's: ``me``); ``on_expire``'s ``complete`` answers must fit the spec (expire instead)."""
    if isinstance(body.get("escalation"), list):
        kept: list[dict] = []
        for step in body["escalation"]:
            if not kept or step["after"] > kept[-1]["after"]:
                kept.append(step)
            step["notify"] = [p if "@" in p else "someone@example.com" for p in step.get("notify", [])]
            if isinstance(step.get("reassign_to"), str) and "@" not in step["reassign_to"]:
                step["reassign_to"] = "me"
        body["escalation"] = kept
    policy = body.get("on_expire")
    if isinstance(policy, dict) and policy.get("action") == "complete":
        policy["action"] = "expire"
        policy.pop("data", None)


def _fit(body: dict) -> None:
    """Make a generated body keep the rules across its parts (unique ids, rows as wide as headers...)."""
    steps = body.get("steps") if isinstance(body.get("steps"), list) else []
    _unique(steps, "id")
    _unique(steps, "key")
    blocks = [block for step in steps for block in step.get("blocks") or []]
    _unique([block["field"] for block in blocks if isinstance(block.get("field"), dict)], "name")
    for block in blocks:
        _fit_block(block)
    if body.get("corr_id") is not None and body.get("correlation_key") is not None:
        body["correlation_key"] = body["corr_id"]
    # References to what the store holds: a member, a process and its step.
    if body.get("assignee_member_id"):
        body["assignee_member_id"] = "me"
    _fit_policy(body)
    if "title" in body:
        body.pop("process_id", None)
        body.pop("process_step", None)


@schemathesis.hook
def before_call(_context, case, _kwargs) -> None:
    """Positive bodies keep the rules across their parts; a valid wait ``timeout`` is cut short."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and isinstance(case.body, dict):
        _fit(case.body)
    if positive and isinstance(case.query, dict):
        # A cursor is opaque: only a next_cursor a list answered with names a page (its own test).
        case.query.pop("cursor", None)
    timeout = (case.query or {}).get("timeout")
    if case.path.endswith("/wait") and isinstance(timeout, (int, float)) and timeout >= 0:
        case.query["timeout"] = min(timeout, LONGEST_WAIT)


@pytest.fixture
def token_headers(make_token) -> dict[str, str]:
    """The Authorization header of a token with every scope."""
    return {"Authorization": f"Bearer {make_token(SCOPES)}"}


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    # One store per operation, shared by its examples on purpose (they build on each other).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation(case, token_headers):
    case.call_and_validate(headers=token_headers, checks=ALL_CHECKS)


def test_stateful_links(token_headers):
    machine = schema.as_state_machine()
    # The links from a created task to what takes its id (inferred from the document).
    links = {name.split("__", 1)[1] for name in dir(machine) if name.startswith("POST_api_v1_tasks___201")}
    for target in ("GET_api_v1_tasks_task_id_", "GET_api_v1_tasks_task_id_wait"):
        assert any(link.endswith(target) for link in links), target
    for target in ("POST_api_v1_tasks_task_id_cancel", "POST_api_v1_tasks_task_id_complete"):
        assert any(link.endswith(target) for link in links), target

    class Machine(machine):
        def get_call_kwargs(self, case):
            return {"headers": token_headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=ALL_CHECKS, headers=token_headers)

    Machine.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
