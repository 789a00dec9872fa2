"""``ilp seed``: realistic tenants with content and eight weeks of simulated learner activity.

For each tenant: plan it (deterministically from the seed), create it as the owner, write people, content,
classes and experiments through the platform's services, then play every learner through the same APIs a
real player uses: ``activity.sessions.sync_session``, ``grading.attempts.submit_attempt`` and
``activity.ingest.ingest_events``. Only the ``now`` anchor ties the run to the wall clock, and it is a
parameter. Existing tenants are refused unless ``replace`` (which drops and recreates them).
"""

from __future__ import annotations

import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from platform_core.db.engine import owner_engine
from platform_core.db.session import tenant_session
from platform_core.models import (
    AnalyticsEvent,
    Experiment,
    Milestone,
    Question,
    QuestionAttempt,
    StudentProgress,
    StudentSession,
)
from platform_core.simulation.backends import PlatformBackend
from platform_core.simulation.content_plan import SCALES, TenantPlan, plan_tenant
from platform_core.simulation.learners import assign_variant, make_profile, plan_sittings
from platform_core.simulation.player import Player
from platform_core.simulation.player_state import PlayerStats
from platform_core.simulation.stream import EventStream, IngestTotals
from platform_core.simulation.writer import (
    WrittenTenant,
    write_classes,
    write_content,
    write_experiments,
    write_people,
)
from platform_core.tenancy.summary import tenant_counts
from platform_core.tenancy.tenants import create_tenant, list_tenants
from platform_core.validation import InvalidInput

Progress = Callable[[str, int, int], None]
MAX_TENANTS = 50
#: How far ``now`` may lie ahead of this machine's clock (ingest refuses events further ahead).
NOW_SLACK = timedelta(minutes=5)


class SeedConflict(ValueError):
    """A tenant the seed would create exists already (pass ``replace=True`` / ``--replace``)."""


@dataclass(frozen=True)
class SeedOptions:
    scale: str = "small"
    seed: int = 1
    tenants: int | None = None
    now: datetime | None = None
    replace: bool = False
    prefix: str = "sim"
    batch_size: int = 5000
    #: learners simulated at the same time (each with its own database connection)
    workers: int = 2

    def slugs(self) -> list[str]:
        count = self.tenants if self.tenants is not None else SCALES[self.scale].tenants
        return [f"{self.prefix}-{self.scale}-{self.seed}-{k + 1}" for k in range(count)]


@dataclass
class TenantReport:
    slug: str
    tenant_id: uuid.UUID
    name: str
    counts: dict[str, int]
    activity: PlayerStats
    ingest: IngestTotals
    accounts: list[dict[str, str]]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "tenant_id": str(self.tenant_id),
            "name": self.name,
            "counts": self.counts,
            "activity": asdict(self.activity),
            "ingest": self.ingest.to_dict(),
            "accounts": self.accounts,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class SeedReport:
    scale: str
    seed: int
    now: datetime
    tenants: list[TenantReport] = field(default_factory=list)
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for tenant in self.tenants:
            for key, value in tenant.counts.items():
                totals[key] = totals.get(key, 0) + value
        return totals

    def to_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "seed": self.seed,
            "now": self.now.isoformat(),
            "seconds": round(self.seconds, 2),
            "totals": self.totals(),
            "tenants": [t.to_dict() for t in self.tenants],
        }


def _check(options: SeedOptions) -> datetime:
    if options.scale not in SCALES:
        raise InvalidInput("scale", f"must be one of {', '.join(SCALES)}")
    count = options.tenants if options.tenants is not None else SCALES[options.scale].tenants
    if not 1 <= count <= MAX_TENANTS:
        raise InvalidInput("tenants", f"must be from 1 to {MAX_TENANTS}")
    if not 1 <= options.workers <= 16:
        raise InvalidInput("workers", "must be from 1 to 16")
    if not 1 <= options.batch_size <= 50_000:
        raise InvalidInput("batch_size", "must be from 1 to 50000")
    now = options.now or datetime.now(UTC).replace(microsecond=0)
    if now.tzinfo is None:
        raise InvalidInput("now", "must include a time zone")
    if now > datetime.now(UTC) + NOW_SLACK:
        raise InvalidInput("now", "must not lie in the future (events from the future are refused)")
    return now.astimezone(UTC)


