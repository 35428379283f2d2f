"""Apply the Alembic migrations to the configured store."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from hpi_app.config import ROOT


def alembic_config() -> Config:
    """The Alembic configuration of this project (URL from hpi_app.config)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["configure_logger"] = False
    return cfg


def migrate() -> None:
    """Bring the database schema up to the newest revision."""
    command.upgrade(alembic_config(), "head")
