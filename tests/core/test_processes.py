"""Processes in the core: create, the update fold (every type), lists, templates, refusals."""

from __future__ import annotations

import threading
import uuid

import pytest
from pydantic import ValidationError

from hpi_app.core import accounts, processes, timeline
from hpi_app.core.errors import Conflict, InvalidInput, NotFound
from hpi_app.core.principal import Principal
from hpi_app.validation import error_details
from tests.utils.processes import process_body, store_counts


def _principal(user) -> Principal:
    return Principal(org_id=user.org_id, user_id=user.id, scopes=frozenset({"processes:write"}))


def _create(user, **overrides):
    body = processes.ProcessCreate.model_validate(process_body(**overrides))
    return processes.create_process(_principal(user), body)


def _steps(user, process_id):
    view = processes.get_process(user.org_id, process_id)
    return {s.key: s for s in view.steps}, view.process


def test_a_new_process_runs_with_every_step_pending_and_is_on_the_timeline(admin):
    process = _create(admin, template_id="deploy", metadata={"env": "prod"}, description="Ship it")
    view = processes.get_process(admin.org_id, process.id)
    assert view.process.status == "running" and view.process.current_step is None
    assert view.process.namespace == f"{admin.org_id}.ops.deploy"
    assert [(s.key, s.label, s.human, s.status) for s in view.steps] == [
        ("build", "Build the image", False, "pending"),
        ("approve", "Approve the release", True, "pending"),
        ("rollout", "Roll out", False, "pending"),
    ]
    assert (view.process.template_id, view.process.meta, view.task_ids) == ("deploy", {"env": "prod"}, [])
    assert [e.kind for e in timeline.entries(processes.subject(process.id))] == ["created"]


def test_a_chosen_process_id_is_kept_and_a_duplicate_is_409_naming_it(admin):
    chosen = str(uuid.uuid4())
    assert _create(admin, process_id=chosen).id == chosen
    before = store_counts()
    with pytest.raises(Conflict) as caught:
        _create(admin, process_id=chosen)
    assert caught.value.details == [{"field": "process_id", "message": "already exists"}]
    assert store_counts() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"namespace": "ops deploy"}, "namespace"),
        ({"namespace": "a/b"}, "namespace"),
        ({"namespace": ""}, "namespace"),
        ({"namespace": "n" * 101}, "namespace"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"steps": []}, "steps"),
        ({"steps": [{"key": "a", "label": "A"}, {"key": "a", "label": "Again"}]}, "steps[1].key"),
        ({"steps": [{"label": "no key"}]}, "steps[0].key"),
        ({"steps": [{"key": "a"}]}, "steps[0].label"),
        ({"process_id": "not-a-uuid"}, "process_id"),
        ({"metadata": {"n": 1}}, "metadata.n"),
    ],
)
def test_a_bad_create_body_names_the_field(overrides, field):
    with pytest.raises(ValidationError) as caught:
        processes.ProcessCreate.model_validate(process_body(**overrides))
    assert field in [d["field"] for d in error_details(caught.value)]


