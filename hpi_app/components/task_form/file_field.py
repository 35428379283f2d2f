"""The file field: a drop zone that uploads at once (``rx.upload``), and the files uploaded so far.

Uploads go to ``TaskFormState.upload_files(files, name)``, which stores them through
``core.files`` for the task's organisation; the field's value is the list of their URLs.
"""

from __future__ import annotations

import reflex as rx

from hpi_app.components.task_form.state import TaskFormState
from hpi_app.components.task_form.views import FieldView


def _uploaded_file(field: rx.Var[FieldView], url: rx.Var[str]) -> rx.Component:
    name = url.split("/")[-1].to(str)
    return rx.hstack(
        rx.icon("file-check", size=16, color=rx.color("grass", 10)),
        rx.text(name, size="2", flex="1", min_width="0", trim="end", title=name),
        rx.icon_button(
            rx.icon("x", size=14),
            type="button",
            variant="ghost",
            color_scheme="gray",
            size="1",
            aria_label="Remove " + name,
            on_click=TaskFormState.remove_file(field.name, url),
            disabled=TaskFormState.busy,
        ),
        align="center",
        spacing="2",
        width="100%",
        padding_x="0.75em",
        padding_y="0.4em",
        border_radius="var(--radius-2)",
        background_color=rx.color("gray", 3),
    )


def file_control(field: rx.Var[FieldView], described_by: rx.Var[str]) -> rx.Component:
    """A file field: the drop zone, then the files uploaded so far (each removable)."""
    uploaded = TaskFormState.lists.get(field.name, []).to(list[str])
    return rx.vstack(
        file_dropzone(field=field, described_by=described_by),
        rx.foreach(uploaded, lambda url: _uploaded_file(field, url)),
        spacing="2",
        width="100%",
    )


def _file_dropzone(field: rx.Var[FieldView], described_by: rx.Var[str]) -> rx.Component:
    """The file drop zone of one field, as a memo component (see ``file_control``).

    ``rx.upload`` puts its hooks in the component that contains it; inside ``rx.foreach``
    they would read the loop variable outside the loop, so each zone is its own component
    taking the field as a prop.
    """
    uploading = TaskFormState.uploading_field == field.name
    zone = rx.upload.root(
        rx.vstack(
            rx.cond(
                uploading,
                rx.spinner(size="3"),
                rx.icon("cloud-upload", size=28, color=rx.color("accent", 10)),
            ),
            rx.text(
                rx.cond(uploading, "Uploading…", "Choose files or drop them here"),
                size="2",
                weight="medium",
            ),
            rx.cond(field.file_hint != "", rx.text(field.file_hint, size="1", color_scheme="gray")),
            align="center",
            spacing="1",
        ),
        id=field.input_id + "-zone",
        accept=field.accept_types,
        max_files=field.max_files,
        max_size=rx.cond(field.max_file_size > 0, field.max_file_size, 2**53),
        multiple=field.max_files != 1,
        on_drop=TaskFormState.upload_files(rx.upload_files(upload_id=field.input_id + "-zone"), field.name),
        on_drop_rejected=TaskFormState.files_rejected(field.name),
        disabled=TaskFormState.busy | uploading,
        border=f"1px dashed {rx.color('accent', 8)}",
        border_radius="var(--radius-3)",
        background_color=rx.color("accent", 2),
        padding="1.5em 1em",
        width="100%",
        cursor="pointer",
    )
    return _label_file_input(zone, field, described_by)


_file_dropzone.__name__ = _file_dropzone.__qualname__ = "TaskFormFileDropzone"
file_dropzone = rx.memo(_file_dropzone)


def _label_file_input(
    zone: rx.Component, field: rx.Var[FieldView], described_by: rx.Var[str]
) -> rx.Component:
    """Gives the dropzone's hidden ``<input type=file>`` the field's id, so its label names it."""
    for child in _walk(zone):
        if getattr(child, "tag", None) == "input":
            child.id = field.input_id
            child.custom_attrs = {
                **child.custom_attrs,
                "aria-describedby": described_by,
            }
            break
    return zone


def _walk(component: rx.Component):
    yield component
    for child in getattr(component, "children", []):
        yield from _walk(child)
