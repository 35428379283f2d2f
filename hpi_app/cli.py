"""The operator's command line: ``python -m hpi_app <command>``."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta

from hpi_app.config import ROOT, settings
from hpi_app.core.errors import DomainError
from hpi_app.vocab import McpClient, Role, Scope


def _migrate(_args: argparse.Namespace) -> int:
    from hpi_app.migrations import migrate

    migrate()
    print("Database is up to date.", file=sys.stderr)
    return 0


def _user_create(args: argparse.Namespace) -> int:
    from hpi_app.core.accounts import count_users, create_user

    first = count_users() == 0
    user = create_user(
        args.email,
        args.password,
        role=Role.ADMIN if (args.admin or first) else Role.MEMBER,
        org_name=args.org if (args.org and first) else None,
        name=args.name or "",
        org_id=_org_id_by_name(args.org) if (args.org and not first) else None,
    )
    note = " (the first user is always an admin)" if first and not args.admin else ""
    print(f"Created {user.role} {user.email}{note}.", file=sys.stderr)
    return 0


def _org_id_by_name(name: str) -> str:
    from sqlmodel import select

    from hpi_app.core.errors import NotFound
    from hpi_app.db import session_scope
    from hpi_app.models import Organisation

    with session_scope() as session:
        org = session.exec(select(Organisation).where(Organisation.name == name)).first()
    if org is None:
        raise NotFound(f"No organisation named {name!r}.")
    return org.id


def _token_create(args: argparse.Namespace) -> int:
    from hpi_app.core.accounts import get_user_by_email
    from hpi_app.core.errors import NotFound
    from hpi_app.core.tokens import create_token
    from hpi_app.models import utcnow

    user = get_user_by_email(args.email)
    if user is None:
        raise NotFound(f"No user with the email {args.email}. Create one with `user create`.")
    expires = utcnow() + timedelta(days=args.expires_days) if args.expires_days else None
    raw, token = create_token(user.id, args.name, args.scopes, expires_at=expires)
    print(raw)
    print(f"Token {token.prefix}… for {user.email} with {', '.join(token.scopes)}.", file=sys.stderr)
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from hpi_app.core.tokens import revoke_token

    token = revoke_token(prefix=args.prefix)
    print(f"Revoked token {token.prefix}… ({token.name}).", file=sys.stderr)
    return 0


def _mcp_config(args: argparse.Namespace) -> int:
    from hpi_app import routes
    from hpi_app.core import mcp_config
    from hpi_app.vocab import McpTransport

    transport = McpTransport.STDIO if args.stdio else McpTransport.HTTP
    base = args.url or routes.configured_base()
    print(mcp_config.client_config_json(args.client, transport, base_url=base, token=args.token))
    where = mcp_config.CONFIG_FILES[args.client]
    placeholder = mcp_config.TOKEN_PLACEHOLDER
    note = "" if args.token else f" Replace {placeholder} with a token (Settings › API Tokens)."
    print(f"Put this in {where}.{note}", file=sys.stderr)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from hpi_app.core import demo
    from hpi_app.core.errors import InvalidInput

    if args.tasks < 1:
        raise InvalidInput("Say how many tasks to make: --tasks must be at least 1 (e.g. --tasks 100000).")
    org = demo.find_org(args.org)
    print(f"Filling {org.name!r} with {args.tasks:,} demo tasks over the past year.", file=sys.stderr)
    bar = _ProgressBar(args.tasks)
    made = demo.fill(org, args.tasks, progress=bar.update, seed=args.seed)
    bar.finish()
    print(f"Made {made:,} tasks in {bar.elapsed:.1f} s ({made / bar.elapsed:,.0f} tasks/s).", file=sys.stderr)
    return 0


class _ProgressBar:
    """A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.width = total, width
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.shown_tenth = 0

    @property
    def elapsed(self) -> float:
        """Seconds since the bar started (never 0)."""
        return max(time.monotonic() - self.started, 1e-6)

    def update(self, done: int) -> None:
        """Show ``done`` of the total."""
        share = done / self.total
        line = (
            f"[{'#' * int(share * self.width):<{self.width}}] {share:4.0%} "
            f"{done:,}/{self.total:,} tasks, {done / self.elapsed:,.0f}/s"
        )
        if self.tty:
            print(f"\r{line}", end="", file=sys.stderr, flush=True)
        elif int(share * 10) > self.shown_tenth or done == self.total:
            self.shown_tenth = int(share * 10)
            print(line, file=sys.stderr, flush=True)

    def finish(self) -> None:
        """End the bar's line."""
        if self.tty:
            print(file=sys.stderr)


