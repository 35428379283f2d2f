"""Blocks of the task form, one renderer per block type (SPEC §4 blocks).

Every renderer reads a ``BlockView`` var (see ``task_form.views``). Markdown arrives already
rendered and sanitised by ``core.markdown.render_markdown``; it is only ever shown with
``components.markdown.markdown_html``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from hpi_app.components.charts import chart_block
from hpi_app.components.markdown import markdown_html
from hpi_app.components.task_form.fields import form_field
from hpi_app.components.task_form.views import BlockView


def _mdsvex(block: rx.Var[BlockView]) -> rx.Component:
    return markdown_html(block.html, custom_attrs={"data-block": "mdsvex"})


def _callout(block: rx.Var[BlockView]) -> rx.Component:
    body = rx.vstack(
        rx.cond(block.title != "", rx.text(block.title, weight="bold", size="2")),
        markdown_html(block.html, font_size="var(--font-size-2)"),
        spacing="1",
        width="100%",
    )

    def variant(icon: str, color: str) -> rx.Component:
        return rx.callout.root(
            rx.callout.icon(rx.icon(icon, size=18)),
            body,
            color_scheme=color,
            variant="surface",
            size="2",
            width="100%",
            role=rx.cond(block.severity == "error", "alert", "note"),
            custom_attrs={"data-block": "callout", "data-severity": block.severity},
        )

    return rx.match(
        block.severity,
        ("warning", variant("triangle-alert", "amber")),
        ("error", variant("octagon-alert", "red")),
        ("success", variant("circle-check", "grass")),
        variant("info", "blue"),
    )


def _cell(cell: Any, header: bool = False) -> rx.Component:
    make = rx.table.column_header_cell if header else rx.table.cell
    return make(cell.text, text_align=cell.align, white_space="normal")


def _table(block: rx.Var[BlockView]) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.cond(block.caption != "", rx.el.caption(block.caption, style=_CAPTION_STYLE)),
            rx.table.header(rx.table.row(rx.foreach(block.headers, lambda h: _cell(h, header=True)))),
            rx.table.body(
                rx.foreach(block.rows, lambda row: rx.table.row(rx.foreach(row, lambda cell: _cell(cell)))),
            ),
            variant="surface",
            size="2",
            width="100%",
        ),
        width="100%",
        overflow_x="auto",
        custom_attrs={"data-block": "table"},
    )


_CAPTION_STYLE = {
    "captionSide": "bottom",
    "textAlign": "left",
    "padding": "0.6em 0.75em",
    "fontSize": "var(--font-size-2)",
    "color": "var(--gray-11)",
}


def _image(block: rx.Var[BlockView]) -> rx.Component:
    return rx.el.figure(
        rx.image(
            src=block.url,
            alt=block.alt,
            max_width="100%",
            height="auto",
            border_radius="var(--radius-3)",
            loading="lazy",
        ),
        rx.cond(
            block.caption != "",
            rx.el.figcaption(rx.text(block.caption, size="2", color_scheme="gray"), margin_top="0.4em"),
        ),
        margin="0",
        custom_attrs={"data-block": "image"},
    )


def _pdf(block: rx.Var[BlockView]) -> rx.Component:
    return rx.vstack(
        rx.el.iframe(
            src=block.url,
            title=block.filename,
            width="100%",
            height=block.height,
            max_height="75vh",
            border=f"1px solid {rx.color('gray', 6)}",
            border_radius="var(--radius-3)",
            background_color=rx.color("gray", 3),
        ),
        rx.hstack(
            rx.cond(block.caption != "", rx.text(block.caption, size="2", color_scheme="gray")),
            rx.link(
                rx.hstack(
                    rx.icon("external-link", size=14), rx.text(block.filename), spacing="1", align="center"
                ),
                href=block.url,
                is_external=True,
                size="2",
            ),
            justify="between",
            width="100%",
            wrap="wrap",
            spacing="2",
        ),
        spacing="2",
        width="100%",
        custom_attrs={"data-block": "pdf"},
    )


def _download_item(item: Any) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.center(
                rx.icon("file-down", size=20),
                width="2.5em",
                height="2.5em",
                border_radius="var(--radius-2)",
                background_color=rx.color("accent", 3),
                color=rx.color("accent", 11),
                flex_shrink="0",
            ),
            rx.vstack(
                rx.text(item.filename, weight="medium", size="2", color=rx.color("gray", 12)),
                rx.cond(item.description != "", rx.text(item.description, size="1", color_scheme="gray")),
                rx.cond(item.details != "", rx.text(item.details, size="1", color_scheme="gray")),
                spacing="0",
                min_width="0",
                flex="1",
            ),
            rx.icon("download", size=16, color=rx.color("gray", 10), flex_shrink="0"),
            align="center",
            spacing="3",
            width="100%",
        ),
        href=item.url,
        underline="none",
        custom_attrs={"download": item.filename},
        padding="0.6em 0.75em",
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="var(--radius-3)",
        width="100%",
        _hover={"background_color": rx.color("gray", 2)},
    )


def _downloads(block: rx.Var[BlockView]) -> rx.Component:
    return rx.vstack(
        rx.foreach(block.downloads, _download_item),
        spacing="2",
        width="100%",
        custom_attrs={"data-block": "download"},
    )


def _divider(_block: rx.Var[BlockView]) -> rx.Component:
    return rx.separator(size="4", margin_y="0.25em", custom_attrs={"data-block": "divider"})


def form_block(block: rx.Var[BlockView]) -> rx.Component:
    """One block of a step: content, or an input of the task form (see ``task_form.fields``)."""
    return rx.match(
        block.type,
        ("input", form_field(block.field)),
        ("mdsvex", _mdsvex(block)),
        ("callout", _callout(block)),
        ("table", _table(block)),
        ("image", _image(block)),
        ("pdf", _pdf(block)),
        ("download", _downloads(block)),
        ("divider", _divider(block)),
        ("chart", chart_block(block)),
        rx.fragment(),
    )
