"""`ilp ai generate`, `ilp ai jobs`, `ilp ai usage` and `ilp ai budget ...`: running generation, and what it
costs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from platform_core.ai import budgets, jobs, ledger
from platform_core.cli.ai.common import (
    Json,
    Tenant,
    app,
    guard,
    parse_params,
    progress_bar,
    user_id_for,
)
from platform_core.cli.output import console, fail, print_json
from platform_core.db.session import tenant_session
from platform_core.models import JobStatus
from platform_core.tenancy.tenants import tenant_id_for_slug
from platform_core.validation import InvalidInput

budget_app = typer.Typer(help="Monthly AI budgets per tenant.", no_args_is_help=True)


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
    with guard():
        tenant_id = tenant_id_for_slug(tenant)
        user_id = user_id_for(tenant_id, user)
        with progress_bar() as bar:
            task = bar.add_task("generating", total=None)
            result = jobs.generate_questions(
                tenant_id,
                video_id=video,
                config_name=config,
                user_id=user_id,
                params=parse_params(param),
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
    with guard(), tenant_session(tenant_id_for_slug(tenant)) as session:
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


@app.command()
def usage(
    tenant: Tenant,
    month: Annotated[str | None, typer.Option(help="YYYY-MM (default: this month).")] = None,
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (instead of --month).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    as_json: Json = False,
) -> None:
    """AI usage and cost: totals, per day/provider/model, per job, budgets and alerts."""
    with guard():
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
    with guard(), tenant_session(tenant_id_for_slug(tenant)) as session:
        row = budgets.set_tenant_budget(
            session, monthly_budget_usd=None if monthly == "none" else monthly, soft_limit_ratio=soft_ratio
        )
        limit = row.monthly_budget_usd or "none"
        console.print(f"budget of {tenant}: {limit} USD/month, alert at {row.soft_limit_ratio} of it")


@budget_app.command("show")
def budget_show(tenant: Tenant, as_json: Json = False) -> None:
    """This month's budget figures (tenant and configurations)."""
    with guard(), tenant_session(tenant_id_for_slug(tenant)) as session:
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
