"""Demo data: fill an organisation with a year of realistic tasks, fast (``python -m hpi_app demo``).

Tasks are spread over the past year, oldest first, in the shapes of ``demo_shapes``; about 1 % are
still pending (recent ones), the rest completed, cancelled or expired, each with the timeline that
led there. Assignees are the organisation's members, outside emails, or nobody. Every task is
written through ``core.tasks.bulk`` (``insert_tasks``'s two halves), the same rows ``create_task`` and the
transitions write, in large transactions. While one batch is written, the next is made in a
second process (``demo_making``), rows readied in the form they are stored in, so making and
writing overlap on two cores. (A thread did not overlap: the writer lets go of the GIL for each row the store
takes, then waits for the making thread to hand it back, and the two ran one after the other.)
"""

from __future__ import annotations

import base64
import os
import pickle
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select

from hpi_app.core.demo_shapes import CANCEL_REASONS, COMPANIES, PEOPLE, SERVICES, Shape, shapes
from hpi_app.core.errors import InvalidInput, NotFound
from hpi_app.core.tasks.bulk import PastEvent, PastTask, PreparedTasks, prepare_tasks, write_tasks
from hpi_app.core.tasks.create import new_task
from hpi_app.db import build_engine, bulk_writes, get_engine, session_scope
from hpi_app.models import Organisation, User, utcnow
from hpi_app.vocab import TaskStatus

BATCH = 20_000
SQLITE_CACHE_KIB = 256 * 1024
# secrets.token_urlsafe(24)'s length: 24 random bytes in URL-safe base64, no padding.
_LINK_BYTES, _LINK_CHARS = 24, 32
_UUID4 = (0x4 << 76) | (0x8 << 60)  # the version (4) and variant (RFC 4122) bits
_UUID4_KEEP = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_SECOND = timedelta(seconds=1)
HISTORY = timedelta(days=365)
# Pending tasks are recent: only tasks of the last RECENT may still be open.
RECENT = timedelta(days=14)
PENDING_SHARE = 0.01
# Of the finished: completed, cancelled, expired.
FINISHED_MIX = ((TaskStatus.COMPLETED, 0.86), (TaskStatus.CANCELLED, 0.08), (TaskStatus.EXPIRED, 0.06))
_FINISHED_UPTO = tuple(
    (status, sum(share for _, share in FINISHED_MIX[: i + 1])) for i, (status, _) in enumerate(FINISHED_MIX)
)
_OUTSIDERS = [
    (f"{first.lower()}.{last.lower()}@{domain}", f"{first} {last}")
    for first, last in (("Maria", "Garcia"), ("Chen", "Wei"), ("Amara", "Okafor"), ("Lars", "Nilsson"))
    for domain in ("partner.example", "vendor.example", "client.example")
]


@dataclass(frozen=True)
class Org:
    """Whose store is filled: the organisation, its members, and who creates the tasks."""

    id: str
    name: str
    members: tuple[tuple[str, str, str], ...]  # (id, email, name)
    creator: str


def find_org(name: str | None = None) -> Org:
    """The organisation to fill: the one named ``name``, else the first one made.

    Raises:
        NotFound: No such organisation, or none at all yet (setup has not been run).
    """
    with session_scope() as session:
        query = select(Organisation).order_by(Organisation.created_at)
        org = session.exec(query.where(Organisation.name == name) if name else query).first()
        if org is None and name:
            names = ", ".join(o.name for o in session.exec(query.limit(20)).all()) or "none yet"
            raise NotFound(f"No organisation named {name!r} (there are: {names}).")
        if org is None:
            raise NotFound(
                "There is no organisation yet. Run the first setup (open HPI in a browser, or "
                "`python -m hpi_app user create --email ... --password ... --org NAME`), then try again."
            )
        users = session.exec(select(User).where(User.org_id == org.id).order_by(User.created_at)).all()
    members = tuple((u.id, u.email, u.name or u.email.split("@")[0]) for u in users if u.disabled_at is None)
    admins = [u.id for u in users if u.role == "admin"] or [u.id for u in users]
    return Org(org.id, org.name, members, admins[0] if admins else None)


