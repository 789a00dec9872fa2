"""Security review, enforced: no string-built SQL reaches a database call.

The scan walks the platform and dashboard code for calls that run SQL (``text()``, ``execute``,
``exec_driver_sql``, ``executemany``, DuckDB's ``sql``/``query``) whose SQL argument is built with an
f-string, ``%``, ``+`` or ``.format()``. Such a construction passes only when every non-constant part is
itself safe: a literal, a module constant (UPPER_CASE), an identifier or literal quoted by
``platform_core.ops.sqlsafe`` (``ident``/``sql_literal``), or a local variable assigned only from such
parts. Anything else must be a reviewed entry of :data:`REVIEWED` (identifier-only cases whose names come
from the code or the catalog, never from a request), or be rewritten with bind parameters.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("platform_core", "dashboard")
SQL_CALLS = {"text", "execute", "exec_driver_sql", "executemany", "sql", "query", "scalar", "scalars"}
SAFE_CALLS = {"ident", "sql_literal", "quote_ident", "Identifier", "Literal", "SQL", "int", "float", "len"}

#: (file, function) -> why the dynamic part is safe. Keep this short; prefer bind parameters.
REVIEWED: dict[tuple[str, str], str] = {
    ("platform_core/analytics/duckdb_pg.py", "connect_live"): (
        "alias checked with str.isidentifier(); the connection string is a literal with quotes doubled"
    ),
    ("platform_core/analytics/export.py", "export_tenant"): (
        "table and tenant-column names come from plan_tables(), i.e. from the code"
    ),
    ("platform_core/analytics/export.py", "write_duckdb_views"): (
        "view names are the exported tables' names (from the code); the path is a literal with quotes doubled"
    ),
    ("platform_core/simulation/seed.py", "drop_tenant"): (
        "table names read from pg_class (the tables carrying the audit trigger), double-quoted"
    ),
    ("platform_core/analytics/sources.py", "open"): (
        "view names come from an export's manifest.json (a local file the user opens), the reader name is "
        "fixed and the path a literal with quotes doubled; follow-up: validate the names as identifiers"
    ),
}


def _is_constant_name(name: str) -> bool:
    stripped = name.lstrip("_")
    return bool(stripped) and stripped.upper() == stripped and any(ch.isalpha() for ch in stripped)


class _Checker:
    def __init__(self, safe_locals: set[str], builders: dict[str, list[str]] | None = None) -> None:
        self.safe_locals = safe_locals
        #: helper functions returning SQL fragments: name -> parameters they interpolate
        self.builders = builders or {}

    def safe(self, node: ast.AST) -> bool:
        """True when ``node`` can only produce SQL text fixed by the code."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return _is_constant_name(node.id) or node.id in self.safe_locals
        if isinstance(node, ast.Attribute):
            return _is_constant_name(node.attr) or (self.safe(node.value) and _is_constant_name(node.attr))
        if isinstance(node, ast.Subscript):
            return self.safe(node.value)
        if isinstance(node, ast.JoinedStr):
            return all(self.safe(v.value) if isinstance(v, ast.FormattedValue) else True for v in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            return self.safe(node.left) and self.safe(node.right)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in SAFE_CALLS:
                return True
            if name in self.builders:
                return self._builder_call(node, self.builders[name])
            if name == "__iter__":  # a loop over a safe collection yields safe items
                return self.safe(node.args[0])
            if name in ("items", "keys", "values") and isinstance(func, ast.Attribute):
                return self.safe(func.value)
            if name == "format" and isinstance(func, ast.Attribute):
                args = [*node.args, *(k.value for k in node.keywords)]
                return self.safe(func.value) and all(self.safe(a) for a in args)
            if name == "join" and isinstance(func, ast.Attribute) and self.safe(func.value):
                return all(self.safe(a) or (isinstance(a, ast.GeneratorExp | ast.ListComp) and self._comp(a))
                           for a in node.args)  # fmt: skip
        if isinstance(node, ast.IfExp):
            return self.safe(node.body) and self.safe(node.orelse)
        if isinstance(node, ast.List | ast.Tuple):
            return all(self.safe(e) for e in node.elts)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.safe(node.elt)
        return False

    def _comp(self, node: ast.GeneratorExp | ast.ListComp) -> bool:
        return self.safe(node.elt)

    def _builder_call(self, node: ast.Call, interpolated: list[str]) -> bool:
        """A fragment builder is safe to call when what it interpolates is safe at the call site."""
        params = interpolated
        positional = [a for i, a in enumerate(node.args) if i < len(params) and params[i] is not None]
        keywords = [k.value for k in node.keywords if k.arg in params]
        return all(self.safe(a) for a in [*positional, *keywords])


def _builders(trees: list[ast.Module]) -> dict[str, list[str]]:
    """Functions that return SQL-like fragments built only from constants and their own parameters;
    maps the name to its parameters, with None for those never interpolated."""
    found: dict[str, list[str]] = {}
    for tree in trees:
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            returns = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
            if not returns or not any(
                _built(r) or isinstance(r, ast.BinOp | ast.IfExp | ast.Name) for r in returns
            ):
                continue
            params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]]
            used = {
                v.id
                for f in ast.walk(fn)
                if isinstance(f, ast.FormattedValue)
                for v in ast.walk(f.value)
                if isinstance(v, ast.Name)
            }
            checker = _Checker(set(params))
            assigned = _assignments(fn)
            checker.safe_locals = set(params) | _safe_locals_from(assigned, checker, set(params))
            if all(checker.safe(r) for r in returns):
                found[fn.name] = [p if p in used else None for p in params]  # type: ignore[misc]
    return found


