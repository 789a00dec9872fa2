"""Which pages exist, in which navigation section, and for which roles.

The router registers only the pages a role may see (a page missing from the navigation cannot be reached
by URL either); every page also checks its own entry here on the way in, as a second line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platform_core.models import UserRole

PAGES_DIR = Path(__file__).parent / "pages"

ADMIN, TEACHER, RESEARCHER, STUDENT = UserRole.ADMIN, UserRole.TEACHER, UserRole.RESEARCHER, UserRole.STUDENT
EVERYONE = frozenset(UserRole)
STAFF = frozenset({ADMIN, TEACHER, RESEARCHER})
TEACHING = frozenset({ADMIN, TEACHER})
ANALYSTS = frozenset({ADMIN, TEACHER, RESEARCHER})
RESEARCH = frozenset({ADMIN, RESEARCHER})
ADMINS = frozenset({ADMIN})


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    url_path: str
    section: str
    roles: frozenset[UserRole]
    default: bool = False

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview.py", "Overview", ":material/dashboard:", "overview", "Workbench", EVERYONE, True),
    PageSpec("class_overview.py", "Class overview", ":material/groups:", "class", "Teaching", TEACHING),
    PageSpec(
        "video_engagement.py", "Video engagement", ":material/play_circle:", "video", "Teaching", ANALYSTS
    ),
    PageSpec(
        "question_analysis.py",
        "Question analysis",
        ":material/quiz:",
        "questions-analysis",
        "Teaching",
        ANALYSTS,
    ),
    PageSpec("student_drilldown.py", "Students", ":material/person_search:", "student", "Teaching", TEACHING),
    PageSpec("lessons.py", "Lessons", ":material/menu_book:", "lessons", "Content", TEACHING),
    PageSpec("videos.py", "Videos", ":material/movie:", "videos", "Content", TEACHING),
    PageSpec("milestones.py", "Milestones", ":material/flag:", "milestones", "Content", TEACHING),
    PageSpec(
        "question_editor.py", "Questions", ":material/edit_note:", "question-editor", "Content", TEACHING
    ),
    PageSpec("search.py", "Search", ":material/search:", "search", "Content", TEACHING),
    PageSpec("review_queue.py", "Question review", ":material/fact_check:", "review", "Content", TEACHING),
    PageSpec("ai_usage.py", "AI usage & cost", ":material/payments:", "ai-usage", "Admin", ADMINS),
    PageSpec("ai_configs.py", "AI providers", ":material/smart_toy:", "ai-configs", "Admin", ADMINS),
    PageSpec("users.py", "Users & roles", ":material/manage_accounts:", "users", "Admin", ADMINS),
    PageSpec("audit_log.py", "Audit log", ":material/history:", "audit", "Admin", ADMINS),
    PageSpec("db_health.py", "Database health", ":material/monitor_heart:", "db-health", "Admin", ADMINS),
    PageSpec("alerts.py", "Alerts", ":material/notifications:", "alerts", "Admin", ADMINS),
    PageSpec("export.py", "Export", ":material/download:", "export", "Research", RESEARCH),
    PageSpec("notebooks.py", "Notebooks", ":material/science:", "notebooks", "Research", RESEARCH),
    PageSpec("sign_out.py", "Sign out", ":material/logout:", "sign-out", "Account", EVERYONE),
)

SIGN_IN = PageSpec("sign_in.py", "Sign in", ":material/login:", "sign-in", "", frozenset(), True)


def pages_for(role: UserRole | None) -> list[PageSpec]:
    """The pages a role may open, in navigation order (signed out: only the sign-in page)."""
    if role is None:
        return [SIGN_IN]
    return [spec for spec in PAGES if role in spec.roles]


def spec_for(file: str | Path) -> PageSpec:
    name = Path(file).name
    for spec in (*PAGES, SIGN_IN):
        if spec.file == name:
            return spec
    raise KeyError(f"page {name} is not in the registry")