class _Pool:
    """One shape's ready-made parts, shared by the tasks made from it (and serialised once)."""

    def __init__(self, shape: Shape, rng: random.Random) -> None:
        self.shape = shape
        self.titles = [
            title.format(
                service=rng.choice(SERVICES),
                person=rng.choice(PEOPLE),
                company=rng.choice(COMPANIES),
                number=rng.randint(100, 9999),
            )
            for title in shape.titles
            for _ in range(40)
        ]
        self.metas = [{key: rng.choice(options) for key, options in shape.meta.items()} for _ in range(12)]
        self.payloads = [
            {"source": "demo", "kind": shape.corr, "priority": p} for p in ("low", "normal", "high")
        ]
        self.limit = timedelta(seconds=shape.expires_in) if shape.expires_in else timedelta(days=3)
        self.expires = timedelta(seconds=shape.expires_in) if shape.expires_in else None


def _pick(pool: list | tuple, r: float) -> object:
    return pool[int(r * len(pool))]


def link_ids(count: int) -> list[str]:
    """``count`` link ids as ``secrets.token_urlsafe(24)`` makes them, from one call to the OS."""
    text = base64.urlsafe_b64encode(os.urandom(_LINK_BYTES * count)).decode()
    return [text[i : i + _LINK_CHARS] for i in range(0, len(text), _LINK_CHARS)]


def random_uuid4(bits: int) -> str:
    """A version-4 UUID's text (as ``str(uuid.uuid4())``) from 128 random ``bits``."""
    h = "%032x" % (bits & _UUID4_KEEP | _UUID4)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _Maker:
    """Builds one task after another, oldest first, with a seeded random source."""

    def __init__(self, org: Org, count: int, now: datetime, seed: int | None) -> None:
        self.org = org
        self.rng = random.Random(seed)
        self.pools = [_Pool(shape, self.rng) for shape in shapes()]
        self.now = now
        self.start = now - HISTORY
        self.step = HISTORY / max(count, 1)
        self.recent_from = now - RECENT
        # Within the recent window, the chance to be pending that makes ~1 % of all pending.
        self.pending_chance = min(1.0, PENDING_SHARE * HISTORY / RECENT)
        self.assignees = [self._assignee(i / 20) for i in range(20)]

    def make_many(self, start: int, count: int) -> list[PastTask]:
        """Tasks ``start`` to ``start + count`` (their link ids random from the OS, not the seed)."""
        return [self.make(start + i, link) for i, link in enumerate(link_ids(count))]

    def make(self, index: int, link_id: str) -> PastTask:
        r = self.rng.random
        pool = _pick(self.pools, r())
        created = min(self.start + self.step * index + _SECOND * (30 * r()), self.now - _SECOND)
        status = self._status(created, pool.expires is not None)
        values = {
            "id": self._new_id(created),
            "org_id": self.org.id,
            "title": _pick(pool.titles, r()),
            "steps": pool.shape.steps,
            "created_at": created,
            "created_by": self.org.creator,
            "payload": _pick(pool.payloads, r()),
            "meta": _pick(pool.metas, r()),
            "correlation_key": f"{pool.shape.corr}-{index}" if r() < 0.8 else None,
            "template_id": pool.shape.template_id,
            "link_id": link_id,
            "status": status,
            **_pick(self.assignees, r()),
        }
        events = []
        if status == TaskStatus.PENDING:
            if pool.expires is not None:
                values["expires_at"] = max(created + pool.expires, self.now + RECENT)
        else:
            opener = values["assignee_id"] or values["assignee_email"]
            if pool.expires is not None:
                values["expires_at"] = created + pool.expires
            if status == TaskStatus.EXPIRED:
                end = min(created + pool.limit, self.now)
            else:
                took = _SECOND * self.rng.expovariate(1 / 3600)
                end = min(created + min(pool.limit * 0.9, took), self.now)
                if r() < 0.7:
                    events.append(PastEvent("opened", created + (end - created) * 0.3, opener))
            events.append(self._finish(values, status, end, opener, pool, r()))
        done = self._new_id(values["completed_at"]) if status == TaskStatus.COMPLETED else None
        return PastTask(new_task(**values), events, done)

    def _new_id(self, at: datetime) -> str:
        # Time-ordered (as UUIDv7), in the text of version 4 as real ids are: a long history's
        # indexes on ids then grow at their end, not at random pages, which the fill's speed needs.
        return random_uuid4(int(at.timestamp() * 1000) << 80 | self.rng.getrandbits(80))

    def _status(self, created: datetime, expires: bool) -> TaskStatus:
        r = self.rng.random
        if created >= self.recent_from and r() < self.pending_chance:
            return TaskStatus.PENDING
        pick = r()
        status = next((s for s, upto in _FINISHED_UPTO if pick < upto), TaskStatus.COMPLETED)
        return TaskStatus.CANCELLED if status == TaskStatus.EXPIRED and not expires else status

    def _assignee(self, pick: float) -> dict:
        if pick < 0.45 and self.org.members:
            member_id, email, name = _pick(self.org.members, pick / 0.45)
            return {
                "assignee_id": member_id,
                "assignee_type": "member",
                "assignee_email": email,
                "assignee_name": name,
            }
        if pick < 0.75:
            email, name = _pick(_OUTSIDERS, (pick - 0.45) / 0.3)
            return {
                "assignee_id": None,
                "assignee_type": "external",
                "assignee_email": email,
                "assignee_name": name,
                "requires_otp": True,
            }
        return {"assignee_id": None, "assignee_type": None, "assignee_email": None, "assignee_name": None}

    def _finish(
        self, values: dict, status: TaskStatus, end: datetime, opener: str | None, pool: _Pool, r: float
    ) -> PastEvent:
        if status == TaskStatus.COMPLETED:
            members = self.org.members
            actor = opener or (_pick(members, r)[0] if members else None)
            values.update(completed_at=end, completed_by=actor, data=_pick(pool.shape.answers, r))
            return PastEvent(TaskStatus.COMPLETED, end, actor)
        if status == TaskStatus.CANCELLED:
            reason = _pick(CANCEL_REASONS, r)
            values.update(cancelled_at=end, cancel_reason=reason)
            return PastEvent(
                TaskStatus.CANCELLED, end, self.org.creator, {"reason": reason} if reason else None
            )
        values["expired_at"] = end
        return PastEvent(TaskStatus.EXPIRED, end)


