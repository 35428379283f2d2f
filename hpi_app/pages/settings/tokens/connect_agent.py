""" "Connect an agent": beside a new token, the MCP settings an agent's tool reads, ready to copy."""

from __future__ import annotations

import reflex as rx

from hpi_app.core.mcp_config import CLIENT_LABELS
from hpi_app.pages.settings.tokens.state import TokensState
from hpi_app.vocab import McpTransport

TRANSPORT_LABELS = {McpTransport.HTTP: "HTTP", McpTransport.STDIO: "stdio"}


def _picker(label: str, picker_id: str, choices: dict, value: rx.Var[str], on_change) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", weight="medium", color_scheme="gray", id=f"{picker_id}-label"),
        rx.segmented_control.root(
            *[rx.segmented_control.item(text, value=key.value) for key, text in choices.items()],
            value=value,
            on_change=on_change,
            id=picker_id,
            aria_labelledby=f"{picker_id}-label",
            size="1",
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def _panel() -> rx.Component:
    copied = TokensState.agent_copied
    return rx.vstack(
        rx.flex(
            _picker(
                "Agent tool",
                "agent-client",
                CLIENT_LABELS,
                TokensState.agent_client,
                TokensState.set_agent_client,
            ),
            _picker(
                "Connects over",
                "agent-transport",
                TRANSPORT_LABELS,
                TokensState.agent_transport,
                TokensState.set_agent_transport,
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="3",
            width="100%",
        ),
        rx.text(
            rx.cond(
                TokensState.agent_transport == McpTransport.HTTP.value,
                "The tool calls this server's /mcp with the token. ",
                "The tool runs python -m hpi_app mcp from this HPI checkout, which calls this server. ",
            ),
            "Put this in ",
            rx.code(TokensState.agent_file, size="1"),
            ":",
            size="1",
            color_scheme="gray",
        ),
        rx.el.pre(
            TokensState.agent_snippet,
            id="agent-snippet",
            aria_label="MCP settings for the chosen tool",
            font_family="var(--code-font-family)",
            font_size="12px",
            line_height="1.45",
            margin="0",
            padding="0.75em",
            max_height="16em",
            overflow="auto",
            white_space="pre",
            # Its longest line must not widen the dialog past a phone's screen: the box scrolls instead.
            contain="inline-size",
            border_radius="var(--radius-2)",
            background_color=rx.color("gray", 3),
            border=f"1px solid {rx.color('gray', 6)}",
            width="100%",
        ),
        rx.button(
            rx.cond(copied, rx.icon("check", size=16), rx.icon("copy", size=16)),
            rx.cond(copied, "Copied", "Copy settings"),
            on_click=[rx.set_clipboard(TokensState.agent_snippet), TokensState.mark_agent_copied],
            variant="soft",
            size="2",
            id="copy-agent-snippet",
        ),
        id="agent-panel",
        spacing="2",
        width="100%",
        min_width="0",
    )


def connect_agent() -> rx.Component:
    """The "Connect an agent" toggle and, once open, its pickers and snippet."""
    return rx.vstack(
        rx.button(
            rx.icon("bot", size=16),
            "Connect an agent",
            rx.icon(rx.cond(TokensState.agent_open, "chevron-up", "chevron-down"), size=14),
            on_click=TokensState.toggle_agent,
            variant="outline",
            color_scheme="gray",
            id="connect-agent",
            aria_expanded=rx.cond(TokensState.agent_open, "true", "false"),
            aria_controls="agent-panel",
        ),
        rx.cond(TokensState.agent_open, _panel()),
        spacing="2",
        width="100%",
        min_width="0",
    )
