"""Text normalisation shared by every type that compares text.

Both sides of a comparison go through :func:`normalize`: trim both ends, collapse internal runs of white
space to one space, Unicode NFC, and (unless case sensitive) full Unicode case folding, so
``"STRASSE"`` equals ``"straße"``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from .errors import InvalidResponse

__all__ = ["coerce_text", "collapse", "normalize"]

_WHITESPACE = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Trim, collapse white space runs to one space, and NFC-normalise."""
    return unicodedata.normalize("NFC", _WHITESPACE.sub(" ", text).strip())


def normalize(text: str, case_sensitive: bool = False) -> str:
    """Normalise ``text`` for comparison; casefolding is re-NFC'd because folding can denormalise."""
    text = collapse(text)
    if not case_sensitive:
        text = unicodedata.normalize("NFC", text.casefold())
    return text


def coerce_text(value: Any, field: str) -> str | None:
    """Turn a textual response into ``str``; ``None`` stays ``None`` (an empty answer).

    Numbers are accepted and written the way a learner would type them (``3.0`` -> ``"3"``), because
    clients sometimes send numeric-looking text as JSON numbers. Booleans and containers are refused.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise InvalidResponse(field, "expected text, got a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidResponse(field, "expected text, got a non-finite number")
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    raise InvalidResponse(field, f"expected text, got {type(value).__name__}")