def fill(
    org: Org,
    count: int,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
    seed: int | None = None,
) -> int:
    """Write ``count`` demo tasks into ``org``'s store, ``batch`` per transaction.

    Args:
        org: Whose tasks (``find_org``).
        count: How many, at least 1.
        batch: Tasks per transaction.
        progress: Called with the number written so far after each transaction.
        seed: Makes the titles, statuses and times repeatable (ids of links stay random).

    Returns:
        How many tasks were written.
    """
    if count < 1:
        raise InvalidInput("Say how many tasks to make: --tasks must be at least 1.")
    args = (org, count, utcnow(), seed, batch, get_engine().url.render_as_string(hide_password=False))
    done = 0
    with bulk_writes(), _making_process(args) as batches:
        for chunk in batches:  # the next batch is made (and its rows readied) while this one is written
            _write(chunk)
            done += chunk.size
            if progress is not None:
                progress(done)
    if done != count:
        raise RuntimeError(f"The demo maker stopped after {done:,} of {count:,} tasks (its error is above).")
    return done


@contextmanager
def _making_process(args: tuple) -> Iterator[Iterator[PreparedTasks]]:
    """``python -m hpi_app.core.demo_making`` making the fill's batches; they are read as they come.

    The process is given ``args`` on its stdin and sends one pickled ``PreparedTasks`` after
    another on its stdout; a full pipe holds it back, so it is at most a batch ahead.
    """
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, (str(root), os.environ.get("PYTHONPATH")))),
    }
    maker = subprocess.Popen(
        [sys.executable, "-m", "hpi_app.core.demo_making"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )

    def batches() -> Iterator[PreparedTasks]:
        while True:
            try:
                yield pickle.load(maker.stdout)
            except (EOFError, pickle.UnpicklingError):  # the end, or the process stopped mid-batch
                return

    try:
        pickle.dump(args, maker.stdin)
        maker.stdin.close()
        yield batches()
    finally:
        maker.kill()
        maker.wait()
        maker.stdout.close()


def make_batches(
    org: Org, count: int, now: datetime, seed: int | None, batch: int, url: str
) -> Iterator[PreparedTasks]:
    """The fill's batches in order, rows readied for the store at ``url`` (what the making process runs)."""
    maker = _Maker(org, count, now, seed)
    dialect = build_engine(url).dialect
    for start in range(0, count, batch):
        yield prepare_tasks(dialect, maker.make_many(start, min(batch, count - start)))


def _write(chunk: PreparedTasks) -> None:
    with session_scope(write=True) as session:
        conn = session.connection()
        if conn.dialect.name == "sqlite":
            # This connection's page cache: the indexes of a long history stay in memory.
            conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        else:  # as SQLite's synchronous=OFF in bulk_writes: a crash may lose the last batches only
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        write_tasks(session, chunk)
        session.commit()
