"""Chart blocks (area, bar, line, pie) drawn with Reflex's Recharts components."""

from __future__ import annotations

from typing import Any

import reflex as rx

_TICK = {"fontSize": 12, "fill": "var(--gray-11)"}
_TOOLTIP = {
    "content_style": {
        "backgroundColor": "var(--color-panel-solid)",
        "border": "1px solid var(--gray-6)",
        "borderRadius": "var(--radius-3)",
        "fontSize": "13px",
    },
    "label_style": {"color": "var(--gray-12)", "fontWeight": 600},
    "item_style": {"padding": 0},
}


def _axes(block: Any) -> list[rx.Component]:
    return [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke="var(--gray-6)", vertical=False),
        rx.recharts.x_axis(
            data_key=block.x,
            tick=_TICK,
            stroke="var(--gray-8)",
            label={
                "value": block.x_label,
                "position": "insideBottom",
                "offset": -4,
                "fill": "var(--gray-11)",
            },
        ),
        rx.recharts.y_axis(
            tick=_TICK,
            stroke="var(--gray-8)",
            width=48,
            label={"value": block.y_label, "angle": -90, "position": "insideLeft", "fill": "var(--gray-11)"},
        ),
        rx.recharts.graphing_tooltip(**_TOOLTIP),
        rx.recharts.legend(icon_size=10, wrapper_style={"fontSize": "13px", "paddingTop": "6px"}),
    ]


_MARGIN = {"top": 8, "right": 12, "left": 0, "bottom": 12}


def _series_chart(chart: Any, block: Any, mark: Any) -> rx.Component:
    """A chart on the axes of ``block``: ``mark(series)`` draws each of its series."""
    return chart(*_axes(block), rx.foreach(block.series, mark), data=block.data, margin=_MARGIN)


def _bar_chart(block: Any) -> rx.Component:
    return _series_chart(
        rx.recharts.bar_chart,
        block,
        lambda s: rx.recharts.bar(
            data_key=s.key, name=s.label, fill=s.color, radius=[4, 4, 0, 0], is_animation_active=False
        ),
    )


def _line_chart(block: Any) -> rx.Component:
    return _series_chart(
        rx.recharts.line_chart,
        block,
        lambda s: rx.recharts.line(
            data_key=s.key,
            name=s.label,
            stroke=s.color,
            stroke_width=2,
            type_="monotone",
            dot=True,
            is_animation_active=False,
        ),
    )


def _area_chart(block: Any) -> rx.Component:
    return _series_chart(
        rx.recharts.area_chart,
        block,
        lambda s: rx.recharts.area(
            data_key=s.key,
            name=s.label,
            stroke=s.color,
            fill=s.color,
            fill_opacity=0.25,
            type_="monotone",
            is_animation_active=False,
        ),
    )


def _pie_chart(block: Any) -> rx.Component:
    return rx.recharts.pie_chart(
        rx.recharts.pie(
            rx.foreach(block.slice_colors, lambda color: rx.recharts.cell(fill=color)),
            data=block.data,
            data_key=block.series[0].key,
            name_key=block.x,
            outer_radius="75%",
            label=True,
            stroke="var(--color-panel-solid)",
            is_animation_active=False,
        ),
        rx.recharts.graphing_tooltip(**_TOOLTIP),
        rx.recharts.legend(icon_size=10, wrapper_style={"fontSize": "13px"}),
    )


def chart_block(block: Any) -> rx.Component:
    """A chart block: the chart at its height, and its caption."""
    return rx.el.figure(
        rx.box(
            rx.match(
                block.chart_type,
                ("bar", _bar_chart(block)),
                ("line", _line_chart(block)),
                ("area", _area_chart(block)),
                ("pie", _pie_chart(block)),
                rx.fragment(),
            ),
            height=block.height,
            width="100%",
            role="img",
            aria_label=rx.cond(block.caption != "", block.caption, "Chart"),
            class_name="hpi-chart",
            custom_attrs={"data-chart-type": block.chart_type},
        ),
        rx.cond(
            block.caption != "",
            rx.el.figcaption(rx.text(block.caption, size="2", color_scheme="gray"), margin_top="0.5em"),
        ),
        margin="0",
        width="100%",
    )
