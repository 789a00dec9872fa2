"""Independent computation of the analytics metrics from raw rows, in plain Python.

Nothing here imports ``platform_core.analytics``: rows come straight from the tables (``SELECT *``), and
every metric is recomputed with loops, ``statistics`` and ``math`` from its documented definition. The
tests compare these numbers with the module's output on every source.
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from platform_core.db.session import tenant_session

TABLES = (
    "users",
    "classes",
    "enrollments",
    "lessons",
    "class_lessons",
    "video_groups",
    "video_group_videos",
    "videos",
    "milestones",
    "questions",
    "student_progress",
    "student_sessions",
    "lesson_progress",
    "question_attempts",
    "grades",
    "analytics_events",
    "experiments",
    "experiment_assignments",
    "ai_usage",
    "ai_generation_jobs",
    "ai_configs",
    "ai_rejected_candidates",
    "tenants",
)


class Raw:
    """Every row of the tenant's tables, as dicts with string ids."""

    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self.t: dict[str, list[dict[str, Any]]] = {}
        with tenant_session(tenant_id) as s:
            for table in TABLES:
                rows = s.execute(text(f"SELECT * FROM {table}")).mappings().all()
                self.t[table] = [
                    {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in r.items()} for r in rows
                ]

    def __getitem__(self, table: str) -> list[dict[str, Any]]:
        return self.t[table]

    # ---------------------------------------------------------------------------- structure
    def students_of(self, class_id: str) -> list[str]:
        role = {u["id"]: u["role"] for u in self["users"]}
        return sorted(
            e["student_id"]
            for e in self["enrollments"]
            if e["class_id"] == class_id and role[e["student_id"]] == "student"
        )

    def active_classes(self) -> list[str]:
        return sorted(c["id"] for c in self["classes"] if c["archived_at"] is None)

    def lessons_of(self, class_id: str) -> list[str]:
        return [cl["lesson_id"] for cl in self["class_lessons"] if cl["class_id"] == class_id]

    def videos_of(self, lesson_id: str) -> list[str]:
        groups = {g["id"] for g in self["video_groups"] if g["lesson_id"] == lesson_id}
        return sorted({gv["video_id"] for gv in self["video_group_videos"] if gv["video_group_id"] in groups})

    def progress(self, student: str, video: str) -> dict[str, Any] | None:
        for p in self["student_progress"]:
            if p["student_id"] == student and p["video_id"] == video:
                return p
        return None

    def question_video(self) -> dict[str, str]:
        return {q["id"]: q["video_id"] for q in self["questions"]}

    # ------------------------------------------------------------------------ raw-event figures
    def watch_seconds(self) -> dict[tuple[str, str], float]:
        """(user, video) -> wall-clock seconds after play/progress/seek until the next event of the same
        user and video on the same UTC day, each gap at most 60 s."""
        videos = {v["id"] for v in self["videos"]}
        streams: dict[tuple[str, str, date], list[tuple[datetime, str, str]]] = defaultdict(list)
        for e in self["analytics_events"]:
            vid = (e["data"] or {}).get("video_id")
            if vid in videos:
                day = e["occurred_at"].astimezone(UTC).date()
                streams[(e["user_id"], vid, day)].append((e["occurred_at"], e["id"], e["type"]))
        out: dict[tuple[str, str], float] = defaultdict(float)
        for (user, vid, _day), events in streams.items():
            events.sort()
            for (at, _id, kind), nxt in itertools.pairwise(events):
                if kind in ("video_play", "video_progress", "video_seek"):
                    out[(user, vid)] += min((nxt[0] - at).total_seconds(), 60.0)
        return out

    def last_active(self) -> dict[str, datetime]:
        last: dict[str, datetime] = {}

        def see(user: str, at: datetime | None) -> None:
            if at is not None and (user not in last or at > last[user]):
                last[user] = at

        for e in self["analytics_events"]:
            see(e["user_id"], e["occurred_at"])
        for a in self["question_attempts"]:
            see(a["student_id"], a["submitted_at"])
        for s in self["student_sessions"]:
            see(s["student_id"], s["last_seen_at"])
        for p in self["student_progress"]:
            see(p["student_id"], p["last_event_at"])
        return last


