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
    """What the sign-in form shows: a reason it came back, where to go next."""

    error: str = ""
    next_path: str = "/"
    email: str = ""

    @rx.event
    async def load(self):
        """Read the query; a signed-in member goes straight on, an empty instance to setup."""
        params = self.router.url.query_parameters
        self.next_path = routes.safe_next(params.get("next"))
        self.email = params.get("email", "")
        code = params.get("error", "")
        if code == "rate_limited":
            minutes = params.get("minutes", "15")
            self.error = f"Too many sign-in attempts. Wait {minutes} minute(s) and try again."
        else:
            self.error = _ERRORS.get(code, "")
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
