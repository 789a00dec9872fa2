"""A/B results by hand: 20 users per variant, 5 vs 15 lesson completions, three grades each."""

from __future__ import annotations

import math
import uuid

import pytest

from platform_core.analytics import experiment_results, open_source
from platform_core.db.session import tenant_session
from platform_core.models import Experiment, ExperimentAssignment, Grade, Lesson, LessonProgress
from platform_core.tenancy.users import create_user
from tests.factories import new_tenant


@pytest.fixture(scope="module")
def experiment(database) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = new_tenant("ab")
    tid = tenant.tenant_id
    with tenant_session(tid) as s:
        users = [
            create_user(s, email=f"u{i}@{tenant.slug}.test", display_name=f"U{i}", role="student").id
            for i in range(40)
        ]
    lesson = uuid.uuid4()
    with tenant_session(tid) as s:
        exp = Experiment(
            id=uuid.uuid4(),
            tenant_id=tid,
            key="ab",
            name="AB",
            variants=[{"key": "control"}, {"key": "treatment"}],
        )
        s.add_all([exp, Lesson(id=lesson, tenant_id=tid, title="L")])
        s.flush()
        grades = {"control": [50.0, 60.0, 70.0], "treatment": [70.0, 80.0, 90.0]}
        for i, user in enumerate(users):
            variant = "control" if i < 20 else "treatment"
            k = i % 20
            done = k < (5 if variant == "control" else 15)
            s.add(ExperimentAssignment(tenant_id=tid, experiment_id=exp.id, user_id=user, variant=variant))
            s.add(LessonProgress(tenant_id=tid, student_id=user, lesson_id=lesson, is_completed=done))
            if k < 3:
                pct = grades[variant][k]
                s.add(
                    Grade(
                        tenant_id=tid,
                        student_id=user,
                        lesson_id=lesson,
                        percentage=pct,
                        letter="C",
                        grading_method="penalized",
                    )
                )
    return tid, lesson


def test_variant_outcomes_tests_and_effect_sizes(experiment) -> None:
    tid, lesson = experiment
    with open_source(tid) as src:
        rows = {
            r["variant"]: r for r in experiment_results(src, experiment_key="ab", lesson_id=lesson).to_dicts()
        }
    control, treat = rows["control"], rows["treatment"]
    assert control["is_control"] and (control["users"], control["completed"]) == (20, 5)
    assert (treat["users"], treat["completed"], treat["completion_rate"]) == (20, 15, 0.75)
    # Wilson 95 % interval of 15/20
    assert treat["completion_ci_low"] == pytest.approx(0.5313, abs=1e-4)
    assert treat["completion_ci_high"] == pytest.approx(0.8881, abs=1e-4)
    # every expected count is 10: chi-square, statistic 40 * (15*15 - 5*5)^2 / 20^4 = 10 on 1 df
    assert treat["completion_test"] == "chi2"
    assert treat["completion_p_value"] == pytest.approx(math.erfc(math.sqrt(10 / 2)))
    assert treat["completion_diff"] == 0.5 and treat["odds_ratio"] == 9.0
    half = 1.959963984540054 * math.sqrt(2 * 0.75 * 0.25 / 20)
    assert (treat["completion_diff_ci_low"], treat["completion_diff_ci_high"]) == pytest.approx(
        (0.5 - half, 0.5 + half)
    )
    # grades 70/80/90 vs 50/60/70: difference 20, Welch t = 20 / sqrt(200/3) on 4 df, pooled sd 10
    assert (treat["graded"], treat["mean_grade"], treat["grade_diff"]) == (3, 80.0, 20.0)
    assert treat["welch_p_value"] == pytest.approx(0.070484, abs=1e-6)
    assert treat["hedges_g"] == pytest.approx(2 * (1 - 3 / (4 * 6 - 9)))
    assert treat["grade_diff_ci_low"] < 0 < 20 < treat["grade_diff_ci_high"]  # not significant at 5 %
    # Mann-Whitney U = 8.5 of 9 pairs (one tie at 70): rank-biserial 2 * 8.5 / 9 - 1
    assert treat["rank_biserial"] == pytest.approx(2 * 8.5 / 9 - 1)
    assert control["welch_p_value"] is None and control["completion_diff"] is None


def test_small_samples_use_fisher(experiment) -> None:
    tid, _lesson = experiment
    with open_source(tid) as src:
        # without a lesson: completed = any lesson completed (the same here), grades = mean of the user's
        treat = experiment_results(src, experiment_key="ab").filter(variant="treatment").row(0, named=True)
    assert treat["completion_test"] == "chi2" and treat["completed"] == 15
    from platform_core.analytics.experiments import _completion_test

    fisher = _completion_test(3, 4, 0, 4)
    assert fisher["completion_test"] == "fisher" and fisher["completion_p_value"] == pytest.approx(1 / 7)
    assert _completion_test(4, 4, 4, 4)["completion_test"] == "none"
