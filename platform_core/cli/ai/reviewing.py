"""`ilp ai review ...`: list, approve, reject and edit generated questions, one or in bulk."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from platform_core.ai import review
from platform_core.cli.ai.common import (
    Json,
    Reviewer,
    Tenant,
    guard,
    progress_bar,
    user_id_for,
)
from platform_core.cli.output import console, print_json
from platform_core.db.session import tenant_session
from platform_core.tenancy.tenants import tenant_id_for_slug
from platform_core.validation import InvalidInput

review_app = typer.Typer(
    help="Review generated questions: list, approve, reject, edit.", no_args_is_help=True
)


def _question_ids(ids: list[str] | None, positional: list[str] | None) -> list[str]:
    return [
        part.strip()
        for value in [*(ids or []), *(positional or [])]
        for part in value.split(",")
        if part.strip()
    ]


def _bulk(
    tenant: str,
    reviewer: str | None,
    ids: list[str],
    all_pending: bool,
    video: str | None,
    job: str | None,
    action: Callable[[Any, list[Any]], list[review.ReviewOutcome]],
    verb: str,
) -> list[review.ReviewOutcome]:
    tenant_id = tenant_id_for_slug(tenant)
    user_id = user_id_for(tenant_id, reviewer)
    if bool(ids) == all_pending:
        raise InvalidInput("ids", "give question ids or --all-pending (not both)")
    if ids:
        with tenant_session(tenant_id, user_id=user_id) as session:
            return action(session, ids)
    video_id, job_id = (uuid.UUID(video) if video else None), (uuid.UUID(job) if job else None)
    outcomes: list[review.ReviewOutcome] = []
    with progress_bar() as bar:
        task = bar.add_task(verb, total=None)
        while True:  # one transaction per batch: bounded memory and lock time
            with tenant_session(tenant_id, user_id=user_id) as session:
                batch = [
                    q.id
                    for q in review.pending_questions(session, video_id=video_id, job_id=job_id, limit=200)
                ]
                if not batch:
                    break
                outcomes += action(session, batch)
            bar.update(task, completed=len(outcomes))
    return outcomes


def _report(outcomes: list[review.ReviewOutcome], as_json: bool, verb: str) -> None:
    if as_json:
        print_json([o.as_json() for o in outcomes])
    else:
        console.print(f"{verb} {len(outcomes)} question(s)")


IdsOption = Annotated[
    list[str] | None, typer.Option("--ids", help="Question ids (comma-separated, repeatable).")
]
IdsArgument = Annotated[list[str] | None, typer.Argument(help="Question ids.", show_default=False)]
AllPending = Annotated[bool, typer.Option("--all-pending", help="Every question awaiting review.")]
VideoFilter = Annotated[str | None, typer.Option("--video", help="With --all-pending: only this video.")]
JobFilter = Annotated[str | None, typer.Option("--job", help="With --all-pending: only this job.")]


@review_app.command("list")
def review_list(
    tenant: Tenant,
    video: VideoFilter = None,
    job: JobFilter = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 50,
    as_json: Json = False,
) -> None:
    """Questions awaiting review."""
    with guard(), tenant_session(tenant_id_for_slug(tenant)) as session:
        rows = [
            {
                "id": str(q.id),
                "video_id": str(q.video_id),
                "type": q.type.value,
                "prompt": q.prompt,
                "data": q.data,
                "explanation": q.explanation,
                "source": q.source.value,
                "job_id": str(q.generation_job_id or ""),
                "ai_metadata": q.ai_metadata,
            }
            for q in review.pending_questions(
                session,
                video_id=uuid.UUID(video) if video else None,
                job_id=uuid.UUID(job) if job else None,
                limit=limit,
            )
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "type", "prompt", "quote", "difficulty")
    for r in rows:
        meta = r["ai_metadata"] or {}
        table.add_row(
            r["id"],
            r["type"],
            r["prompt"][:70],
            str(meta.get("sourceQuote", ""))[:40],
            str(meta.get("difficulty", "")),
        )
    console.print(table)


@review_app.command("approve")
def review_approve(
    tenant: Tenant,
    ids_arg: IdsArgument = None,
    ids: IdsOption = None,
    all_pending: AllPending = False,
    video: VideoFilter = None,
    job: JobFilter = None,
    reason: Annotated[str | None, typer.Option()] = None,
    reviewer: Reviewer = None,
    as_json: Json = False,
) -> None:
    """Approve questions (by id, or every pending one): students can answer them from then on."""
    with guard():
        outcomes = _bulk(
            tenant,
            reviewer,
            _question_ids(ids, ids_arg),
            all_pending,
            video,
            job,
            lambda s, batch: review.approve_questions(s, question_ids=batch, reason=reason),
            "approving",
        )
    _report(outcomes, as_json, "approved")


@review_app.command("reject")
def review_reject(
    tenant: Tenant,
    reason: Annotated[str, typer.Option(help="Why (required).")],
    ids_arg: IdsArgument = None,
    ids: IdsOption = None,
    all_pending: AllPending = False,
    video: VideoFilter = None,
    job: JobFilter = None,
    reviewer: Reviewer = None,
    as_json: Json = False,
) -> None:
    """Reject questions with a reason."""
    with guard():
        outcomes = _bulk(
            tenant,
            reviewer,
            _question_ids(ids, ids_arg),
            all_pending,
            video,
            job,
            lambda s, batch: review.reject_questions(s, question_ids=batch, reason=reason),
            "rejecting",
        )
    _report(outcomes, as_json, "rejected")


@review_app.command("edit")
def review_edit(
    tenant: Tenant,
    question: Annotated[str | None, typer.Option("--id", help="The question to edit.")] = None,
    prompt: Annotated[str | None, typer.Option(help="New prompt.")] = None,
    data: Annotated[str | None, typer.Option(help="New data as JSON (QUESTIONS.md).")] = None,
    question_type: Annotated[
        str | None, typer.Option("--type", help="New question type (with --data).")
    ] = None,
    explanation: Annotated[str | None, typer.Option(help="New explanation.")] = None,
    file: Annotated[
        Path | None, typer.Option(help="JSON list of edits {id, prompt?, data?, type?, ...}.")
    ] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Approve the edited questions.")] = False,
    reason: Annotated[str | None, typer.Option()] = None,
    reviewer: Reviewer = None,
    as_json: Json = False,
) -> None:
    """Edit questions (then approve them with --approve; otherwise they go back to pending review)."""
    with guard():
        if (file is None) == (question is None):
            raise InvalidInput("id", "give --id with the changes, or --file")
        if file is not None:
            edits = json.loads(file.read_text())
            if not isinstance(edits, list):
                raise InvalidInput("file", "must hold a JSON list of edits")
        else:
            edit: dict[str, Any] = {"id": question}
            for key, value in (("prompt", prompt), ("type", question_type), ("explanation", explanation)):
                if value is not None:
                    edit[key] = value
            if data is not None:
                edit["data"] = json.loads(data)
            edits = [edit]
        tenant_id = tenant_id_for_slug(tenant)
        with tenant_session(tenant_id, user_id=user_id_for(tenant_id, reviewer)) as session:
            outcomes = review.edit_questions(session, edits=edits, approve=approve, reason=reason)
    _report(outcomes, as_json, "edited and approved" if approve else "edited")
