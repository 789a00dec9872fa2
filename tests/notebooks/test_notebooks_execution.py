"""Every notebook runs top to bottom (nbclient, a fresh kernel of this interpreter, the network refused) on a
freshly seeded PostgreSQL database and on its export, and shows its figures."""

from __future__ import annotations

import pytest

from platform_core.cli.notebook_pairs import NOTEBOOKS_DIR, notebook_sources
from platform_core.cli.notebook_runs import PLOTLY_MIME, NotebookRun, run_notebook
from tests.notebooks.conftest import NotebookDataset

pytestmark = pytest.mark.slow

LABELS = {"postgres": "PostgreSQL (read-only)", "export": "DuckDB over an export"}


def _titles(run: NotebookRun) -> list[str]:
    return [
        (out["data"][PLOTLY_MIME].get("layout", {}).get("title") or {}).get("text", "")
        for cell in run.notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if PLOTLY_MIME in out.get("data", {})
    ]


def _printed(run: NotebookRun) -> str:
    return "".join(
        out.get("text", "")
        for cell in run.notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "stream"
    )


@pytest.mark.parametrize("name", [p.stem for p in notebook_sources()])
def test_notebooks_execute_on_postgres_and_on_the_export(
    notebook_dataset: NotebookDataset, name: str
) -> None:
    runs = {}
    for source, where in (("postgres", "postgres"), ("export", str(notebook_dataset.export_dir))):
        run = run_notebook(
            NOTEBOOKS_DIR / f"{name}.ipynb",
            params={"source": where, "tenant": notebook_dataset.tenant},
            env=notebook_dataset.env,
        )
        assert run.ok, f"{name} on {source}: cell {run.failed_cell} failed: {run.error}"
        assert run.figures >= 1, f"{name} on {source} showed no Plotly figure"
        assert LABELS[source] in _printed(run), f"{name} did not read {source}"
        for cell in run.notebook.cells:
            if cell.cell_type == "code":
                assert all(o.get("output_type") != "error" for o in cell.outputs)
                assert cell.execution_count is not None, "every code cell ran"
        runs[source] = run
    # the same data give the same story on both sources
    assert _titles(runs["postgres"]) == _titles(runs["export"])


def test_notebooks_research_metrics_agree_on_the_seeded_export(notebook_dataset: NotebookDataset) -> None:
    """On realistic data (ties, pseudonymised ids in the export) the notebooks' own metrics give the same
    frames on the database, reached through its URL, and on the export."""
    import polars as pl
    from polars.testing import assert_frame_equal

    from platform_core.analytics import research as R

    pg = R.open_research_source(notebook_dataset.url, tenant=notebook_dataset.tenant)
    duck = R.open_research_source(str(notebook_dataset.export_dir), tenant=notebook_dataset.tenant)
    assert isinstance(pg, R.ReadOnlyPostgresSource)
    metrics = {
        "class_catalog": R.class_catalog,
        "video_catalog": R.video_catalog,
        "question_catalog": R.question_catalog,
        "experiment_catalog": R.experiment_catalog,
        "completion_over_time": R.completion_over_time,
        "activity_by_hour": lambda s: R.activity_by_hour(s, timezone=R.tenant_timezone(s)),
        "tokens_per_question": R.tokens_per_question,
        "ai_review_reasons": R.ai_review_reasons,
        "distractor_analysis": R.distractor_analysis,
    }
    for name, metric in metrics.items():
        on_pg, on_export = metric(pg), metric(duck)
        assert on_pg.height > 0, f"{name}: the seeded dataset should give rows"
        try:
            assert_frame_equal(on_pg, on_export, check_exact=False)
        except AssertionError as exc:
            pytest.fail(f"{name} differs between PostgreSQL and the export: {exc}")
    reasons = R.ai_review_reasons(pg)
    assert set(reasons.filter(pl.col("stage") == "review")["reason"]) >= {"approved", "ambiguous wording"}
