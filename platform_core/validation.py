"""Turning pydantic validation errors into one clear ``ValueError`` that names the field and the reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class InvalidInput(ValueError):
    """Input rejected at an entry point; ``field`` is a dotted path such as ``settings.onWrong.to``."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


def field_path(loc: Sequence[int | str], root: str = "") -> str:
    path = root
    for part in loc:
        if part == "[key]":  # pydantic marks an invalid mapping key this way
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def first_error(exc: ValidationError, root: str = "") -> InvalidInput:
    err = exc.errors(include_url=False)[0]
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    message = err["msg"]
    if len(exc.errors()) > 1:
        message += f" (and {len(exc.errors()) - 1} more problem(s))"
    return InvalidInput(field_path(loc, root), message)


def validate_as(model: type[M], data: Any, *, root: str = "") -> M:
    """Validate ``data`` with ``model`` or raise :class:`InvalidInput` naming the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise first_error(exc, root) from None


def validated_json(model: type[BaseModel], data: Any, *, root: str = "") -> dict[str, Any]:
    """Validate and return the JSON-ready dict (camelCase aliases, no unset defaults dropped)."""
    return validate_as(model, data, root=root).model_dump(mode="json", by_alias=True, exclude_none=True)


class JsonModel(BaseModel):
    """Base for the JSONB shapes: camelCase on the wire and in storage, extra keys refused."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", str_strip_whitespace=True)