# ------------------------------------------------------------------------------------ class dashboard
def class_overview(raw: Raw) -> dict[tuple[str, str], dict[str, Any]]:
    watch = raw.watch_seconds()
    out = {}
    for c in raw.active_classes():
        students = raw.students_of(c)
        for lesson in raw.lessons_of(c):
            videos = raw.videos_of(lesson)
            covs, started, completed, grades, spent = [], 0, 0, [], 0.0
            qv = raw.question_video()
            for st in students:
                mine = [raw.progress(st, v) for v in videos]
                covs += [p["coverage"] if p else 0.0 for p in mine]
                attempts = [
                    a
                    for a in raw["question_attempts"]
                    if a["student_id"] == st and qv[a["question_id"]] in videos
                ]
                grade = next(
                    (g for g in raw["grades"] if g["student_id"] == st and g["lesson_id"] == lesson), None
                )
                if (
                    any(p and p["coverage"] > 0 for p in mine)
                    or attempts
                    or (grade and grade["attempts_count"] > 0)
                ):
                    started += 1
                lp = next(
                    (x for x in raw["lesson_progress"] if x["student_id"] == st and x["lesson_id"] == lesson),
                    None,
                )
                completed += 1 if lp and lp["is_completed"] else 0
                if grade:
                    grades.append(grade["percentage"])
                spent += sum(watch.get((st, v), 0.0) for v in videos)
            n = len(students)
            out[(c, lesson)] = {
                "students": n,
                "started": started,
                "completed": completed,
                "completion_rate": completed / n if n else None,
                "avg_coverage": statistics.fmean(covs) if covs else None,
                "graded": len(grades),
                "avg_grade": statistics.fmean(grades) if grades else None,
                "median_grade": statistics.median(grades) if grades else None,
                "time_spent_seconds": spent,
                "videos": len(videos),
            }
    return out


def letter_distribution(raw: Raw) -> dict[tuple[str, str, str], int]:
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    for c in raw.active_classes():
        students = set(raw.students_of(c))
        for lesson in raw.lessons_of(c):
            for g in raw["grades"]:
                if g["student_id"] in students and g["lesson_id"] == lesson:
                    out[(c, lesson, g["letter"])] += 1
    return dict(out)


def class_students(
    raw: Raw, class_id: str, now: datetime, rules: dict[str, float]
) -> dict[str, dict[str, Any]]:
    watch = raw.watch_seconds()
    last = raw.last_active()
    qv = raw.question_video()
    out = {}
    for st in raw.students_of(class_id):
        lessons = raw.lessons_of(class_id)
        covs, done_videos, grades, attempts, failed, spent, lessons_done, n_videos = (
            [],
            0,
            [],
            0,
            0,
            0.0,
            0,
            0,
        )
        for lesson in lessons:
            videos = raw.videos_of(lesson)
            n_videos += len(videos)
            for v in videos:
                p = raw.progress(st, v)
                covs.append(p["coverage"] if p else 0.0)
                done_videos += 1 if p and p["is_completed"] else 0
                spent += watch.get((st, v), 0.0)
                for a in raw["question_attempts"]:
                    if a["student_id"] == st and qv[a["question_id"]] == v:
                        attempts += 1
                        failed += 0 if a["is_correct"] else 1
            g = next((g for g in raw["grades"] if g["student_id"] == st and g["lesson_id"] == lesson), None)
            if g:
                grades.append(g["percentage"])
            lp = next(
                (x for x in raw["lesson_progress"] if x["student_id"] == st and x["lesson_id"] == lesson),
                None,
            )
            lessons_done += 1 if lp and lp["is_completed"] else 0
        seen = last.get(st)
        days = math.floor((now - seen).total_seconds() / 86400) if seen else None
        avg_cov = statistics.fmean(covs) if covs else None
        grade = statistics.fmean(grades) if grades else None
        flags = {
            "flag_inactive": days is None or days >= rules["inactiveDays"],
            "flag_low_coverage": (avg_cov or 0.0) < rules["minCoverage"],
            "flag_low_grade": grade is not None and grade < rules["minPercent"],
            "flag_failed_attempts": failed > rules["maxFailedAttempts"],
        }
        out[st] = {
            "lessons": len(lessons),
            "lessons_completed": lessons_done,
            "videos": n_videos,
            "videos_completed": done_videos,
            "avg_coverage": avg_cov,
            "grade": grade,
            "graded_lessons": len(grades),
            "attempts": attempts,
            "failed_attempts": failed,
            "time_spent_seconds": spent,
            "last_active_at": seen,
            "days_inactive": days,
            **flags,
            "at_risk": any(flags.values()),
        }
    return out


