"""The frame around signed-in pages: navigation, the member menu, colour mode."""

from __future__ import annotations

import reflex as rx

from hpi_app import routes
from hpi_app.components.native_form import native_form
from hpi_app.state import SessionState


def nav_link(label: str, href: str, icon: str) -> rx.Component:
    """A link in the top navigation (its icon only on a phone, where the labels don't fit)."""
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=16),
            rx.text(label, size="2", weight="medium", display=["none", "block"]),
            spacing="2",
            align="center",
        ),
        href=href,
        aria_label=label,
        title=label,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def sign_out_form() -> rx.Component:
    """A button that signs out (a form post, so the HttpOnly cookie is cleared)."""
    return native_form(
        rx.button("Sign out", type="submit", variant="soft", color_scheme="gray", size="1", id="sign-out"),
        action=routes.AUTH_LOGOUT,
        method="post",
    )


def navbar() -> rx.Component:
    """The top bar of signed-in pages."""
    return rx.box(
        rx.hstack(
            rx.hstack(
                rx.link(
                    rx.hstack(
                        rx.icon("hand-helping", size=22, color=rx.color("accent", 10)),
                        rx.heading("HPI", size="5", weight="bold"),
                        spacing="2",
                        align="center",
                    ),
                    href=routes.DASHBOARD,
                    underline="none",
                    color_scheme="gray",
                    high_contrast=True,
                ),
                rx.text(
                    SessionState.org_name, size="2", color_scheme="gray", display=["none", "none", "block"]
                ),
                spacing="4",
                align="center",
            ),
            rx.hstack(
                nav_link("Dashboard", routes.DASHBOARD, "layout-list"),
                nav_link("Processes", routes.PROCESSES, "workflow"),
                nav_link("Settings", routes.SETTINGS_TOKENS, "settings"),
                rx.color_mode.button(size="1", variant="ghost", aria_label="Toggle dark mode"),
                rx.text(
                    SessionState.display_name,
                    size="1",
                    color_scheme="gray",
                    display=["none", "none", "block"],
                ),
                sign_out_form(),
                spacing="4",
                align="center",
            ),
            justify="between",
            align="center",
            width="100%",
            max_width="1100px",
            margin_x="auto",
            padding_x="1em",
            padding_y="0.75em",
            wrap="wrap",
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def loading_spinner(**props) -> rx.Component:
    """A spinner in the middle of the space something is still loading into."""
    return rx.center(rx.spinner(size="3"), **{"padding": "3em", **props})


def signed_in_page(*children: rx.Component) -> rx.Component:
    """A page for members: the navbar, then the content once the session is confirmed."""
    return rx.box(
        navbar(),
        rx.cond(
            SessionState.signed_in,
            rx.box(*children, max_width="1100px", margin_x="auto", padding="1em", width="100%"),
            loading_spinner(padding="4em"),
        ),
        min_height="100vh",
        background_color=rx.color("gray", 2),
    )


def admin_only(*children: rx.Component) -> rx.Component:
    """Content only an admin sees; a member is told they lack the right."""
    return rx.cond(
        SessionState.is_admin,
        rx.fragment(*children),
        rx.callout(
            "Only an admin of your organisation can manage this. Ask an admin to change your role.",
            icon="shield-alert",
            color_scheme="amber",
            id="admin-only",
        ),
    )


def centered_card(*children: rx.Component, **props) -> rx.Component:
    """A card in the middle of the screen (sign-in, setup, dead links)."""
    return rx.center(
        rx.card(
            rx.vstack(*children, spacing="4", width="100%"),
            size="3",
            width="100%",
            max_width="440px",
            **props,
        ),
        min_height="100vh",
        padding="1em",
        background_color=rx.color("gray", 2),
    )


def brand_bar(**props) -> rx.Component:
    """The top bar of a page opened by a link: the HPI mark and the colour mode switch."""
    return rx.hstack(
        rx.hstack(
            rx.icon("hand-helping", size=20, color=rx.color("accent", 10)),
            rx.text("HPI", weight="bold", size="3"),
            spacing="2",
            align="center",
        ),
        rx.color_mode.button(size="1", variant="ghost", aria_label="Toggle dark mode"),
        justify="between",
        align="center",
        width="100%",
        **props,
    )


def status_card(icon: str, color: str, heading: str, *body: rx.Component, kind: str) -> rx.Component:
    """The card of a link that no longer opens what it led to (``kind`` is its ``data-link-state``)."""
    return centered_card(
        rx.center(
            rx.icon(icon, size=28),
            width="3.25em",
            height="3.25em",
            border_radius="50%",
            background_color=rx.color(color, 4),
            color=rx.color(color, 11),
        ),
        rx.heading(heading, size="5", as_="h1", id="status-heading"),
        *body,
        custom_attrs={"data-link-state": kind},
    )
