"""The schema: one DDL file (``schema.sql``), versioned, migrated when a lab log is opened for writing.

``schema.sql`` always holds the current schema and names its version in a ``-- schema_version: N`` line.
A new lab log runs the whole file. An existing one records its version in ``lablog_meta``; opening it
applies ``MIGRATIONS[v]`` (the statements taking version ``v`` to ``v + 1``) in order, in one transaction,
then re-runs the idempotent view definitions. A lab log written by a newer dataengine is refused rather
than guessed at, and so is a DuckDB file that is not a lab log.
"""

from __future__ import annotations

import re
from importlib import resources

from lablog.errors import LabLogError

__all__ = ["SCHEMA_SQL", "SCHEMA_VERSION", "MIGRATIONS", "TABLES", "schema_version", "migrate"]

SCHEMA_SQL = resources.files("lablog").joinpath("schema.sql").read_text(encoding="utf-8")
SCHEMA_VERSION = int(re.search(r"^-- schema_version: (\d+)$", SCHEMA_SQL, re.M).group(1))

# from-version -> SQL that upgrades it by one version. Empty while version 1 is the only one.
MIGRATIONS: dict[int, str] = {}

# The user tables, in the order export and import handle them.
TABLES = ("experiments", "runs", "params", "metrics", "tags", "artifacts")


def schema_version(con) -> int | None:
    """The version recorded in an open lab log, ``None`` for an empty database."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
    if "lablog_meta" not in tables:
        if tables:
            raise LabLogError(
                f"this DuckDB file is not a lab log (it has tables {', '.join(sorted(tables)[:5])} but no lablog_meta); "
                "pass the path of a lab log or a new file"
            )
        return None
    row = con.execute("SELECT value FROM lablog_meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        raise LabLogError("lab log has no schema_version in lablog_meta; the file is damaged")
    return int(row[0])


def check_readable(version: int | None) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise LabLogError(
            f"lab log has schema version {version}, newer than this dataengine's {SCHEMA_VERSION}; upgrade dataengine"
        )


def migrate(con, schema_sql: str = SCHEMA_SQL, target: int = SCHEMA_VERSION, migrations: dict[int, str] | None = None) -> int:
    """Bring the database on ``con`` (read-write) to version ``target``; returns the version it had (0 = new)."""
    migrations = MIGRATIONS if migrations is None else migrations
    found = schema_version(con)
    if found is not None and found > target:
        raise LabLogError(f"lab log has schema version {found}, newer than this dataengine's {target}; upgrade dataengine")
    if found == target:
        return found
    con.execute("BEGIN TRANSACTION")
    try:
        if found is None:
            con.execute(schema_sql)
        else:
            for v in range(found, target):
                if v not in migrations:
                    raise LabLogError(f"no migration from lab log schema version {v} to {v + 1}")
                con.execute(migrations[v])
            con.execute(schema_sql)  # idempotent: CREATE ... IF NOT EXISTS, views OR REPLACE
        con.execute("INSERT OR REPLACE INTO lablog_meta VALUES ('schema_version', ?)", [str(target)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return 0 if found is None else found