def test_the_fold_applies_every_update_type_as_the_spec_says(admin):
    process = _create(admin)
    org = admin.org_id

    processes.update_process(org, process.id, {"type": "step_started", "step": "build", "detail": "go"})
    steps, row = _steps(admin, process.id)
    assert (steps["build"].status, steps["build"].detail, row.current_step) == ("running", "go", "build")
    assert steps["build"].started_at is not None

    processes.update_process(
        org, process.id, {"type": "progress", "step": "build", "message": "layer 3", "percent": 40}
    )
    steps, _ = _steps(admin, process.id)
    assert (steps["build"].progress_message, steps["build"].progress_percent) == ("layer 3", 40)
    processes.update_process(org, process.id, {"type": "progress", "step": "build", "message": "pushing"})
    steps, _ = _steps(admin, process.id)
    assert (steps["build"].progress_message, steps["build"].progress_percent) == ("pushing", 40)

    done = processes.update_process(
        org, process.id, {"type": "step_completed", "step": "build", "data": {"image": "app:1.4"}}
    )
    assert (done.process_id, done.update_type) == (process.id, "step_completed")
    steps, row = _steps(admin, process.id)
    build = steps["build"]
    assert (build.status, build.data) == ("completed", {"image": "app:1.4"})
    assert build.duration_ms == int((build.completed_at - build.started_at).total_seconds() * 1000)

    processes.update_process(org, process.id, {"type": "step_started", "step": "rollout"})
    processes.update_process(org, process.id, {"type": "step_failed", "step": "rollout", "error": "timeout"})
    steps, row = _steps(admin, process.id)
    assert (steps["rollout"].status, steps["rollout"].error) == ("failed", "timeout")
    assert row.status == "running" and row.current_step == "rollout"  # a failed step leaves it running

    processes.update_process(org, process.id, {"type": "completed", "summary": "shipped"})
    _, row = _steps(admin, process.id)
    assert (row.status, row.summary) == ("completed", "shipped") and row.completed_at is not None
    kinds = [e.kind for e in timeline.entries(processes.subject(process.id))]
    assert kinds == ["created", *["updated"] * 6, "completed"]

    failing = _create(admin)
    processes.update_process(org, failing.id, {"type": "failed", "error": "cluster down"})
    _, row = _steps(admin, failing.id)
    assert (row.status, row.error) == ("failed", "cluster down")
    assert timeline.entries(processes.subject(failing.id))[-1].kind == "failed"


@pytest.mark.parametrize("final", [{"type": "completed"}, {"type": "failed", "error": "x"}])
def test_a_finished_process_refuses_every_update_with_409_and_writes_nothing(admin, final):
    process = _create(admin)
    processes.update_process(admin.org_id, process.id, final)
    before = store_counts()
    for update in (
        {"type": "step_started", "step": "build"},
        {"type": "completed"},
        {"type": "failed", "error": "e"},
    ):
        with pytest.raises(Conflict) as caught:
            processes.update_process(admin.org_id, process.id, update)
        assert caught.value.extra["status"] == final["type"]
    assert store_counts() == before
    steps, _ = _steps(admin, process.id)
    assert steps["build"].status == "pending"


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"type": "teleport", "step": "build"}, "type"),
        ({"step": "build"}, "type"),
        ({"type": "step_started", "step": "deploy"}, "step"),
        ({"type": "step_started"}, "step"),
        ({"type": "progress", "step": "build", "message": "m", "percent": 101}, "percent"),
        ({"type": "progress", "step": "build", "message": "m", "percent": -1}, "percent"),
        ({"type": "progress", "step": "build"}, "message"),
        ({"type": "step_failed", "step": "build"}, "error"),
        ({"type": "failed"}, "error"),
        ({"type": "step_completed", "step": "build", "data": "not an object"}, "data"),
    ],
)
def test_a_bad_update_is_400_naming_the_field_and_writes_nothing(admin, update, field):
    process = _create(admin)
    before = store_counts()
    with pytest.raises(InvalidInput) as caught:
        processes.update_process(admin.org_id, process.id, update)
    assert field in [d["field"] for d in caught.value.details]
    assert store_counts() == before
    steps, row = _steps(admin, process.id)
    assert {s.status for s in steps.values()} == {"pending"} and row.current_step is None


def test_another_organisations_process_is_not_found(admin):
    process = _create(admin)
    other = accounts.create_user("eve@other.test", "correct horse battery", org_name="Other")
    with pytest.raises(NotFound):
        processes.get_process(other.org_id, process.id)
    with pytest.raises(NotFound):
        processes.update_process(other.org_id, process.id, {"type": "completed"})
    with pytest.raises(NotFound):
        processes.update_process(admin.org_id, "not-a-uuid", {"type": "completed"})
    assert processes.list_processes(other.org_id, processes.ProcessFilter())[1] == 0
    assert _steps(admin, process.id)[1].status == "running"


