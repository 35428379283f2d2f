"""The one-time-code page of an external assignee's link (SPEC §8).

The code itself is typed into a native form posted to ``/auth/link-code``, so the grant that
opens the link lands in an HttpOnly cookie. It reads the code step from ``LinkCodeState``, and
the title of what the link opens from ``TaskFormState`` (a task) or whatever a process link's
page hands it.
"""

from __future__ import annotations

import reflex as rx

from hpi_app import routes
from hpi_app.components.forms import callout_if
from hpi_app.components.layout import centered_card
from hpi_app.components.native_form import native_form
from hpi_app.components.task_form.state import TaskFormState
from hpi_app.pages.task_page.state import CODE_INPUT_ID, LinkCodeState

# A refused code outlines the input in red, as the task form does for its fields.
_INVALID_STYLE = {"&[data-invalid='true'] .rt-TextFieldRoot": {"boxShadow": "inset 0 0 0 1px var(--red-8)"}}


def _badge() -> rx.Component:
    return rx.center(
        rx.cond(LinkCodeState.locked, rx.icon("lock-keyhole", size=28), rx.icon("mail-check", size=28)),
        width="3.25em",
        height="3.25em",
        border_radius="50%",
        background_color=rx.cond(LinkCodeState.locked, rx.color("red", 4), rx.color("indigo", 4)),
        color=rx.cond(LinkCodeState.locked, rx.color("red", 11), rx.color("indigo", 11)),
    )


def _task_box(title: rx.Var[str], noun: str) -> rx.Component:
    return rx.vstack(
        rx.text(noun.capitalize(), size="1", color_scheme="gray", weight="medium"),
        rx.text(title, size="2", weight="medium", overflow_wrap="anywhere"),
        spacing="0",
        padding="0.75em",
        width="100%",
        border_radius="var(--radius-3)",
        background_color=rx.color("gray", 3),
    )


def _send_button() -> rx.Component:
    return rx.button(
        rx.icon("send", size=16),
        "Email me a code",
        on_click=LinkCodeState.send,
        loading=LinkCodeState.sending,
        size="3",
        width="100%",
        id="send-code",
    )


def _resend() -> rx.Component:
    return rx.hstack(
        rx.text("Didn't get it?", size="2", color_scheme="gray"),
        rx.button(
            rx.cond(
                LinkCodeState.resend_in > 0,
                rx.text("Send a new code in ", LinkCodeState.resend_in, " s"),
                rx.text("Send a new code"),
            ),
            on_click=LinkCodeState.send,
            disabled=LinkCodeState.resend_in > 0,
            loading=LinkCodeState.sending,
            variant="ghost",
            size="2",
            id="resend-code",
        ),
        spacing="3",
        align="center",
        justify="center",
        width="100%",
        wrap="wrap",
    )


def _code_form() -> rx.Component:
    has_error = LinkCodeState.error != ""
    return native_form(
        rx.vstack(
            rx.el.label("Code", html_for=CODE_INPUT_ID, font_size="var(--font-size-2)", font_weight="500"),
            rx.input(
                id=CODE_INPUT_ID,
                name="code",
                required=True,
                input_mode="numeric",
                auto_complete="one-time-code",
                pattern=r"\s*\d{3}[\s\-]?\d{3}\s*",
                max_length=9,
                placeholder="123456",
                size="3",
                width="100%",
                custom_attrs={
                    "aria-invalid": rx.cond(has_error, "true", "false"),
                    "aria-describedby": rx.cond(has_error, "code-error", "code-help"),
                    "title": "The 6 digits from the email",
                },
                style={"letter-spacing": "0.3em", "font-variant-numeric": "tabular-nums"},
            ),
            rx.cond(
                has_error,
                rx.hstack(
                    rx.icon("circle-alert", size=14, flex_shrink="0", margin_top="0.2em"),
                    rx.text(LinkCodeState.error, size="2"),
                    spacing="1",
                    align="start",
                    color=rx.color("red", 11),
                    role="alert",
                    id="code-error",
                ),
                rx.text(
                    "The code is valid for 10 minutes.",
                    size="1",
                    color_scheme="gray",
                    id="code-help",
                ),
            ),
            rx.el.input(type="hidden", name="link_id", value=LinkCodeState.link),
            rx.button("Continue", type="submit", size="3", width="100%", margin_top="0.5em", id="check-code"),
            spacing="2",
            width="100%",
            custom_attrs={"data-invalid": rx.cond(has_error, "true", "false")},
            style=_INVALID_STYLE,
        ),
        action=routes.AUTH_LINK_CODE,
        method="post",
        width="100%",
        id="code-form",
    )


def _waiting_for_code() -> rx.Component:
    return rx.fragment(
        callout_if(
            LinkCodeState.notice,
            icon="mail-check",
            color_scheme="grass",
            size="1",
            width="100%",
            id="code-notice",
        ),
        _code_form(),
        _resend(),
    )


def _no_code_yet() -> rx.Component:
    return rx.fragment(
        callout_if(
            LinkCodeState.error,
            icon="circle-alert",
            color_scheme="red",
            size="1",
            role="alert",
            id="code-error",
        ),
        _send_button(),
    )


def _locked() -> rx.Component:
    return rx.callout(
        LinkCodeState.error,
        icon="lock-keyhole",
        color_scheme="red",
        role="alert",
        width="100%",
        id="code-locked",
    )


def code_view(
    title: rx.Var[str] = TaskFormState.title,
    sign_in_href: rx.Var[str] = TaskFormState.sign_in_href,
    noun: str = "task",
) -> rx.Component:
    """Ask the external assignee for the code emailed to them, and send it on request.

    Args:
        title: What the link opens (the task's title, or a process's name).
        sign_in_href: Where a member signs in to open it without a code.
        noun: What the link opens: ``task`` or ``process``.
    """
    return centered_card(
        _badge(),
        rx.heading("Confirm it's you", size="5", as_="h1", id="status-heading"),
        rx.text(
            f"This {noun} was sent to ",
            rx.text.strong(LinkCodeState.masked_email, id="code-email"),
            ". To open it, you need a 6-digit code emailed to that address.",
            color_scheme="gray",
            size="2",
        ),
        _task_box(title, noun),
        rx.cond(
            LinkCodeState.locked,
            _locked(),
            rx.cond(LinkCodeState.code_sent, _waiting_for_code(), _no_code_yet()),
        ),
        rx.separator(size="4"),
        rx.text(
            "A member of the organisation that sent it? ",
            rx.link("Sign in", href=sign_in_href, id="code-sign-in"),
            " to open it without a code.",
            size="1",
            color_scheme="gray",
        ),
        custom_attrs={"data-link-state": "code"},
    )
