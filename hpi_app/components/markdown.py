"""Showing Markdown that ``core.markdown.render_markdown`` has already rendered and sanitised."""

from __future__ import annotations

from typing import Any

import reflex as rx

# Typography for sanitised Markdown HTML (Radix Themes leaves raw elements unstyled).
MARKDOWN_STYLE = {
    "lineHeight": "1.6",
    "overflowWrap": "anywhere",
    "& > :first-child": {"marginTop": "0"},
    "& > :last-child": {"marginBottom": "0"},
    "& p, & ul, & ol, & blockquote, & pre, & table": {"margin": "0 0 0.75em 0"},
    "& h1, & h2, & h3, & h4, & h5, & h6": {
        "margin": "1em 0 0.5em 0",
        "lineHeight": "1.3",
        "fontWeight": "600",
    },
    "& h1": {"fontSize": "1.5em"},
    "& h2": {"fontSize": "1.3em"},
    "& h3": {"fontSize": "1.15em"},
    "& ul, & ol": {"paddingLeft": "1.5em"},
    "& ul": {"listStyle": "disc"},
    "& ol": {"listStyle": "decimal"},
    "& li": {"margin": "0.2em 0"},
    "& a": {"color": "var(--accent-11)", "textDecoration": "underline", "textUnderlineOffset": "2px"},
    "& code": {
        "fontFamily": "var(--code-font-family)",
        "fontSize": "0.9em",
        "background": "var(--gray-a3)",
        "padding": "0.1em 0.3em",
        "borderRadius": "var(--radius-1)",
    },
    "& pre": {
        "background": "var(--gray-a3)",
        "padding": "0.75em 1em",
        "borderRadius": "var(--radius-2)",
        "overflowX": "auto",
    },
    "& pre code": {"background": "none", "padding": "0"},
    "& blockquote": {
        "borderLeft": "3px solid var(--gray-6)",
        "paddingLeft": "1em",
        "color": "var(--gray-11)",
    },
    "& img": {"maxWidth": "100%", "height": "auto", "borderRadius": "var(--radius-2)"},
    "& table": {"borderCollapse": "collapse", "display": "block", "overflowX": "auto", "maxWidth": "100%"},
    "& th, & td": {"border": "1px solid var(--gray-6)", "padding": "0.4em 0.7em"},
    "& th": {"background": "var(--gray-a2)", "fontWeight": "600"},
    "& hr": {"border": "none", "borderTop": "1px solid var(--gray-6)", "margin": "1em 0"},
}


def markdown_html(html: rx.Var[str], **props: Any) -> rx.Component:
    """Shows Markdown already rendered to sanitised HTML by ``render_markdown``."""
    return rx.html(html, class_name="hpi-markdown", style=MARKDOWN_STYLE, width="100%", **props)
