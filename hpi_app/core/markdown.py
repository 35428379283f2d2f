"""Markdown to safe HTML for ``mdsvex`` blocks, callouts, descriptions and instructions.

Rendering uses the ``markdown`` package (tables, fenced code, sane lists and ``~~strike~~``);
the result is then sanitised with ``nh3`` against an allow-list, so no script, event handler,
style attribute or ``javascript:`` URL survives, whatever the task's author wrote.
"""

import functools

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import SimpleTagInlineProcessor

__all__ = ["render_markdown"]

_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
_ALIGNED = {"left", "center", "right"}
_TAG_ATTRIBUTE_VALUES = {"th": {"align": _ALIGNED}, "td": {"align": _ALIGNED}}


class _StrikethroughExtension(Extension):
    """Renders ``~~text~~`` as ``<del>text</del>`` (no bundled extension does)."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        """Registers the ``~~`` inline pattern after code spans and escapes, before emphasis."""
        md.inlinePatterns.register(SimpleTagInlineProcessor(r"(~~)(.+?)~~", "del"), "strikethrough", 65)


def _new_renderer() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", _StrikethroughExtension()],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


@functools.lru_cache(maxsize=2048)
def render_markdown(text: str) -> str:
    """Renders Markdown to sanitised HTML, safe to insert into a page.

    Links open in a new tab with ``rel="noopener noreferrer nofollow"``; only http, https,
    mailto and relative URLs are kept.

    Args:
        text: Markdown written by a task's author.

    Returns:
        The HTML fragment; ``""`` for empty input.
    """
    if not text or not text.strip():
        return ""
    html = _new_renderer().convert(text)
    return nh3.clean(
        html.strip(),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        tag_attribute_values=_TAG_ATTRIBUTE_VALUES,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
