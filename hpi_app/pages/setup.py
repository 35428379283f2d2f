"""``/setup``: the first start, when the instance has no user yet."""

from __future__ import annotations

import reflex as rx

from hpi_app import routes
from hpi_app.components.forms import alert_callout
from hpi_app.components.layout import centered_card
from hpi_app.components.native_form import native_form
from hpi_app.core import accounts
from hpi_app.state import in_thread


class SetupState(rx.State):
    """The setup form's echo after a refused attempt, read from the page's own query.

    Computed from the URL, not set on load, so a later visit never shows an earlier refusal
    (see ``LoginState``).
    """

    @rx.var
    def error(self) -> str:
        """Why the last attempt was refused."""
        return self.router.url.query_parameters.get("error", "")

    @rx.var
    def org_name(self) -> str:
        """The organisation name typed last time."""
        return self.router.url.query_parameters.get("org_name", "")

    @rx.var
    def name(self) -> str:
        """The name typed last time."""
        return self.router.url.query_parameters.get("name", "")

    @rx.var
    def email(self) -> str:
        """The email typed last time."""
        return self.router.url.query_parameters.get("email", "")

    @rx.event
    async def load(self):
        """Leave setup once someone has completed it."""
        if await in_thread(accounts.count_users) > 0:
            return rx.redirect(routes.LOGIN)
        return None


def _labelled(label: str, field_id: str, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=field_id, font_size="var(--font-size-2)", font_weight="500"),
        rx.input(id=field_id, name=field_id, size="3", width="100%", **props),
        spacing="1",
        width="100%",
    )


def setup_page() -> rx.Component:
    """Create the first admin and the organisation."""
    return centered_card(
        rx.heading("Welcome to HPI", size="6"),
        rx.text("Create your organisation and its first admin account.", color_scheme="gray"),
        alert_callout(SetupState.error, "setup-error"),
        native_form(
            rx.vstack(
                _labelled("Organisation name", "org_name", required=True, default_value=SetupState.org_name),
                _labelled("Your name", "name", default_value=SetupState.name, auto_complete="name"),
                _labelled("Email", "email", type="email", required=True, default_value=SetupState.email),
                _labelled(
                    "Password",
                    "password",
                    type="password",
                    required=True,
                    min_length=8,
                    auto_complete="new-password",
                ),
                rx.text("At least 8 characters.", size="1", color_scheme="gray"),
                rx.button("Create organisation", type="submit", size="3", width="100%"),
                spacing="3",
                width="100%",
            ),
            action=routes.AUTH_SETUP,
            method="post",
            width="100%",
        ),
    )
