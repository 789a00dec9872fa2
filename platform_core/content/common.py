"""Helpers shared by the content services: the session's tenant and user, lookups that name the missing
field, text checks, partial-update sentinels and the reorder primitive."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from typing import Any, Final, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_core.db.session import TENANT_KEY, USER_KEY
from platform_core.validation import InvalidInput

T = TypeVar("T")
E = TypeVar("E", bound=enum.StrEnum)


class _Unset(enum.Enum):
    """Marks a keyword argument of an update function that was not given (``None`` may be a value)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.UNSET


class NotFound(InvalidInput, LookupError):
    """A referenced row does not exist in the session's tenant; ``field`` names the argument."""


def tenant_of(session: Session) -> uuid.UUID:
    """The tenant of a session opened with ``tenant_session`` (fails loudly on any other session)."""
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise RuntimeError("content services need a session from tenant_session(...)")
    return tenant_id


def acting_user(session: Session) -> uuid.UUID | None:
    return session.info.get(USER_KEY)


def as_uuid(value: uuid.UUID | str, field: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(field, f"not a UUID: {value!r}") from None


def fetch(session: Session, model: type[T], ident: uuid.UUID | str, field: str, *, lock: bool = False) -> T:
    """Load ``model`` by id within the tenant or raise :class:`NotFound` naming ``field``."""
    key = as_uuid(ident, field)
    query = select(model).where(model.tenant_id == tenant_of(session), model.id == key)  # type: ignore[attr-defined]
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound(field, f"no {_NOUNS.get(model.__name__, model.__name__)} {key} in this tenant")
    return row


_NOUNS = {
    "Lesson": "lesson",
    "VideoGroup": "video group",
    "Video": "video",
    "Milestone": "milestone",
    "Question": "question",
    "SchoolClass": "class",
    "User": "user",
}


def required_text(value: Any, field: str, *, max_length: int = 500, single_line: bool = True) -> str:
    """A non-empty string; ``single_line`` (titles, names) collapses runs of white space to one space,
    otherwise (prompts) only the ends are trimmed, so line breaks survive."""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    text = " ".join(value.split()) if single_line else value.strip()
    if not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return text


def optional_text(value: Any, field: str, *, max_length: int = 20_000) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string or null")
    text = value.strip()
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return text or None


def as_enum(enum_cls: type[E], value: Any, field: str) -> E:
    try:
        return enum_cls(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum_cls)
        raise InvalidInput(field, f"must be one of {choices} (got {value!r})") from None


def non_negative_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(field, "must be an integer >= 0")
    return value


def check_permutation(
    current: Sequence[uuid.UUID], wanted: Sequence[uuid.UUID | str], field: str
) -> list[uuid.UUID]:
    """``wanted`` must list every id of ``current`` exactly once; returns it as UUIDs."""
    order = [as_uuid(value, f"{field}[{index}]") for index, value in enumerate(wanted)]
    seen: set[uuid.UUID] = set()
    for index, ident in enumerate(order):
        if ident in seen:
            raise InvalidInput(f"{field}[{index}]", f"{ident} is listed twice")
        if ident not in current:
            raise InvalidInput(f"{field}[{index}]", f"{ident} is not a member")
        seen.add(ident)
    missing = [ident for ident in current if ident not in seen]
    if missing:
        raise InvalidInput(field, f"must list every member; missing {', '.join(map(str, missing))}")
    return order


def next_position(positions: Sequence[int | None]) -> int:
    """The position after the last one (0 for an empty list)."""
    present = [p for p in positions if p is not None]
    return max(present) + 1 if present else 0
