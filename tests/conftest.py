"""Fixtures: a migrated temporary store per test (SQLite and PostgreSQL), members, tokens, an API client.

``HPI_TEST_BACKENDS`` picks the stores the API and core tests run on (default
``sqlite,postgresql``); PostgreSQL is the local server at 127.0.0.1:5432 (``HPI_TEST_PG_URL``),
with a fresh database per test run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

# Settings are read once at import: point them at a scratch folder before hpi_app loads.
_SCRATCH = Path(tempfile.mkdtemp(prefix="hpi-tests-"))
os.environ["HPI_DATA_DIR"] = str(_SCRATCH / "data")
os.environ["REFLEX_DB_URL"] = f"sqlite:///{_SCRATCH / 'template.db'}"
os.environ.pop("HPI_PUBLIC_URL", None)
# The tests' webhook receivers listen on 127.0.0.1 (tests/core/test_destinations.py turns this off).
os.environ["HPI_WEBHOOK_ALLOW_PRIVATE"] = "1"
os.environ.pop("HPI_ADMIN_EMAIL", None)
BACKENDS = [
    b.strip() for b in os.environ.get("HPI_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()
]
PG_SERVER = os.environ.get("HPI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")

import httpx  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from hpi_app import db  # noqa: E402
from hpi_app.api.app import create_api  # noqa: E402
from hpi_app.core import accounts, link_codes, tokens  # noqa: E402
from hpi_app.migrations import migrate  # noqa: E402
from hpi_app.models import User  # noqa: E402
from tests.utils.ports import free_port  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whole-app tests (``tests/e2e``, ``tests/scale``) run last, in the order they were collected.

    Playwright's sync API keeps an event loop running on the main thread for the rest of the
    session once a browser test has run; an async test after it cannot start its own loop
    ("Runner.run() cannot be called from a running event loop").
    """
    items.sort(key=lambda item: bool({"e2e", "scale"} & set(Path(str(item.path)).parts)))


@pytest.fixture(scope="session")
def template_db() -> Iterator[Path]:
    """A SQLite database migrated once per test session; each test gets a copy."""
    db.use_database(f"sqlite:///{_SCRATCH / 'template.db'}")
    migrate()
    db.get_engine().dispose()
    yield _SCRATCH / "template.db"
    shutil.rmtree(_SCRATCH, ignore_errors=True)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on ``PG_SERVER``, dropped afterwards; yields its URL."""
    name = f"hpi_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        f"{PG_SERVER}/postgres".replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[str]:
    """A PostgreSQL database created and migrated for this test session, dropped afterwards."""
    with postgres_database() as url:
        db.use_database(url)
        migrate()
        db.get_engine().dispose()
        yield url
        db.get_engine().dispose()


@pytest.fixture(params=BACKENDS)
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, for the migration tests (migrations start from nothing)."""
    if request.param == "sqlite":
        db.use_database(f"sqlite:///{tmp_path / 'history.db'}")
        yield "sqlite"
    else:
        with postgres_database() as url:
            db.use_database(url)
            yield "postgresql"
            db.get_engine().dispose()
    db.get_engine().dispose()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated store for one test: a SQLite file, or an emptied PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "hpi.db"
        shutil.copyfile(request.getfixturevalue("template_db"), path)
        db.use_database(f"sqlite:///{path}")
        yield "sqlite"
    else:
        url = request.getfixturevalue("postgres_db")
        engine = db.use_database(url)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        yield "postgresql"
    db.get_engine().dispose()


@pytest.fixture
def admin(store: str) -> User:
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
async def client(store: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the API in-process."""
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://hpi.test") as http:
        yield http


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    """Headers that authenticate as the admin's token."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[EmailMessage]:
    """The link-code mails the core sends, caught instead of going to a mail server."""
    sent: list[EmailMessage] = []
    monkeypatch.setattr(link_codes, "send_mail", lambda message, _url, _timeout: sent.append(message))
    return sent


@pytest.fixture
def live_api(store: str) -> Iterator[str]:
    """The API served over real HTTP by uvicorn in a thread (for streams, which ASGITransport buffers)."""
    import threading
    import time

    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        create_api(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
