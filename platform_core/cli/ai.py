"""`ilp ai ...`: provider configurations, generation jobs, usage and budgets, review, prices.

API keys are never taken on the command line (shell history, process lists): ``--api-key-env VAR`` reads
the key from an environment variable, ``--api-key-stdin`` from standard input. Listings show the masked key.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from platform_core.ai import budgets, configs, crypto, jobs, ledger, pricing, review
from platform_core.cli.output import console, errors, fail, print_json
from platform_core.db.session import tenant_session, unscoped_session
from platform_core.models import AIProvider, JobStatus, User
from platform_core.tenancy.tenants import TenantNotFound, list_tenants, tenant_id_for_slug
from platform_core.validation import InvalidInput

app = typer.Typer(
    help="AI question generation: providers, jobs, cost ledger, budgets, review.", no_args_is_help=True
)
config_app = typer.Typer(
    help="Provider configurations per tenant (keys encrypted, shown masked).", no_args_is_help=True
)
review_app = typer.Typer(
    help="Review generated questions: list, approve, reject, edit.", no_args_is_help=True
)
prices_app = typer.Typer(help="The versioned price table (USD per million tokens).", no_args_is_help=True)
budget_app = typer.Typer(help="Monthly AI budgets per tenant.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(review_app, name="review")
app.add_typer(prices_app, name="prices")
app.add_typer(budget_app, name="budget")

Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug.")]
Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Reviewer = Annotated[str | None, typer.Option("--reviewer", help="Email of the reviewing teacher or admin.")]
EXPECTED = (
    InvalidInput,
    TenantNotFound,
    configs.ConfigNotFound,
    crypto.SecretKeyError,
    ValueError,
    LookupError,
)


@contextmanager
def _guard() -> Iterator[None]:
    try:
        yield
    except EXPECTED as exc:
        fail(str(exc))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
    )


def _params(values: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; values are read as JSON when they parse (numbers, lists), else as text."""
    out: dict[str, Any] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput("param", f"expected key=value, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _read_key(env_var: str | None, stdin: bool) -> str | None:
    if env_var and stdin:
        raise InvalidInput("api_key", "give --api-key-env or --api-key-stdin, not both")
    if env_var:
        value = os.environ.get(env_var, "").strip()
        if not value:
            raise InvalidInput("api_key_env", f"environment variable {env_var} is not set or empty")
        return value
    if stdin:
        value = sys.stdin.readline().strip()
        if not value:
            raise InvalidInput("api_key", "nothing on standard input")
        return value
    return None


def _user_id(tenant_id: uuid.UUID, email: str | None) -> uuid.UUID | None:
    if email is None:
        return None
    with tenant_session(tenant_id) as session:
        user_id = session.scalar(select(User.id).where(func.lower(User.email) == email.strip().lower()))
    if user_id is None:
        raise InvalidInput("reviewer", f"no user {email!r} in this tenant")
    return user_id


# ---------------------------------------------------------------------------------------------- configs
@config_app.command("add")
def config_add(
    tenant: Tenant,
    name: Annotated[str, typer.Option(help="A name for this configuration, unique in the tenant.")],
    provider: Annotated[str, typer.Option(help=f"One of {', '.join(p.value for p in AIProvider)}.")],
    model: Annotated[str, typer.Option(help="Model (Azure: the deployment name).")],
    base_url: Annotated[
        str | None, typer.Option(help="API base URL (compatible servers, Azure endpoint).")
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Read the API key from this environment variable.")
    ] = None,
    api_key_stdin: Annotated[bool, typer.Option(help="Read the API key from standard input.")] = False,
    monthly_budget: Annotated[
        str | None, typer.Option(help="Monthly budget of this configuration, USD.")
    ] = None,
    api_version: Annotated[str | None, typer.Option(help="Azure OpenAI API version.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 60.0,
    max_retries: Annotated[int, typer.Option(help="Retries on 429, 5xx and timeouts.")] = 3,
    param: Annotated[list[str] | None, typer.Option(help="AI parameter key=value (repeatable).")] = None,
    default: Annotated[
        bool | None, typer.Option("--default/--no-default", help="Make it the default.")
    ] = None,
) -> None:
    """Add a provider configuration; the API key is encrypted before it is stored."""
    with _guard():
        key = _read_key(api_key_env, api_key_stdin)
        with tenant_session(tenant_id_for_slug(tenant)) as session:
            config = configs.add_config(
                session,
                name=name,
                provider=provider,
                model=model,
                base_url=base_url,
                api_version=api_version,
                api_key=key,
                params=_params(param),
                timeout_seconds=timeout,
                max_retries=max_retries,
                monthly_budget_usd=monthly_budget,
                make_default=default,
            )
            shown = configs.describe(config)
    console.print(
        f"added AI configuration [bold]{shown['name']}[/] ({shown['provider']}, {shown['model']}), "
        f"key {shown['apiKey'] or 'none'}{', default' if shown['default'] else ''}"
    )


@config_app.command("set")
def config_set(
    tenant: Tenant,
    name: Annotated[str, typer.Option(help="The configuration to change.")],
    model: Annotated[str | None, typer.Option(help="New model.")] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="New API key from this environment variable.")
    ] = None,
    api_key_stdin: Annotated[bool, typer.Option(help="New API key from standard input.")] = False,
    monthly_budget: Annotated[str | None, typer.Option(help="Monthly budget in USD, or 'none'.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per request.")] = None,
    max_retries: Annotated[int | None, typer.Option(help="Retries on 429, 5xx and timeouts.")] = None,
    param: Annotated[list[str] | None, typer.Option(help="AI parameter key=value (repeatable).")] = None,
    default: Annotated[bool, typer.Option("--default", help="Make it the default.")] = False,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Enable or disable it.")] = None,
) -> None:
    """Change a configuration (key, model, budget, limits, parameters, default, active)."""
    with _guard():
        budget: Any = (
            configs._UNSET
            if monthly_budget is None
            else (None if monthly_budget == "none" else monthly_budget)
        )
        with tenant_session(tenant_id_for_slug(tenant)) as session:
            config = configs.update_config(
                session,
                name=name,
                api_key=_read_key(api_key_env, api_key_stdin),
                model=model,
                monthly_budget_usd=budget,
                timeout_seconds=timeout,
                max_retries=max_retries,
                params=_params(param) or None,
                make_default=default,
                active=active,
            )
            console.print(f"updated [bold]{config.name}[/]")


@config_app.command("list")
def config_list(
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Tenant slug (default: every tenant).")
    ] = None,
    as_json: Json = False,
) -> None:
    """List configurations with the masked key."""
    with _guard():
        slugs = [tenant] if tenant else [t.slug for t in list_tenants() if t.is_active]
        rows = []
        for slug in slugs:
            with tenant_session(tenant_id_for_slug(slug)) as session:
                rows += [{"tenant": slug, **configs.describe(c)} for c in configs.list_configs(session)]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "tenant", "name", "provider", "model", "base url", "key", "budget/month", "default", "active"
    )
    for r in rows:
        table.add_row(
            r["tenant"],
            r["name"],
            r["provider"],
            r["model"],
            r["baseUrl"] or "",
            r["apiKey"] or "-",
            r["monthlyBudgetUsd"] or "-",
            "yes" if r["default"] else "",
            "yes" if r["active"] else "no",
        )
    console.print(table)


