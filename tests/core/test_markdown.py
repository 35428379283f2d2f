"""Tests of Markdown rendering and sanitising."""

import pytest

from hpi_app.core.markdown import render_markdown


def test_headings_emphasis_and_strike():
    html = render_markdown("# Title\n\n## Sub\n\n**bold** *italic* ~~gone~~")
    assert "<h1>Title</h1>" in html
    assert "<h2>Sub</h2>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>italic</em>" in html
    assert "<del>gone</del>" in html


def test_strike_is_not_applied_inside_code():
    assert "<code>~~kept~~</code>" in render_markdown("`~~kept~~`")


def test_tables_keep_their_alignment():
    html = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    assert "<table>" in html
    assert '<th align="left">a</th>' in html
    assert '<td align="center">2</td>' in html
    assert '<td align="right">3</td>' in html
    assert "style" not in html


def test_fenced_code_is_escaped():
    html = render_markdown("```python\nif a < b:\n    print('<b>')\n```")
    assert html.startswith("<pre><code")
    assert "if a &lt; b:" in html
    assert "<b>" not in html


def test_lists_quotes_and_rules():
    html = render_markdown("1. one\n2. two\n\n- x\n- y\n\n> quoted\n\n---")
    assert "<ol>" in html
    assert "<ul>" in html
    assert "<li>x</li>" in html
    assert "<blockquote>" in html
    assert "<hr>" in html


def test_links_and_images_render_safely():
    html = render_markdown(
        '[docs](https://example.com/docs "Docs") [task](/t/abc) ![diff](https://example.com/d.png)'
    )
    assert '<a href="https://example.com/docs" title="Docs"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert 'target="_blank"' in html
    assert 'href="/t/abc"' in html
    assert '<img alt="diff" src="https://example.com/d.png">' in html


def test_mailto_link_is_kept():
    assert 'href="mailto:ops@example.com"' in render_markdown("[mail](mailto:ops@example.com)")


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "before <script>alert(1)</script> after",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="JaVaScRiPt:alert(1)">click</a>',
        "[x](javas&#99;ript:alert(1))",
        "![x](javascript:alert(1))",
        '<p onclick="alert(1)" style="color:red">hi</p>',
        "<svg onload=alert(1)>",
        '<iframe src="https://evil.example"></iframe>',
        '<a href="data:text/html,<script>alert(1)</script>">d</a>',
        "<style>body{display:none}</style>",
    ],
)
def test_xss_is_neutralised(source):
    html = render_markdown(source).lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "onload" not in html
    assert "style" not in html
    assert "<iframe" not in html
    assert "<svg" not in html
    assert "data:" not in html


def test_script_text_is_removed_but_surrounding_text_stays():
    html = render_markdown("before <script>alert(1)</script> after")
    assert "alert" not in html
    assert "before" in html
    assert "after" in html


def test_javascript_link_keeps_its_text_without_href():
    html = render_markdown("[click me](javascript:alert(1))")
    assert "click me" in html
    assert "href" not in html


def test_empty_input_renders_nothing():
    assert render_markdown("") == ""
    assert render_markdown("   \n") == ""


def test_rendering_is_cached():
    render_markdown.cache_clear()
    first = render_markdown("*cached*")
    assert render_markdown("*cached*") is first
    assert render_markdown.cache_info().hits == 1
