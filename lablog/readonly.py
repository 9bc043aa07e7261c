"""Which SQL statements the lab log's console accepts: reading ones only.

DuckDB's own parser splits and classifies the query (``duckdb.extract_statements``), so a write cannot
hide behind comments, case or a second statement. Accepted: SELECT in all its forms (WITH, FROM-first,
DESCRIBE, SHOW, SUMMARIZE, PIVOT/UNPIVOT), EXPLAIN of an accepted statement, and the PRAGMAs
that only report. Everything else — INSERT, UPDATE, DELETE, DROP, ALTER, CREATE, ATTACH/DETACH,
COPY (both directions), EXPORT/IMPORT DATABASE, INSTALL/LOAD, SET, CALL, CHECKPOINT, VACUUM, transactions,
PREPARE/EXECUTE, writing PRAGMAs — is refused before anything runs. This check gives the clear message;
the guarantee is the read-only, no-external-access connection the accepted statements then run on
(:mod:`lablog.connection`).
"""

from __future__ import annotations

import re

import duckdb

from lablog.errors import LabLogError

__all__ = ["check_read_only", "READ_PRAGMAS"]

READ_PRAGMAS = frozenset({
    "table_info", "show", "show_tables", "show_tables_expanded", "show_databases", "database_list", "database_size",
    "storage_info", "version", "platform", "functions", "collations", "metadata_info", "user_agent",
})

_ALLOWED = "SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN and reporting PRAGMAs"
_NAMES = {"LOAD": "INSTALL/LOAD", "VACUUM": "VACUUM/ANALYZE", "CALL": "CALL (incl. CHECKPOINT)", "TRANSACTION": "BEGIN/COMMIT"}
_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(ANALY[SZ]E\s+)?", re.I)
_PIVOT = re.compile(r"^\s*(UN)?PIVOT(_WIDER|_LONGER)?\b", re.I)
_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)
_PRAGMA = re.compile(r"^\s*PRAGMA\s+([A-Za-z_][A-Za-z0-9_]*)\s*(.*)$", re.I | re.S)


def _refuse(what: str) -> LabLogError:
    return LabLogError(f"refused: {what} — the lab log's SQL console is read-only (it accepts {_ALLOWED})")


def _check(statement) -> None:
    kind = statement.type
    if kind == duckdb.StatementType.SELECT:
        return
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN.sub("", statement.query, count=1)
        for s in _parse(inner):
            _check(s)
        return
    if kind == duckdb.StatementType.PRAGMA:
        m = _PRAGMA.match(statement.query)
        if m and m.group(1).lower() in READ_PRAGMAS and "=" not in m.group(2):
            return
        raise _refuse(f"PRAGMA {m.group(1) if m else ''} may change settings or data".replace("  ", " "))
    if kind == duckdb.StatementType.MULTI and _PIVOT.match(_COMMENTS.sub(" ", statement.query)):
        return  # PIVOT without IN: DuckDB first collects the pivot values into a temporary type
    name = _NAMES.get(kind.name, kind.name.replace("_", " "))
    raise _refuse(f"{name} statements write")


def _parse(query: str) -> list:
    try:
        return duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise LabLogError(f"SQL error: {str(exc).splitlines()[0]}") from None
    except ValueError:  # a statement type this duckdb build's Python API does not know (e.g. UPDATE EXTENSIONS)
        raise _refuse("this statement is not a query") from None


def check_read_only(query: str) -> list[str]:
    """The statements of ``query`` as text, or LabLogError if one of them is not a reading one."""
    if not isinstance(query, str) or not query.strip():
        raise LabLogError("expected an SQL query, got an empty string")
    statements = _parse(query)
    if not statements:
        raise LabLogError("expected an SQL query, got only comments or semicolons")
    for s in statements:
        _check(s)
    return [s.query for s in statements]