def _serve(args: argparse.Namespace) -> int:
    """Start the app in production mode on one port and say where it is once it answers."""
    port = args.port or settings.port
    env = _runtime_env()
    if args.db:
        env["REFLEX_DB_URL"] = args.db
    if settings.workers > 1 and not settings.redis_url:
        print(
            "HPI_WORKERS > 1 needs REFLEX_REDIS_URL: without Redis, workers cannot share "
            "browser sessions or hear each other's task changes. Run one worker, or set both.",
            file=sys.stderr,
        )
        return 2
    if settings.workers > 0:
        env["GRANIAN_WORKERS"] = str(settings.workers)
    cmd = [
        sys.executable,
        "-m",
        "hpi_app.reflex_runner",
        "run",
        "--env",
        "prod",
        "--single-port",
        "--backend-port",
        str(port),
        "--backend-host",
        args.host,
        "--loglevel",
        "warning",
    ]
    print(
        f"==> Starting HPI on port {port} (the first start builds the web app; this takes a while)",
        flush=True,
    )
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    url = f"http://localhost:{port}"
    try:
        if _wait_until_up(f"{url}/api/v1/health", proc):
            print(f"==> HPI is running at {url}  (API reference: {url}/api/v1/docs)", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            return 130


def _runtime_env() -> dict[str, str]:
    """The environment for Reflex, with the project-local bun that `make` installs when needed."""
    env = os.environ.copy()
    local_bin = ROOT / ".tools" / "node_modules" / ".bin"
    if (local_bin / "bun").exists() and not shutil.which("bun"):
        env["PATH"] = f"{local_bin}{os.pathsep}{env.get('PATH', '')}"
        env["REFLEX_USE_SYSTEM_BUN"] = "1"
    return env


def _wait_until_up(url: str, proc: subprocess.Popen, limit: float = 600.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def _mcp(args: argparse.Namespace) -> int:
    from hpi_app.mcp import stdio

    return stdio.main(args.url, args.token)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m hpi_app``."""
    parser = argparse.ArgumentParser(prog="python -m hpi_app", description="Operate an HPI instance.")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="the store to act on (default: $REFLEX_DB_URL, else the SQLite file in the data folder)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)

    serve = sub.add_parser("serve", help="start the app in production mode on one port")
    serve.add_argument("--port", type=int, default=None, help="port (default: $PORT or 8000)")
    serve.add_argument("--host", default="0.0.0.0", help="interface to listen on")
    serve.set_defaults(func=_serve)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    create = user.add_parser("create", help="create a user (the first one also creates the organisation)")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--admin", action="store_true", help="make the user an admin")
    create.add_argument("--org", help="organisation name")
    create.add_argument("--name", help="display name")
    create.set_defaults(func=_user_create)

    demo = sub.add_parser("demo", help="fill the store with realistic demo tasks (a year of history)")
    demo.add_argument("--tasks", type=int, required=True, metavar="N", help="how many tasks to make")
    demo.add_argument("--org", help="the organisation's name (default: the first organisation)")
    demo.add_argument("--seed", type=int, default=None, help="make the same titles, statuses and times again")
    demo.set_defaults(func=_demo)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(dest="action", required=True)
    tcreate = token.add_parser("create", help="create a token; prints only the raw token on stdout")
    tcreate.add_argument("--email", required=True, help="the user the token acts as")
    tcreate.add_argument("--name", required=True, help="a name to recognise the token by")
    default_scopes = f"{Scope.TASKS_CREATE},{Scope.TASKS_READ}"
    tcreate.add_argument("--scopes", default=default_scopes, help="comma-separated scopes")
    tcreate.add_argument("--expires-days", type=int, default=None, help="expire after this many days")
    tcreate.set_defaults(func=_token_create)
    trevoke = token.add_parser("revoke", help="revoke a token by its prefix (e.g. htk_1a2b3c4d)")
    trevoke.add_argument("prefix")
    trevoke.set_defaults(func=_token_revoke)

    mcp = sub.add_parser("mcp-config", help="print the MCP settings an agent's tool reads (JSON on stdout)")
    mcp.add_argument("--client", choices=[c.value for c in McpClient], default=McpClient.CLAUDE_CODE.value)
    mcp.add_argument("--stdio", action="store_true", help="start `python -m hpi_app mcp` instead of HTTP")
    mcp.add_argument("--token", help="the API token to fill in (default: a placeholder)")
    mcp.add_argument("--url", help="the instance's address (default: $HPI_PUBLIC_URL, else localhost)")
    mcp.set_defaults(func=_mcp_config)

    mcp = sub.add_parser("mcp", help="speak MCP on stdin/stdout, bridged to the instance at $HPI_URL/mcp")
    mcp.add_argument(
        "--url", default=settings.hpi_url, help="the instance (default: $HPI_URL or localhost:8000)"
    )
    mcp.add_argument("--token", default=settings.hpi_token, help="an API token (default: $HPI_TOKEN)")
    mcp.set_defaults(func=_mcp)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors are printed for a person, with a non-zero exit code."""
    args = build_parser().parse_args(argv)
    if args.db:
        from hpi_app.db import use_database

        use_database(args.db)
    try:
        return args.func(args)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
