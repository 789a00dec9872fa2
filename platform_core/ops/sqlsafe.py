"""The two reviewed ways to put a value into SQL text where a bind parameter cannot go.

PostgreSQL cannot bind identifiers (a partition's name in ``ALTER TABLE``), and DuckDB cannot bind the
target of ``COPY ... TO`` or the connection string of ``ATTACH``. Everything else is a bind parameter. The
security test (tests/ops/test_ops_security.py) accepts string-built SQL only when every non-constant part
goes through one of these functions.
"""

from __future__ import annotations

import re

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_$]{0,62}$")


class UnsafeSqlValue(ValueError):
    """A value that may not be placed into SQL text."""


def ident(name: str) -> str:
    """A double-quoted identifier; only lowercase catalog-style names are accepted (no quoting games)."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise UnsafeSqlValue(f"not a plain identifier: {name!r}")
    return f'"{name}"'


def sql_literal(value: str) -> str:
    """A single-quoted string literal (standard SQL: quotes doubled, no backslash escapes), for DuckDB
    statements that take no parameters. NUL bytes are refused."""
    if not isinstance(value, str) or "\x00" in value:
        raise UnsafeSqlValue("a SQL literal must be a string without NUL bytes")
    return "'" + value.replace("'", "''") + "'"