def _built(node: ast.AST) -> bool:
    """Whether the SQL argument is string-built (rather than a literal, a name or a call result)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def _assignments(function: ast.AST) -> dict[str, list[ast.AST]]:
    """What each local name is assigned from (a loop variable: from the iterable, marked ``__iter__``)."""
    assigned: dict[str, list[ast.AST]] = {}

    def bind(target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Name):
            assigned.setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Tuple | ast.List):
            values = value.elts if isinstance(value, ast.Tuple | ast.List) else None
            for index, element in enumerate(target.elts):
                bind(element, values[index] if values and len(values) == len(target.elts) else value)

    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                bind(target, node.value)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            bind(node.target, node.value)
        elif isinstance(node, ast.For | ast.comprehension):
            bind(node.target, ast.Call(func=ast.Name(id="__iter__"), args=[node.iter], keywords=[]))
        elif isinstance(node, ast.NamedExpr):
            bind(node.target, node.value)
    return assigned


def _safe_locals(assigned: dict[str, list[ast.AST]], checker: _Checker) -> set[str]:
    """Local names assigned only from safe expressions (iterated to a fixed point)."""
    return _safe_locals_from(assigned, checker, set())


def _safe_locals_from(assigned: dict[str, list[ast.AST]], checker: _Checker, seed: set[str]) -> set[str]:
    safe: set[str] = set()
    while True:
        checker.safe_locals = safe | seed
        grown = {name for name, values in assigned.items() if all(checker.safe(v) for v in values)}
        if grown == safe:
            return safe
        safe = grown


def findings(root: Path = ROOT) -> Iterator[tuple[str, str, int, str]]:
    paths = [p for folder in SCANNED for p in sorted((root / folder).rglob("*.py"))]
    trees = {p: ast.parse(p.read_text(), filename=str(p)) for p in paths}
    builders = _builders(list(trees.values()))
    for path, tree in trees.items():
        if True:
            relative = str(path.relative_to(root))
            scopes = [
                tree,
                *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)),
            ]
            for scope in scopes:
                checker = _Checker(set(), builders)
                assigned = _assignments(scope) if scope is not tree else {}
                checker.safe_locals = _safe_locals(assigned, checker)
                name = getattr(scope, "name", "<module>")
                body = scope.body if scope is not tree else [n for n in tree.body if not isinstance(
                    n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]  # fmt: skip
                for node in (n for stmt in body for n in ast.walk(stmt)):
                    if not isinstance(node, ast.Call) or not node.args:
                        continue
                    func = node.func
                    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if called not in SQL_CALLS:
                        continue
                    argument = node.args[0]
                    built = _built(argument) or (
                        isinstance(argument, ast.Name)
                        and any(_built(v) for v in assigned.get(argument.id, []))
                    )
                    if built and not checker.safe(argument) and (relative, name) not in REVIEWED:
                        yield relative, name, node.lineno, ast.unparse(argument)[:120]


def test_no_string_built_sql_reaches_the_database() -> None:
    found = list(findings())
    assert found == [], "string-built SQL (use bind parameters, or ident()/sql_literal()):\n" + "\n".join(
        f"  {path}:{line} in {function}: {code}" for path, function, line, code in found
    )


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("def f(x):\n    s.execute(text(f'SELECT * FROM t WHERE a = {x}'))", True),
        ("def f(x):\n    s.execute(text('SELECT * FROM t WHERE a = ' + x))", True),
        ("def f(x):\n    s.execute(text('SELECT * FROM t WHERE a = {}'.format(x)))", True),
        ("def f(x):\n    q = f'DELETE FROM {x}'\n    s.execute(text(q))", True),
        ("def f(x):\n    s.execute(text(f'SELECT * FROM {ident(x)}'))", False),
        ("def f(x):\n    s.execute(text(f'SELECT {COLUMNS[x]} FROM t'))", False),
        ("def f(x):\n    src = f'{ident(x)}.t'\n    s.execute(text(f'SELECT * FROM {src}'))", False),
        ("def f(x):\n    src = f'{x}.t'\n    s.execute(text(f'SELECT * FROM {src}'))", True),
        ("def f(x):\n    s.execute(text('SELECT * FROM t WHERE a = :x'), {'x': x})", False),
    ],
)
def test_the_scan_tells_built_from_bound(tmp_path: Path, source: str, flagged: bool) -> None:
    (tmp_path / "platform_core").mkdir()
    (tmp_path / "platform_core" / "sample.py").write_text(source + "\n")
    (tmp_path / "dashboard").mkdir()
    assert bool(list(findings(tmp_path))) is flagged
