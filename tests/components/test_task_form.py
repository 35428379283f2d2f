"""The task form's view of a spec and the typed answers it collects (no server needed)."""

from __future__ import annotations

import pytest

from hpi_app.components.task_form import values as form_values
from hpi_app.components.task_form import views as task_form
from hpi_app.components.task_form.values import FormValues
from hpi_app.spec import SubmissionError, load_steps, validate_submission


def _steps(*fields: dict, blocks: tuple = ()) -> list:
    return load_steps(
        [{"id": "s", "title": "S", "blocks": [*blocks, *({"type": "input", "field": f} for f in fields)]}]
    )


def test_answers_get_the_json_types_the_spec_asks_for():
    steps = _steps(
        {"name": "n", "label": "N", "kind": "number"},
        {"name": "f", "label": "F", "kind": "number", "step": 0.5},
        {"name": "r", "label": "R", "kind": "range", "min": 0, "max": 10},
        {"name": "c", "label": "C", "kind": "checkbox", "required": False},
        {"name": "s", "label": "S", "kind": "rating"},
        {"name": "m", "label": "M", "kind": "multiselect", "options": ["a", "b"]},
        {"name": "sig", "label": "Sig", "kind": "signature"},
        {"name": "t", "label": "T", "kind": "text", "required": False},
    )
    values = FormValues(
        texts={"n": "12", "f": "2.5", "r": "7", "sig": "data:image/png;base64,AAAA", "t": ""},
        flags={"c": False},
        lists={"m": ["b"]},
        ratings={"s": 4},
    )
    data = form_values.collect_data(steps, values, {"sig": "2026-01-01T00:00:00Z"})
    assert data == {
        "n": 12,
        "f": 2.5,
        "r": 7,
        "c": False,
        "s": 4,
        "m": ["b"],
        "sig": {"mode": "draw", "data": "data:image/png;base64,AAAA", "timestamp": "2026-01-01T00:00:00Z"},
    }
    assert type(data["n"]) is int


def test_unparsable_numbers_reach_the_validator_as_text():
    steps = _steps({"name": "n", "label": "N", "kind": "number"})
    data = form_values.collect_data(steps, FormValues(texts={"n": "twelve"}), {})
    assert data == {"n": "twelve"}
    with pytest.raises(SubmissionError, match="Must be a number"):
        validate_submission(steps, data)


def test_defaults_prefill_the_form_and_a_range_starts_at_its_minimum():
    steps = _steps(
        {"name": "t", "label": "T", "kind": "text", "default": "hi"},
        {"name": "n", "label": "N", "kind": "number", "default": 3.0},
        {"name": "r", "label": "R", "kind": "range", "min": 5, "max": 10},
        {"name": "c", "label": "C", "kind": "checkbox", "default": True},
        {"name": "m", "label": "M", "kind": "multiselect", "options": ["a"], "default": ["a"]},
    )
    values = form_values.initial_values(steps)
    assert values.texts == {"t": "hi", "n": "3", "r": "5"}
    assert values.flags == {"c": True}
    assert values.lists == {"m": ["a"]}


def test_file_urls_of_ours_carry_the_link_and_others_do_not():
    link = "abc"
    assert task_form.file_link("/api/v1/files/k/x.pdf", link) == "/api/v1/files/k/x.pdf?link=abc"
    assert (
        task_form.file_link("http://hpi.test/api/v1/files/k/x.pdf", link, {"hpi.test"})
        == "http://hpi.test/api/v1/files/k/x.pdf?link=abc"
    )
    assert (
        task_form.file_link("https://evil.test/api/v1/files/k", link, {"hpi.test"})
        == "https://evil.test/api/v1/files/k"
    )
    assert task_form.file_link("https://cdn.test/logo.png", link, {"hpi.test"}) == "https://cdn.test/logo.png"


def test_accept_strings():
    assert task_form.accept_types(".pdf, image/*") == {"application/pdf": [".pdf"], "image/*": []}
    assert task_form.file_accepted(".txt,image/*", "a.TXT", "text/plain")
    assert task_form.file_accepted("image/*", "a.bin", "image/png")
    assert not task_form.file_accepted(".pdf", "a.exe", "application/x-msdownload")
    assert task_form.file_accepted(None, "anything", None)


def test_blocks_are_rendered_and_sanitised():
    steps = _steps(
        {"name": "x", "label": "X", "kind": "select", "options": [{"value": "a", "label": "Alpha"}, "b"]},
        blocks=(
            {"type": "mdsvex", "content": "<script>alert(1)</script>**hi** [x](javascript:alert(1))"},
            {"type": "chart", "chart_type": "pie", "data": [{"k": "a", "v": 1}], "series": [{"key": "v"}]},
            {"type": "table", "headers": ["a", "b"], "rows": [[1.0, None]], "alignments": ["right"]},
        ),
    )
    views = task_form.step_views(steps, lambda url: url)
    mdsvex, chart, table, field = views[0].blocks
    assert (
        "<script" not in mdsvex.html
        and "javascript:" not in mdsvex.html
        and "<strong>hi</strong>" in mdsvex.html
    )
    assert chart.x == "k" and chart.series[0].label == "v" and chart.series[0].color.startswith("#")
    assert [(c.text, c.align) for c in table.rows[0]] == [("1", "right"), ("", "left")]
    assert [(o.value, o.label) for o in field.field.options] == [("a", "Alpha"), ("b", "b")]
