"""Builds the Reflex app: its pages, the API door and the lifespan tasks."""

from __future__ import annotations

import reflex as rx

from hpi_app.api.app import create_api
from hpi_app.pages.home import home_page
from hpi_app.workers.bootstrap import create_first_admin
from hpi_app.workers.expiry import run_expiry_sweeper

app = rx.App(
    api_transformer=create_api(),
    theme=rx.theme(appearance="inherit", accent_color="indigo", radius="medium"),
)
app.add_page(home_page, route="/", title="HPI")
app.register_lifespan_task(create_first_admin)
app.register_lifespan_task(run_expiry_sweeper)
