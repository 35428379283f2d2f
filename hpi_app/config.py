"""Every setting of HPI, read once from the environment.

Nothing else in the project calls ``os.environ``: import ``settings`` from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Seconds between delivery attempts: 5 s, 30 s, 2 min, 10 min, 30 min, then hourly.
DEFAULT_RETRY_DELAYS = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        msg = f"{name} must be an integer, got {raw!r}"
        raise ValueError(msg) from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        msg = f"{name} must be a positive number of seconds, got {raw!r}"
        raise ValueError(msg)
    return value


def _str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _seconds_list(name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    raw = _str(name)
    if not raw:
        return default
    try:
        values = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or any(v <= 0 for v in values):
        msg = f"{name} must be comma-separated positive numbers of seconds, got {raw!r}"
        raise ValueError(msg)
    return values


@dataclass(frozen=True)
class Settings:
    """The settings of one HPI process."""

    data_dir: Path
    db_url: str
    redis_url: str
    public_url: str
    port: int
    admin_email: str
    admin_password: str
    admin_org: str
    smtp_url: str
    smtp_from: str
    nats_url: str
    delivery_max_age_seconds: int
    delivery_timeout_seconds: float
    delivery_concurrency: int
    delivery_retry_delays: tuple[float, ...]
    max_body_bytes: int
    max_upload_bytes: int
    task_upload_quota_bytes: int
    upload_orphan_seconds: int
    wait_max_timeout: int
    wait_default_timeout: int
    idempotency_ttl_seconds: int
    max_connections: int
    workers: int
    db_pool_size: int
    db_max_overflow: int
    redis_namespace: str
    webhook_allow_private: bool
    trusted_proxies: int
    bus_fallback_recheck_seconds: float
    hash_threads: int = 2
    hash_queue: int = 2
    session_max_age_seconds: int = 30 * 24 * 3600
    streams_per_token: int = 1000
    min_delay_seconds: int = 60
    mcp_max_wait_seconds: int = 3600
    mcp_default_wait_seconds: int = 300
    mcp_progress_seconds: float = 20.0
    hpi_url: str = "http://localhost:8000"
    hpi_token: str = ""
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    retention_days: int = 0

    @property
    def bus_channel(self) -> str:
        """The Redis pub/sub channel of the event bus between workers."""
        return f"{self.redis_namespace}:events"

    @property
    def files_dir(self) -> Path:
        """Folder holding uploaded files, one sub-folder per organisation."""
        return self.data_dir / "files"


def load_settings() -> Settings:
    """Read the settings from the environment.

    Returns:
        The settings; defaults suit one machine with an embedded SQLite store.
    """
    data_dir = Path(_str("HPI_DATA_DIR") or ROOT / "data").resolve()
    db_url = _str("REFLEX_DB_URL") or f"sqlite:///{data_dir / 'hpi.db'}"
    port = _int("PORT", 8000)
    cors = tuple(o.strip() for o in _str("HPI_CORS_ORIGINS").split(",") if o.strip())
    return Settings(
        data_dir=data_dir,
        db_url=db_url,
        redis_url=_str("REFLEX_REDIS_URL"),
        public_url=_str("HPI_PUBLIC_URL").rstrip("/"),
        port=port,
        admin_email=_str("HPI_ADMIN_EMAIL"),
        admin_password=os.environ.get("HPI_ADMIN_PASSWORD", ""),
        admin_org=_str("HPI_ADMIN_ORG", "Default"),
        smtp_url=_str("HPI_SMTP_URL"),
        smtp_from=_str("HPI_SMTP_FROM", "HPI <hpi@localhost>"),
        nats_url=_str("HPI_NATS_URL", "nats://127.0.0.1:4222"),
        delivery_max_age_seconds=_int("HPI_DELIVERY_MAX_AGE", 24 * 3600),
        delivery_timeout_seconds=float(_int("HPI_DELIVERY_TIMEOUT", 10)),
        delivery_concurrency=max(1, _int("HPI_DELIVERY_CONCURRENCY", 16)),
        delivery_retry_delays=_seconds_list("HPI_DELIVERY_BACKOFF", DEFAULT_RETRY_DELAYS),
        max_body_bytes=_int("HPI_MAX_BODY_BYTES", 1024 * 1024),
        max_upload_bytes=_int("HPI_MAX_UPLOAD_BYTES", 25 * 1024 * 1024),
        task_upload_quota_bytes=_int("HPI_TASK_UPLOAD_QUOTA_BYTES", 100 * 1024 * 1024),
        upload_orphan_seconds=_int("HPI_UPLOAD_ORPHAN_AGE", 3600),
        wait_max_timeout=_int("HPI_WAIT_MAX_TIMEOUT", 300),
        wait_default_timeout=_int("HPI_WAIT_DEFAULT_TIMEOUT", 300),
        idempotency_ttl_seconds=_int("HPI_IDEMPOTENCY_TTL", 24 * 3600),
        max_connections=_int("HPI_MAX_CONNECTIONS", 16384),
        workers=_int("HPI_WORKERS", 0),
        db_pool_size=max(1, _int("HPI_DB_POOL_SIZE", 16)),
        db_max_overflow=max(0, _int("HPI_DB_MAX_OVERFLOW", 4)),
        redis_namespace=_str("HPI_REDIS_NAMESPACE", "hpi"),
        trusted_proxies=max(0, _int("HPI_TRUSTED_PROXIES", 0)),
        webhook_allow_private=_str("HPI_WEBHOOK_ALLOW_PRIVATE").lower() in ("1", "true", "yes"),
        bus_fallback_recheck_seconds=_float("HPI_BUS_FALLBACK_RECHECK", 2.0),
        hash_threads=max(1, _int("HPI_HASH_THREADS", 2)),
        hash_queue=max(0, _int("HPI_HASH_QUEUE", 2)),
        session_max_age_seconds=max(60, _int("HPI_SESSION_MAX_AGE", 30 * 24 * 3600)),
        streams_per_token=max(1, _int("HPI_STREAMS_PER_TOKEN", 1000)),
        min_delay_seconds=max(1, _int("HPI_MIN_DELAY_SECONDS", 60)),
        # The MCP door: how long a tool may wait for a person, and how often it says it still waits.
        mcp_max_wait_seconds=max(1, _int("HPI_MCP_MAX_WAIT_SECONDS", 3600)),
        mcp_default_wait_seconds=max(0, _int("HPI_MCP_DEFAULT_WAIT_SECONDS", 300)),
        mcp_progress_seconds=max(0.05, _float("HPI_MCP_PROGRESS_SECONDS", 20.0)),
        # `python -m hpi_app mcp` (stdio) talks to this instance with this token.
        hpi_url=(_str("HPI_URL") or "http://localhost:8000").rstrip("/"),
        hpi_token=_str("HPI_TOKEN"),
        cors_origins=cors or (f"http://localhost:{port}", f"http://127.0.0.1:{port}"),
        retention_days=max(0, _int("HPI_RETENTION_DAYS", 0)),
    )


settings = load_settings()