_AUDIT_TRIGGERS = text(
    """
    SELECT c.relname
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE t.tgname = 'audit_row' AND t.tgparentid = 0 AND t.tgenabled <> 'D' AND n.nspname = current_schema()
    ORDER BY c.relname
    """
)


def drop_tenant(tenant_id: uuid.UUID) -> None:
    """Delete a tenant and everything it holds, its audit trail included (an operator task, as the schema
    owner, for the synthetic tenants this command creates).

    The row audit triggers would record each cascaded delete in ``audit_logs`` under the tenant being
    deleted, which its foreign key to ``tenants`` refuses; so, in the same transaction, the ``audit_row``
    triggers are disabled around the delete and enabled again. ``ALTER TABLE ... DISABLE TRIGGER`` locks
    the audited tables against writes until the commit, so no other write goes unaudited meanwhile.
    """
    with owner_engine().begin() as conn:
        tables = list(conn.execute(_AUDIT_TRIGGERS).scalars())
        for table in tables:
            conn.execute(text(f'ALTER TABLE "{table}" DISABLE TRIGGER audit_row'))
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})
        conn.execute(text("DELETE FROM tenants WHERE id = :t"), {"t": tenant_id})
        for table in tables:
            conn.execute(text(f'ALTER TABLE "{table}" ENABLE TRIGGER audit_row'))


def _tagged(progress: Progress | None, tag: str) -> Progress | None:
    """``progress`` with each stage name prefixed by ``tag`` (the tenant), so every tenant gets its bars."""
    if progress is None:
        return None
    report = progress
    return lambda stage, done, total: report(f"{tag} {stage}", done, total)


def run_seed(options: SeedOptions, *, progress: Progress | None = None) -> SeedReport:
    """Create the seeded tenants (refusing, or with ``replace`` dropping, existing ones) and simulate them."""
    now = _check(options)
    started = time.perf_counter()
    slugs = options.slugs()
    existing = {t.slug: t.id for t in list_tenants() if t.slug in slugs}
    if existing and not options.replace:
        raise SeedConflict(
            f"tenant(s) {', '.join(sorted(existing))} exist already: pass --replace to drop and recreate them"
        )
    for tenant_id in existing.values():
        drop_tenant(tenant_id)
    report = SeedReport(options.scale, options.seed, now)
    scale = SCALES[options.scale]
    for index, slug in enumerate(slugs):
        plan = plan_tenant(options.seed, scale, index, now=now, slug=slug)
        tenant = create_tenant(slug=slug, name=plan.name)
        try:
            report.tenants.append(
                seed_tenant(
                    tenant.id,
                    plan,
                    seed=options.seed,
                    batch_size=options.batch_size,
                    workers=options.workers,
                    progress=progress,
                )
            )
        except BaseException:
            drop_tenant(tenant.id)  # nothing half-seeded stays behind
            raise
    report.seconds = time.perf_counter() - started
    return report


def seed_tenant(
    tenant_id: uuid.UUID,
    plan: TenantPlan,
    *,
    seed: int,
    batch_size: int = 5000,
    workers: int = 2,
    progress: Progress | None = None,
) -> TenantReport:
    """Write ``plan`` into the (existing, empty) tenant and play all its learners."""
    started = time.perf_counter()
    written = WrittenTenant(tenant_id, plan.slug)
    progress = _tagged(progress, plan.slug)

    write_people(written, plan, seed=seed, progress=progress)
    write_content(written, plan, progress=progress)
    write_classes(written, plan)
    variants = {
        student.id: {e.key: assign_variant(e.key, student.id, e.variants) for e in plan.experiments}
        for student in plan.students
    }
    write_experiments(written, plan, variants)
    activity, ingest = simulate_learners(
        written, plan, batch_size=batch_size, workers=workers, progress=progress
    )
    return TenantReport(
        slug=plan.slug,
        tenant_id=tenant_id,
        name=plan.name,
        counts=count_rows(tenant_id),
        activity=activity,
        ingest=ingest,
        accounts=written.accounts,
        seconds=time.perf_counter() - started,
    )


