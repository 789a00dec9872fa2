"""`ilp grade ...`: recompute lesson grades from attempts, and look up letter grades.

``recompute_grades`` streams the (lesson, student) pairs to look at, those with a grade row and those with
attempts at a lesson's questions, through a server-side cursor in one read transaction, and recomputes them
in bounded batches, one write transaction per batch, so memory stays flat and a failure loses at most one
batch's work. Pairs come in (lesson, student) order, the order in which submissions take grade locks too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import Select, and_, func, select, union

from platform_core.cli.output import console, errors, fail, print_json
from platform_core.db.session import tenant_session
from platform_core.grading.lesson_grades import refresh_lesson_grade, tenant_settings
from platform_core.grading.letters import letter_grade
from platform_core.models import Grade, Lesson, Question, QuestionAttempt, VideoGroup, VideoGroupVideo
from platform_core.tenancy.schemas import TenantSettings
from platform_core.tenancy.tenants import TenantNotFound, tenant_id_for_slug

app = typer.Typer(
    help="Lesson grades: recompute them from attempts, look up letter grades.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant slug, e.g. 'lincoln-high'.")]


@dataclass
class RecomputeReport:
    examined: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    seconds: float = 0.0


def _pairs(lesson_id: uuid.UUID | None) -> Select[tuple[uuid.UUID, uuid.UUID]]:
    """(lesson, student) pairs with a grade row or with attempts at the lesson's questions."""
    graded = select(Grade.lesson_id, Grade.student_id)
    attempted = (
        select(VideoGroup.lesson_id, QuestionAttempt.student_id)
        .join(
            Question,
            and_(Question.tenant_id == QuestionAttempt.tenant_id, Question.id == QuestionAttempt.question_id),
        )
        .join(
            VideoGroupVideo,
            and_(
                VideoGroupVideo.tenant_id == Question.tenant_id, VideoGroupVideo.video_id == Question.video_id
            ),
        )
        .join(
            VideoGroup,
            and_(
                VideoGroup.tenant_id == VideoGroupVideo.tenant_id,
                VideoGroup.id == VideoGroupVideo.video_group_id,
            ),
        )
    )
    if lesson_id is not None:
        graded = graded.where(Grade.lesson_id == lesson_id)
        attempted = attempted.where(VideoGroup.lesson_id == lesson_id)
    pairs = union(graded, attempted).subquery()
    return select(pairs.c.lesson_id, pairs.c.student_id)


def recompute_grades(
    tenant_id: uuid.UUID,
    *,
    lesson_id: uuid.UUID | None = None,
    batch_size: int = 200,
    on_total: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> RecomputeReport:
    """Recompute every grade of the tenant (or of one lesson) from scratch; write only those that differ.

    ``on_total`` receives the number of pairs before work starts, ``on_batch`` the size of each batch done.
    """
    if batch_size < 1:
        raise ValueError("batch_size: must be at least 1")
    started = time.perf_counter()
    report = RecomputeReport()
    with tenant_session(tenant_id) as read:
        if lesson_id is not None and read.get(Lesson, (tenant_id, lesson_id)) is None:
            raise LookupError(f"no lesson {lesson_id} in this tenant")
        query = _pairs(lesson_id)
        if on_total is not None:
            on_total(read.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = read.execute(query.order_by("lesson_id", "student_id").execution_options(yield_per=batch_size))
        for batch in rows.partitions():
            with tenant_session(tenant_id) as write:
                settings: TenantSettings = tenant_settings(write)
                for lesson, student in batch:
                    _, change = refresh_lesson_grade(
                        write, student_id=student, lesson_id=lesson, settings=settings
                    )
                    setattr(report, change, getattr(report, change) + 1)
            report.examined += len(batch)
            if on_batch is not None:
                on_batch(len(batch))
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _tenant(slug: str) -> uuid.UUID:
    try:
        return tenant_id_for_slug(slug)
    except TenantNotFound as exc:
        fail(str(exc))


@app.command("recompute")
def recompute(
    tenant: TenantOption,
    lesson: Annotated[str | None, typer.Option("--lesson", help="Only this lesson (its id).")] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=10_000, help="Grades per write transaction.")
    ] = 200,
    as_json: JsonOption = False,
) -> None:
    """Recompute lesson grades from attempts and current content; report how many changed.

    Each (lesson, student) pair with a grade or with attempts is checked; only differing grades are written.
    """
    tenant_id = _tenant(tenant)
    try:
        lesson_id = uuid.UUID(lesson) if lesson is not None else None
    except ValueError:
        fail(f"--lesson: not a lesson id: {lesson!r}")
    progress = Progress(
        TextColumn("recomputing grades"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    )
    task = progress.add_task("grades", total=None)
    with progress:
        try:
            report = recompute_grades(
                tenant_id,
                lesson_id=lesson_id,
                batch_size=batch_size,
                on_total=lambda total: progress.update(task, total=total),
                on_batch=lambda done: progress.advance(task, done),
            )
        except LookupError as exc:
            fail(str(exc))
    if as_json:
        print_json({"tenant": tenant, "lesson": lesson, **asdict(report)})
        return
    table = Table(title=f"grades of {tenant}" + (f", lesson {lesson}" if lesson else ""))
    for column in ("examined", "created", "changed", "unchanged", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(*(str(v) for v in asdict(report).values()))
    console.print(table)


@app.command("letter")
def letter(
    percent: Annotated[float, typer.Argument(help="A percentage between 0 and 100.")],
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="Use this tenant's letter scale (default: the standard one)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The letter grade for PERCENT on the tenant's scale, or on the default scale."""
    if not 0 <= percent <= 100:
        fail(f"PERCENT: must be between 0 and 100, got {percent:g}")
    if tenant is None:
        settings = TenantSettings()
    else:
        with tenant_session(_tenant(tenant)) as session:
            settings = tenant_settings(session)
    scale = settings.scale()
    result = letter_grade(percent, scale)
    if as_json:
        print_json(
            {
                "percentage": percent,
                "letter": result,
                "tenant": tenant,
                "scale": [{"letter": name, "minPercent": bound} for name, bound in scale],
            }
        )
        return
    console.print(result)