def test_concurrent_updates_of_one_process_are_all_kept(admin):
    keys = [f"shard-{n}" for n in range(8)]
    process = _create(admin, steps=[{"key": k, "label": k} for k in keys])
    barrier = threading.Barrier(len(keys))
    errors: list[BaseException] = []

    def finish(key: str) -> None:
        barrier.wait()
        try:
            processes.update_process(admin.org_id, process.id, {"type": "step_started", "step": key})
            processes.update_process(
                admin.org_id, process.id, {"type": "step_completed", "step": key, "data": {"k": key}}
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=finish, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    steps, row = _steps(admin, process.id)
    assert {k: (s.status, s.data) for k, s in steps.items()} == {k: ("completed", {"k": k}) for k in keys}
    assert row.current_step in keys
    assert len(timeline.entries(processes.subject(process.id))) == 1 + 2 * len(keys)


def test_lists_filter_by_status_namespace_search_template_and_metadata(admin):
    a = _create(
        admin, name="Nightly backup", namespace="ops.backup", template_id="backup", metadata={"env": "prod"}
    )
    b = _create(
        admin,
        name="Deploy web",
        namespace="ops.deploy",
        template_id="deploy",
        metadata={"env": "prod", "team": "web"},
    )
    c = _create(admin, name="Deploy api", namespace="dev", template_id="deploy", metadata={"env": "dev"})
    processes.update_process(admin.org_id, c.id, {"type": "failed", "error": "x"})

    def ids(**kw) -> list[str]:
        rows, total = processes.list_processes(admin.org_id, processes.ProcessFilter(**kw))
        assert total == len(rows)
        return [r.process.id for r in rows]

    assert ids() == [c.id, b.id, a.id]
    assert ids(sort="oldest") == [a.id, b.id, c.id]
    assert ids(statuses=("running",)) == [b.id, a.id]
    assert ids(statuses=processes.parse_statuses("finished")) == [c.id]
    assert ids(namespace="ops") == [b.id, a.id]  # and those under it
    assert ids(namespace=f"{admin.org_id}.ops.deploy") == [b.id]  # prefixed
    assert ids(namespace="op") == []
    assert ids(search="DEPLOY") == [c.id, b.id]
    assert ids(template_id="deploy") == [c.id, b.id]
    assert ids(meta={"env": "prod"}) == [b.id, a.id]
    assert ids(meta={"env": "prod", "team": "web"}) == [b.id]
    page, total = processes.list_processes(admin.org_id, processes.ProcessFilter(limit=1, offset=1))
    assert ([r.process.id for r in page], total) == ([b.id], 3)
    rows, _ = processes.list_processes(admin.org_id, processes.ProcessFilter(search="web"))
    assert (rows[0].step_count, rows[0].steps_done, rows[0].task_ids) == (3, 0, [])


def test_templates_count_each_template_id_and_know_when_it_was_last_used(admin):
    first = _create(admin, template_id="deploy")
    _create(admin, template_id="backup")
    last = _create(admin, template_id="deploy")
    _create(admin)
    found = {t.template_id: t for t in processes.templates(admin.org_id)}
    assert {k: t.count for k, t in found.items()} == {"deploy": 2, "backup": 1}
    assert found["deploy"].last_used_at == last.started_at > first.started_at


def test_status_and_meta_filters_refuse_what_they_cannot_read():
    with pytest.raises(InvalidInput) as status:
        processes.parse_statuses("running,paused")
    assert status.value.details[0]["field"] == "status"
    with pytest.raises(InvalidInput) as meta:
        processes.parse_meta([("meta.", "x")])
    assert meta.value.details[0]["field"] == "meta."
    assert processes.parse_meta([("meta.env", "prod"), ("limit", "5")]) == {"env": "prod"}


def test_a_step_started_again_begins_afresh(admin):
    process = _create(admin)
    key = next(iter(_steps(admin, process.id)[0]))
    processes.update_process(admin.org_id, process.id, {"type": "step_started", "step": key})
    processes.update_process(admin.org_id, process.id, {"type": "step_failed", "step": key, "error": "boom"})
    processes.update_process(admin.org_id, process.id, {"type": "step_started", "step": key})
    step = _steps(admin, process.id)[0][key]
    assert (step.status, step.error, step.completed_at, step.duration_ms) == ("running", None, None, None)


def test_status_and_meta_filters_refuse_a_key_no_json_path_can_name():
    for key in ('a"b', "a\\b", "k" * 101):
        with pytest.raises(InvalidInput) as meta:
            processes.parse_meta([(f"meta.{key}", "x")])
        assert meta.value.details[0]["field"] == f"meta.{key}"