def simulate_learners(
    written: WrittenTenant,
    plan: TenantPlan,
    *,
    batch_size: int = 5000,
    workers: int = 2,
    progress: Progress | None = None,
) -> tuple[PlayerStats, IngestTotals]:
    """Play every student of the plan, streaming their events into ingest.

    ``workers`` learners play at the same time (each learner's rows are their own, so they never wait on each
    other); their results are taken in student order and a learner's events are handed to ingest only once
    all of that learner's sittings have committed, so the ingest transaction never touches rows a sitting
    still holds. Memory holds at most about ``2 * workers`` learners' events plus one ingest batch.
    """
    lessons = {lesson.id: lesson.video_ids for lesson in plan.lessons}
    minutes = {
        lesson.id: sum(plan.videos[v].duration for v in lesson.video_ids) / 60 for lesson in plan.lessons
    }
    assignments: dict[int, list[tuple[uuid.UUID, datetime, datetime, float]]] = {}
    for klass in plan.classes:
        for index in klass.student_indexes:
            for a in klass.assignments:
                assignments.setdefault(index, []).append(
                    (a.lesson_id, a.assigned_at, a.due_at, minutes[a.lesson_id])
                )
    experiments = [(e.key, e.variants) for e in plan.experiments]

    def play(index: int) -> tuple[PlayerStats, list[dict[str, Any]]]:
        student = plan.students[index]
        rng = random.Random(student.seed)
        user_id = written.user_ids[student.id]
        profile = make_profile(
            rng, user_id, start=plan.start, now=plan.now, experiments=experiments, bucket=student.id
        )
        sittings = plan_sittings(rng, profile, assignments.get(index, []), now=plan.now)
        events: list[dict[str, Any]] = []
        player = Player(
            profile=profile,
            videos=plan.videos,
            lessons=lessons,
            backend=PlatformBackend(written.tenant_id, user_id),
            sink=events.append,
            rng=rng,
            now=plan.now,
        )
        return player.run(sittings), events

    stats = PlayerStats()
    stream = EventStream(written.tenant_id, batch_size=batch_size)
    pending: deque[Future[tuple[PlayerStats, list[dict[str, Any]]]]] = deque()
    finished = 0

    def collect() -> None:
        nonlocal finished
        learner_stats, events = pending.popleft().result()
        stats.add(learner_stats)
        stream.extend(events)
        stream.boundary()
        finished += 1
        if progress is not None:
            progress("learners", finished, len(plan.students))

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="ilp-seed-learner") as pool:
        try:
            for index in range(len(plan.students)):
                pending.append(pool.submit(play, index))
                if len(pending) >= 2 * max(1, workers):
                    collect()
            while pending:
                collect()
        except BaseException:
            for future in pending:
                future.cancel()
            stream.abort()
            raise
    return stats, stream.close()


def count_rows(tenant_id: uuid.UUID) -> dict[str, int]:
    """What the tenant holds after seeding."""
    queries = {
        "milestones": select(func.count()).select_from(Milestone),
        "experiments": select(func.count()).select_from(Experiment),
        "events": select(func.count()).select_from(AnalyticsEvent),
        "sessions": select(func.count()).select_from(StudentSession),
        "progress_rows": select(func.count()).select_from(StudentProgress),
        "attempts": select(func.count()).select_from(QuestionAttempt),
        "question_types": select(func.count(func.distinct(Question.type))),
    }
    with tenant_session(tenant_id) as session:
        counts = tenant_counts(session)
        counts.update({name: session.scalar(query) or 0 for name, query in queries.items()})
    return counts
