"""Reflex configuration for HPI; every value comes from hpi_app.config."""

import reflex as rx

from hpi_app.config import settings

config = rx.Config(
    app_name="hpi_app",
    telemetry_enabled=False,
    cors_allowed_origins=list(settings.cors_origins),
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=["reflex_base.plugins.sitemap.SitemapPlugin"],
    show_built_with_reflex=False,
)