# ------------------------------------------------------------------------------------------ engagement
def retention(raw: Raw, video_id: str, bins: int = 100) -> tuple[int, list[int]]:
    duration = next(v["duration_seconds"] for v in raw["videos"] if v["id"] == video_id)
    starters = [p for p in raw["student_progress"] if p["video_id"] == video_id and p["coverage"] > 0]
    viewers = []
    for i in range(bins):
        mid = (i + 0.5) * duration / bins
        viewers.append(sum(1 for p in starters if any(s <= mid <= e for s, e in p["watched_segments"])))
    return len(starters), viewers


def played_segments(raw: Raw, video_id: str) -> dict[str, list[tuple[float, float]]]:
    """The dataset's playback is play ... pause with steady heartbeats: each play opens a segment that
    its pause closes."""
    by_user: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in raw["analytics_events"]:
        if (e["data"] or {}).get("video_id") == video_id and e["type"] in ("video_play", "video_pause"):
            by_user[e["user_id"]].append(e)
    out = {}
    for user, events in by_user.items():
        events.sort(key=lambda e: (e["occurred_at"], e["id"]))
        segs, start = [], None
        for e in events:
            if e["type"] == "video_play":
                start = float(e["data"]["position"])
            elif start is not None:
                segs.append((start, float(e["data"]["position"])))
                start = None
        out[user] = segs
    return out


def rewatches(raw: Raw, video_id: str, bins: int = 100) -> tuple[list[int], list[int]]:
    duration = next(v["duration_seconds"] for v in raw["videos"] if v["id"] == video_id)
    views, viewers = [0] * bins, [0] * bins
    for segs in played_segments(raw, video_id).values():
        for i in range(bins):
            mid = (i + 0.5) * duration / bins
            n = sum(1 for s, e in segs if s <= mid <= e)
            views[i] += n
            viewers[i] += 1 if n else 0
    return views, viewers


# ----------------------------------------------------------------------------------------------- items
def items(raw: Raw) -> dict[str, dict[str, Any]]:
    tries: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for a in raw["question_attempts"]:
        tries[a["question_id"]][a["student_id"]].append(a)
    first = {
        q: {st: min(ts, key=lambda a: a["attempt_number"])["fraction"] for st, ts in by.items()}
        for q, by in tries.items()
    }
    total: dict[str, float] = defaultdict(float)
    for scores in first.values():
        for st, x in scores.items():
            total[st] += x
    out = {}
    for q, by in tries.items():
        xs = [first[q][st] for st in sorted(by)]
        rest = [total[st] - first[q][st] for st in sorted(by)]
        try:
            r = statistics.correlation(xs, rest)
        except statistics.StatisticsError:
            r = None
        n = len(by)
        d = upper_lower([(round(total[st], 9), first[q][st]) for st in by]) if n >= 2 else None
        firsts = [min(ts, key=lambda a: a["attempt_number"]) for ts in by.values()]
        to_correct = [
            min(a["attempt_number"] for a in ts if a["is_correct"])
            for ts in by.values()
            if any(a["is_correct"] for a in ts)
        ]
        out[q] = {
            "respondents": n,
            "attempts": sum(len(ts) for ts in by.values()),
            "p_value": statistics.fmean(xs),
            "first_attempt_correct_rate": sum(1 for a in firsts if a["is_correct"]) / n,
            "eventual_correct_rate": len(to_correct) / n,
            "mean_attempts_to_correct": statistics.fmean(to_correct) if to_correct else None,
            "median_attempts_to_correct": statistics.median(to_correct) if to_correct else None,
            "point_biserial": r,
            "discrimination_index": d,
        }
    return out


