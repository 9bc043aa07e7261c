"""The path to more than one machine: export to Parquet, import (merge) of another lab log.

Export writes ``DIR/<table>/experiment=<name>/data_0.parquet`` for every user table (hive partitioning,
names URL-encoded by DuckDB), ``DIR/artifact_files/<run_id>/...`` with the artifact files and
``DIR/lablog_export.json`` (schema version, row counts). DuckDB, Spark and Polars read it directly, e.g.
``SELECT * FROM read_parquet('DIR/metrics/*/*.parquet', hive_partitioning = true)``. The export is built
in a staging folder and replaces ``DIR`` only when complete; ``DIR`` must be empty, absent or an earlier
export.

Import takes a ``.duckdb`` lab log (with its artifact folder) or such an export and merges it by run id:
runs already present are left alone and runs still ``running`` in the source are skipped (import again
once they have ended), so importing the same source twice changes nothing. Artifact files are copied
and checked against their sha256 first; the rows go in in one transaction.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from lablog import artifacts as art
from lablog import views
from lablog.errors import LabLogError
from lablog.filelock import LabLogLock, LockTimeout
from lablog.location import artifact_dir, internal_dir
from lablog.schema import SCHEMA_VERSION, TABLES

if TYPE_CHECKING:
    from lablog.log import LabLog

__all__ = ["export_parquet", "import_lablog", "MANIFEST"]

MANIFEST = "lablog_export.json"


def _sql_path(p: Path) -> str:
    return "'" + str(p).replace("'", "''") + "'"


def _select_with_experiment(table: str) -> str:
    if table in ("experiments", "runs"):
        return f"SELECT * FROM {table}"
    return f"SELECT t.*, r.experiment FROM {table} t JOIN runs r ON r.run_id = t.run_id"


def export_parquet(log: LabLog, folder: Path, with_artifacts: bool = True) -> dict[str, int]:
    if folder.exists() and (not folder.is_dir() or (any(folder.iterdir()) and not (folder / MANIFEST).is_file())):
        raise LabLogError(f"export folder {folder} exists and is not an earlier lab log export; give a new or empty folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    try:
        counts: dict[str, int] = {}

        def copy_tables(con):
            for table in TABLES:
                counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                if counts[table]:
                    con.execute(
                        f"COPY ({_select_with_experiment(table)}) TO {_sql_path(stage / table)} "
                        "(FORMAT parquet, PARTITION_BY (experiment))"
                    )
            return [r[0] for r in con.execute("SELECT path FROM artifacts ORDER BY path").fetchall()] if with_artifacts else []

        try:
            paths = log._session(copy_tables, read_only=True)
        except LockTimeout:
            raise log._busy("exporting") from None
        for rel in paths:
            src = log.artifact_dir / rel
            if src.is_file():
                (stage / "artifact_files" / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, stage / "artifact_files" / rel)
        manifest = {"format": "dataengine lab log export", "schema_version": SCHEMA_VERSION, "rows": counts,
                    "partitioned_by": "experiment", "artifacts": len(paths)}
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
            os.replace(stage, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, folder)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return counts


def _source_views(con, source: Path) -> Path:
    """Temp views src_<table> over the source; returns the source's artifact folder."""
    if source.is_dir():
        manifest = source / MANIFEST
        if not manifest.is_file():
            raise LabLogError(f"{source} is not a lab log export (no {MANIFEST}); expected a .duckdb lab log or an export folder")
        version = json.loads(manifest.read_text(encoding="utf-8")).get("schema_version")
        if version != SCHEMA_VERSION:
            raise LabLogError(f"export {source} has schema version {version}, this dataengine reads {SCHEMA_VERSION}")
        for table in TABLES:
            cols = [r[0] for r in con.execute(f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table}' AND database_name = current_database() ORDER BY column_index").fetchall()]
            files = list((source / table).glob("*/*.parquet"))
            if files:
                pattern = _sql_path(source / table / "*" / "*.parquet")
                body = (f"SELECT {', '.join(cols)} FROM read_parquet({pattern}, hive_partitioning = true, "
                        "hive_types = {'experiment': VARCHAR}, union_by_name = true)")
            else:
                body = f"SELECT * FROM {table} WHERE false"
            con.execute(f"CREATE OR REPLACE TEMP VIEW src_{table} AS {body}")
        return source / "artifact_files"
    con.execute(f"ATTACH {_sql_path(source)} AS lablog_src (READ_ONLY)")
    row = con.execute("SELECT value FROM lablog_src.lablog_meta WHERE key = 'schema_version'").fetchone()
    if row is None or int(row[0]) != SCHEMA_VERSION:
        raise LabLogError(f"lab log {source} has schema version {row and row[0]}; open it once with this dataengine to migrate it")
    for table in TABLES:
        con.execute(f"CREATE OR REPLACE TEMP VIEW src_{table} AS SELECT * FROM lablog_src.{table}")
    return artifact_dir(source)


def _import(log: LabLog, con, source: Path) -> dict[str, int]:
    try:
        return _merge_source(log, con, source)
    finally:
        if con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'lablog_src'").fetchone()[0]:
            con.execute("DETACH lablog_src")


def _merge_source(log: LabLog, con, source: Path) -> dict[str, int]:
    src_art = _source_views(con, source)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE import_ids AS SELECT run_id FROM src_runs "
        "WHERE status <> 'running' AND run_id NOT IN (SELECT run_id FROM runs)"
    )
    n_new = con.execute("SELECT count(*) FROM import_ids").fetchone()[0]
    skipped_running = con.execute("SELECT count(*) FROM src_runs WHERE status = 'running' AND run_id NOT IN (SELECT run_id FROM runs)").fetchone()[0]
    present = con.execute("SELECT count(*) FROM src_runs WHERE run_id IN (SELECT run_id FROM runs)").fetchone()[0]
    files = con.execute("SELECT path, sha256 FROM src_artifacts WHERE run_id IN (SELECT run_id FROM import_ids)").fetchall()
    copied: list[Path] = []
    try:
        for rel, sha in files:
            target = log.artifact_dir / rel
            if target.is_file() and art.sha256_of(target) == sha:
                continue
            src = src_art / rel
            if not src.is_file():
                raise LabLogError(f"artifact file {src} of the imported lab log is missing; nothing was imported")
            art.copy_file(log.artifact_dir, rel, src, expect_sha256=sha)
            copied.append(target)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("INSERT OR IGNORE INTO experiments SELECT * FROM src_experiments "
                        "WHERE experiment IN (SELECT experiment FROM src_runs WHERE run_id IN (SELECT run_id FROM import_ids))")
            counts = {"runs": n_new}
            for table in TABLES[1:]:
                cols = [r[0] for r in con.execute(f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table}' AND database_name = current_database() ORDER BY column_index").fetchall()]
                collist = ", ".join(cols)
                con.execute(f"INSERT INTO {table} ({collist}) SELECT {collist} FROM src_{table} WHERE run_id IN (SELECT run_id FROM import_ids)")
                if table != "runs":
                    counts[table] = con.execute(f"SELECT count(*) FROM src_{table} WHERE run_id IN (SELECT run_id FROM import_ids)").fetchone()[0]
            views.refresh_runs_with_params(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except BaseException:
        for p in copied:
            p.unlink(missing_ok=True)
        raise
    counts.update(runs_already_present=present, runs_still_running=skipped_running)
    return counts


def import_lablog(log: LabLog, source: Path) -> dict[str, int]:
    """Merge ``source`` into ``log``; the caller has flushed what this process holds for ``source``
    (:meth:`LabLog.import_from` does)."""
    if not source.exists():
        raise LabLogError(f"no lab log or export at {source}")
    if source.resolve() == log.path.resolve():
        raise LabLogError(f"cannot import lab log {source} into itself")
    src_lock = LabLogLock(internal_dir(source)) if source.is_file() else None
    try:
        if src_lock is not None and internal_dir(source).is_dir():
            with src_lock.shared(log.lock_timeout_s):
                return log._write_session(lambda con: _import(log, con, source))
        return log._write_session(lambda con: _import(log, con, source))
    except LockTimeout:
        raise log._busy("importing") from None
    except duckdb.Error as exc:
        raise LabLogError(f"cannot import {source}: {str(exc).strip().splitlines()[0]}") from None
