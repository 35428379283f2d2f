"""``python -m hpi_app demo``: fills the store, with a progress bar, and refuses bad arguments clearly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from hpi_app.config import ROOT


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REFLEX_DB_URL": f"sqlite:///{db}", "HPI_DATA_DIR": str(db.parent)}
    return subprocess.run(
        [sys.executable, "-m", "hpi_app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_command(tmp_path: Path):
    db = tmp_path / "demo.db"
    assert _cli(db, "migrate").returncode == 0
    no_org = _cli(db, "demo", "--tasks", "10")
    assert (
        no_org.returncode == 1 and "no organisation yet" in no_org.stderr and "user create" in no_org.stderr
    )
    made = _cli(
        db, "user", "create", "--email", "ops@acme.test", "--password", "long enough pw", "--org", "Acme"
    )
    assert made.returncode == 0, made.stderr
    for bad in ("0", "-5"):
        refused = _cli(db, "demo", "--tasks", bad)
        assert refused.returncode == 1 and "--tasks must be at least 1" in refused.stderr
    unknown = _cli(db, "demo", "--tasks", "10", "--org", "Globex")
    assert unknown.returncode == 1 and "No organisation named 'Globex'" in unknown.stderr
    filled = _cli(db, "demo", "--tasks", "25000", "--org", "Acme")
    assert filled.returncode == 0, filled.stderr
    assert "20,000/25,000 tasks" in filled.stderr and "25,000/25,000 tasks" in filled.stderr
    assert "Made 25,000 tasks" in filled.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM tasks").fetchone() == (25_000,)
        assert conn.execute("SELECT count(*) FROM links").fetchone() == (25_000,)
