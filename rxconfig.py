"""Reflex configuration for HPI; every value comes from hpi_app.config."""

import reflex as rx
from reflex_base.plugins.sitemap import SitemapPlugin

from hpi_app.config import settings

config = rx.Config(
    app_name="hpi_app",
    telemetry_enabled=False,
    cors_allowed_origins=list(settings.cors_origins),
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="indigo", radius="medium")
        )
    ],
    disable_plugins=[SitemapPlugin],
    show_built_with_reflex=False,
)
