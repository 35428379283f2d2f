"""``/login``: sign in with email and password (a form post to /auth/login)."""

from __future__ import annotations

import reflex as rx

from hpi_app import routes
from hpi_app.components.forms import alert_callout
from hpi_app.components.layout import centered_card
from hpi_app.components.native_form import native_form
from hpi_app.core import accounts
from hpi_app.state import SessionState, in_thread

_ERRORS = {
    "invalid": "That email and password don't match an account. Check them and try again.",
    "busy": "The server is busy checking passwords just now. Wait a few seconds and try again.",
}


class LoginState(rx.State):
    """What the sign-in form shows, read from the page's own query.

    Computed from the URL rather than set by ``load``: a tab keeps its state from one visit of
    the page to the next, so fields set on load would show the last visit's reason (and move the
    form under a click) until the load ran. The URL reaches the state with the hydrate itself.
    """

    @rx.var
    def error(self) -> str:
        """Why the form came back (empty on a first visit)."""
        params = self.router.url.query_parameters
        code = params.get("error", "")
        if code == "rate_limited":
            minutes = params.get("minutes", "15")
            return f"Too many sign-in attempts. Wait {minutes} minute(s) and try again."
        return _ERRORS.get(code, "")

    @rx.var
    def next_path(self) -> str:
        """Where to go once signed in, kept on this site."""
        return routes.safe_next(self.router.url.query_parameters.get("next"))

    @rx.var
    def email(self) -> str:
        """The email typed last time, when the form came back."""
        return self.router.url.query_parameters.get("email", "")

    @rx.event
    async def load(self):
        """A signed-in member goes straight on, an empty instance to setup."""
        session = await self.get_state(SessionState)
        if await session.refresh():
            return rx.redirect(self.next_path)
        if await in_thread(accounts.count_users) == 0:
            return rx.redirect(routes.SETUP)
        return None


def login_page() -> rx.Component:
    """The sign-in page."""
    return centered_card(
        rx.hstack(
            rx.icon("hand-helping", size=28, color=rx.color("accent", 10)),
            rx.heading("Sign in to HPI", size="6"),
        ),
        alert_callout(LoginState.error, "login-error"),
        native_form(
            rx.vstack(
                rx.el.label("Email", html_for="email", font_size="var(--font-size-2)", font_weight="500"),
                rx.input(
                    id="email",
                    name="email",
                    type="email",
                    required=True,
                    default_value=LoginState.email,
                    auto_complete="username",
                    size="3",
                    width="100%",
                ),
                rx.el.label(
                    "Password", html_for="password", font_size="var(--font-size-2)", font_weight="500"
                ),
                rx.input(
                    id="password",
                    name="password",
                    type="password",
                    required=True,
                    auto_complete="current-password",
                    size="3",
                    width="100%",
                ),
                rx.el.input(type="hidden", name="next", value=LoginState.next_path),
                rx.button("Sign in", type="submit", size="3", width="100%", margin_top="0.5em"),
                spacing="2",
                width="100%",
            ),
            action=routes.AUTH_LOGIN,
            method="post",
            width="100%",
        ),
        rx.text(
            "Forgot your password? Ask an admin of your organisation to reset it.",
            size="1",
            color_scheme="gray",
        ),
    )
