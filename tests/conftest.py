"""Fixtures: a migrated temporary SQLite store per test, members, tokens, an in-process API client."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

# Settings are read once at import: point them at a scratch folder before hpi_app loads.
_SCRATCH = Path(tempfile.mkdtemp(prefix="hpi-tests-"))
os.environ["HPI_DATA_DIR"] = str(_SCRATCH / "data")
os.environ["REFLEX_DB_URL"] = f"sqlite:///{_SCRATCH / 'template.db'}"
os.environ.pop("HPI_PUBLIC_URL", None)
os.environ.pop("HPI_ADMIN_EMAIL", None)

import httpx  # noqa: E402
import pytest  # noqa: E402

from hpi_app import db  # noqa: E402
from hpi_app.api.app import create_api  # noqa: E402
from hpi_app.core import accounts, tokens  # noqa: E402
from hpi_app.migrations import migrate  # noqa: E402
from hpi_app.models import User  # noqa: E402


@pytest.fixture(scope="session")
def template_db() -> Iterator[Path]:
    """A database migrated once per test session; each test gets a copy."""
    migrate()
    db.get_engine().dispose()
    yield _SCRATCH / "template.db"
    shutil.rmtree(_SCRATCH, ignore_errors=True)


@pytest.fixture
def store(template_db: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh, migrated SQLite store for one test."""
    path = tmp_path / "hpi.db"
    shutil.copyfile(template_db, path)
    db.use_database(f"sqlite:///{path}")
    yield path
    db.get_engine().dispose()


@pytest.fixture
def admin(store: Path) -> User:
    """The first admin of organisation "Acme"."""
    return accounts.create_user("admin@acme.test", "correct horse battery", role="admin", org_name="Acme")


@pytest.fixture
def make_token(admin: User) -> Callable[..., str]:
    """Issue a raw token for ``user`` (default: the admin) with the given scopes."""

    def make(scopes: str = "tasks:create,tasks:read", user: User | None = None, **kwargs) -> str:
        raw, _ = tokens.create_token((user or admin).id, "test", scopes, **kwargs)
        return raw

    return make


@pytest.fixture
def token(make_token: Callable[..., str]) -> str:
    """A token with tasks:create and tasks:read."""
    return make_token()


@pytest.fixture
async def client(store: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the API in-process."""
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://hpi.test") as http:
        yield http


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    """Headers that authenticate as the admin's token."""
    return {"Authorization": f"Bearer {token}"}