def upper_lower(scores: list[tuple[float, float]]) -> float:
    """Kelley's 27 % index; the students tied on the total across a group's edge fill its last places
    with their average item score."""
    n = len(scores)
    g = max(1, math.floor(0.27 * n + 0.5))

    def group(best: bool) -> float:
        ranked = sorted(scores, reverse=best)
        edge = ranked[g - 1][0]
        strictly = [x for t, x in scores if (t > edge if best else t < edge)]
        tied = [x for t, x in scores if t == edge]
        return (sum(strictly) + (g - len(strictly)) * statistics.fmean(tied)) / g

    return group(True) - group(False)


def answer_counts(raw: Raw) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = defaultdict(int)
    for a in raw["question_attempts"]:
        out[(a["question_id"], json.dumps(a["response"], sort_keys=True))] += 1
    return dict(out)


# ---------------------------------------------------------------------------------------------- AI
def spend_by_day_model(raw: Raw) -> dict[tuple[date, str, str], tuple[int, int, float]]:
    out: dict[tuple[date, str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for u in raw["ai_usage"]:
        if u["status"] == "reserved":
            continue
        key = (u["created_at"].astimezone(UTC).date(), u["provider"], u["requested_model"])
        out[key][0] += 1
        out[key][1] += 1 if u["cost_usd"] is None else 0
        out[key][2] += float(u["cost_usd"] or 0)
    return {k: (int(v[0]), int(v[1]), v[2]) for k, v in out.items()}


def cost_per_model(raw: Raw) -> dict[tuple[str, str], dict[str, float]]:
    configs = {c["id"]: (c["provider"], c["model"]) for c in raw["ai_configs"]}
    out: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for j in raw["ai_generation_jobs"]:
        key = configs.get(j["config_id"], ("unknown", "unknown"))
        agg = out[key]
        agg["jobs"] += 1
        agg["cost_usd"] += sum(
            float(u["cost_usd"] or 0)
            for u in raw["ai_usage"]
            if u["job_id"] == j["id"] and u["status"] != "reserved"
        )
        made = [q for q in raw["questions"] if q["generation_job_id"] == j["id"]]
        agg["generated"] += len(made)
        agg["approved"] += sum(1 for q in made if q["status"] in ("approved", "published"))
        agg["rejected"] += sum(1 for q in made if q["status"] == "rejected")
    return {k: dict(v) for k, v in out.items()}


def month_spend(raw: Raw, now: datetime) -> dict[date, float]:
    out: dict[date, float] = defaultdict(float)
    for u in raw["ai_usage"]:
        at = u["created_at"].astimezone(UTC)
        if u["status"] != "reserved" and (at.year, at.month) == (now.year, now.month) and at <= now:
            out[at.date()] += float(u["cost_usd"] or 0)
    return dict(out)


# ----------------------------------------------------------------------------------------- experiments
def experiment(raw: Raw, key: str) -> dict[str, dict[str, Any]]:
    exp = next(e for e in raw["experiments"] if e["key"] == key)
    out: dict[str, dict[str, Any]] = {}
    for a in raw["experiment_assignments"]:
        if a["experiment_id"] != exp["id"]:
            continue
        v = out.setdefault(a["variant"], {"users": 0, "completed": 0, "grades": []})
        v["users"] += 1
        v["completed"] += (
            1
            if any(lp["student_id"] == a["user_id"] and lp["is_completed"] for lp in raw["lesson_progress"])
            else 0
        )
        mine = [g["percentage"] for g in raw["grades"] if g["student_id"] == a["user_id"]]
        if mine:
            v["grades"].append(statistics.fmean(mine))
    return out


def welch(a: list[float], b: list[float]) -> tuple[float, float]:
    """Welch's t statistic and degrees of freedom."""
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    t = (statistics.fmean(a) - statistics.fmean(b)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return t, df


def days_between(a: datetime, b: datetime) -> int:
    return (a - b) // timedelta(days=1)