@config_app.command("rotate-keys")
def config_rotate_keys(
    new_key: Annotated[
        bool, typer.Option("--new-key", help="First add a fresh key to the key file.")
    ] = False,
) -> None:
    """Re-encrypt every stored API key with the newest key material (after a new key was put first)."""
    with _guard():
        if new_key:
            console.print(f"new key added to {crypto.add_key_to_file()}")
        total = 0
        for t in list_tenants():
            with tenant_session(t.id) as session:
                total += configs.reencrypt_api_keys(session)
    console.print(f"re-encrypted {total} API key(s) with the newest key")


# ------------------------------------------------------------------------------------------- generation
@app.command()
def generate(
    tenant: Tenant,
    video: Annotated[str, typer.Option("--video", help="Video id.")],
    config: Annotated[
        str | None, typer.Option("--config", help="Configuration name (default: the default).")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option(help="Override an AI parameter for this job: key=value.")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Email of the user requesting the job.")] = None,
    as_json: Json = False,
) -> None:
    """Generate questions for a video; they wait for human review (exit code 1 if the job failed)."""
    with _guard():
        tenant_id = tenant_id_for_slug(tenant)
        user_id = _user_id(tenant_id, user)
        with _progress() as bar:
            task = bar.add_task("generating", total=None)
            result = jobs.generate_questions(
                tenant_id,
                video_id=video,
                config_name=config,
                user_id=user_id,
                params=_params(param),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    if as_json:
        print_json(result.as_json())
    else:
        console.print(
            f"job {result.job_id}: [bold]{result.status.value}[/], {result.questions_created} question(s) "
            f"pending review, {result.candidates_rejected} candidate(s) rejected, {result.calls} call(s), "
            f"${result.cost_usd:f}"
            + (f" + {result.unpriced_calls} unpriced" if result.unpriced_calls else "")
        )
    if result.status is JobStatus.FAILED:
        fail(
            f"generation failed ({result.error['type'] if result.error else '?'}): "
            f"{result.error['message'] if result.error else ''}"
        )


@app.command("jobs")
def jobs_list(
    tenant: Tenant, limit: Annotated[int, typer.Option(help="How many.")] = 20, as_json: Json = False
) -> None:
    """Recent generation jobs with their state and error."""
    with _guard(), tenant_session(tenant_id_for_slug(tenant)) as session:
        rows = [
            {
                "id": str(j.id),
                "video_id": str(j.video_id),
                "status": j.status.value,
                "questions": j.questions_created,
                "rejected": j.candidates_rejected,
                "calls": j.attempts,
                "cost_usd": f"{j.cost_usd:f}",
                "error": j.error,
                "created_at": j.created_at.isoformat(),
            }
            for j in jobs.list_jobs(session, limit=limit)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("job", "video", "status", "questions", "rejected", "calls", "cost USD", "error")
    for r in rows:
        error = f"{r['error']['type']}: {r['error']['message']}"[:60] if r["error"] else ""
        table.add_row(
            r["id"],
            r["video_id"],
            r["status"],
            str(r["questions"]),
            str(r["rejected"]),
            str(r["calls"]),
            r["cost_usd"],
            error,
        )
    console.print(table)


# ------------------------------------------------------------------------------------------ usage, budget
@app.command()
def usage(
    tenant: Tenant,
    month: Annotated[str | None, typer.Option(help="YYYY-MM (default: this month).")] = None,
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (instead of --month).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    as_json: Json = False,
) -> None:
    """AI usage and cost: totals, per day/provider/model, per job, budgets and alerts."""
    with _guard():
        start, end = _period(month, since, until)
        with tenant_session(tenant_id_for_slug(tenant)) as session:
            report = ledger.usage_report(session, since=start, until=end)
    if as_json:
        print_json({"tenant": tenant, **report})
        return
    t = report["totals"]
    console.print(
        f"[bold]{tenant}[/] {report['since']} .. {report['until'] or 'today'}: {t['calls']} call(s), "
        f"{t['prompt_tokens']} prompt ({t['cached_tokens']} cached) + {t['completion_tokens']} completion "
        f"tokens, ${t['cost_usd']}, {t['unpriced_calls']} unpriced, {t['failed_calls']} failed"
    )
    table = Table(
        "day",
        "provider",
        "model",
        "calls",
        "ok",
        "invalid",
        "failed",
        "prompt",
        "cached",
        "completion",
        "reasoning",
        "cost USD",
        "unpriced",
        title="daily",
    )
    for d in report["daily"]:
        table.add_row(
            d["day"],
            d["provider"],
            d["model"],
            *(
                str(d[k])
                for k in (
                    "calls",
                    "ok_calls",
                    "invalid_calls",
                    "failed_calls",
                    "prompt_tokens",
                    "cached_tokens",
                    "completion_tokens",
                    "reasoning_tokens",
                )
            ),
            d["cost_usd"] or "-",
            str(d["unpriced_calls"]),
        )
    console.print(table)
    for b in report["budgets"]:
        console.print(
            f"budget {b['scope']}: ${b['spentUsd']} spent + ${b['reservedUsd']} reserved of "
            f"${b['limitUsd']} ({b['level']})"
        )
    for a in report["alerts"]:
        console.print(f"[yellow]alert[/] {a['level']} {a['created_at'][:19]}: {a['message']}")


def _period(month: str | None, since: str | None, until: str | None) -> tuple[date, date | None]:
    try:
        if since:
            return date.fromisoformat(since), date.fromisoformat(until) if until else None
        if month:
            first = datetime.strptime(month, "%Y-%m").date()
            nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, date.fromordinal(nxt.toordinal() - 1)
    except ValueError as exc:
        raise InvalidInput("month" if month else "since", str(exc)) from None
    return budgets.month_start(), None


@budget_app.command("set")
def budget_set(
    tenant: Tenant,
    monthly: Annotated[str, typer.Option(help="Monthly limit in USD, or 'none' to remove it.")],
    soft_ratio: Annotated[str | None, typer.Option(help="Alert when this share is used (e.g. 0.8).")] = None,
) -> None:
    """Set the tenant's monthly AI budget (a hard limit; an alert fires at the soft ratio)."""
    with _guard(), tenant_session(tenant_id_for_slug(tenant)) as session:
        row = budgets.set_tenant_budget(
            session, monthly_budget_usd=None if monthly == "none" else monthly, soft_limit_ratio=soft_ratio
        )
        limit = row.monthly_budget_usd or "none"
        console.print(f"budget of {tenant}: {limit} USD/month, alert at {row.soft_limit_ratio} of it")


@budget_app.command("show")
def budget_show(tenant: Tenant, as_json: Json = False) -> None:
    """This month's budget figures (tenant and configurations)."""
    with _guard(), tenant_session(tenant_id_for_slug(tenant)) as session:
        rows = [s.as_json() for s in budgets.budget_status(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("scope", "limit USD", "spent", "reserved", "remaining", "level")
    for r in rows:
        table.add_row(
            r["scope"], r["limitUsd"], r["spentUsd"], r["reservedUsd"], r["remainingUsd"], r["level"]
        )
    console.print(table if rows else "no budget set")


# ------------------------------------------------------------------------------------------------ review
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
    user_id = _user_id(tenant_id, reviewer)
    if bool(ids) == all_pending:
        raise InvalidInput("ids", "give question ids or --all-pending (not both)")
    if ids:
        with tenant_session(tenant_id, user_id=user_id) as session:
            return action(session, ids)
    video_id, job_id = (uuid.UUID(video) if video else None), (uuid.UUID(job) if job else None)
    outcomes: list[review.ReviewOutcome] = []
    with _progress() as bar:
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
    with _guard(), tenant_session(tenant_id_for_slug(tenant)) as session:
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
    with _guard():
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
    with _guard():
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
    with _guard():
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
        with tenant_session(tenant_id, user_id=_user_id(tenant_id, reviewer)) as session:
            outcomes = review.edit_questions(session, edits=edits, approve=approve, reason=reason)
    _report(outcomes, as_json, "edited and approved" if approve else "edited")


# ------------------------------------------------------------------------------------------------ prices
@prices_app.command("list")
def prices_list(
    current: Annotated[bool, typer.Option(help="Only prices in force now.")] = False, as_json: Json = False
) -> None:
    """The price table (every version unless --current)."""
    with _guard(), unscoped_session() as session:  # a shared table: readable without a tenant
        rows = [
            {
                "provider": p.provider.value,
                "model": p.model,
                "effective_from": p.effective_from.isoformat(),
                "input_usd_per_mtok": f"{p.input_usd_per_mtok:f}",
                "cached_input_usd_per_mtok": None
                if p.cached_input_usd_per_mtok is None
                else f"{p.cached_input_usd_per_mtok:f}",
                "output_usd_per_mtok": f"{p.output_usd_per_mtok:f}",
                "notes": p.notes,
            }
            for p in pricing.list_prices(session, current_only=current)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "provider", "model", "from", "input", "cached input", "output", "notes", title="USD per 1M tokens"
    )
    for r in rows:
        table.add_row(
            r["provider"],
            r["model"],
            r["effective_from"][:10],
            r["input_usd_per_mtok"],
            r["cached_input_usd_per_mtok"] or "-",
            r["output_usd_per_mtok"],
            r["notes"] or "",
        )
    console.print(table)


@prices_app.command("add")
def prices_add(
    provider: Annotated[str, typer.Option()],
    model: Annotated[str, typer.Option()],
    input_price: Annotated[str, typer.Option("--input", help="USD per million input tokens.")],
    output_price: Annotated[str, typer.Option("--output", help="USD per million output tokens.")],
    cached_input: Annotated[str | None, typer.Option(help="USD per million cached input tokens.")] = None,
    effective_from: Annotated[str | None, typer.Option(help="ISO date/time (default: now).")] = None,
    notes: Annotated[str | None, typer.Option(help="Source of the price.")] = None,
) -> None:
    """Add a price version (operator task, as the database owner)."""
    with _guard():
        since = None
        if effective_from:
            since = datetime.fromisoformat(effective_from)
            since = since if since.tzinfo else since.replace(tzinfo=UTC)
        row = pricing.add_price(
            provider=provider,
            model=model,
            input_usd_per_mtok=input_price,
            output_usd_per_mtok=output_price,
            cached_input_usd_per_mtok=cached_input,
            effective_from=since,
            notes=notes,
        )
    console.print(
        f"price for {row.provider.value}/{row.model} from {row.effective_from:%Y-%m-%d %H:%M} added"
    )


@prices_app.command("seed")
def prices_seed() -> None:
    """Add the default (dated) price rows that are missing."""
    with _guard():
        added = pricing.seed_default_prices()
    console.print(f"{added} default price row(s) added ({len(pricing.DEFAULT_PRICES)} known)")
