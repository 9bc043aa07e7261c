"""The schema file: versioned, migrated on open, readable by stock DuckDB."""

import subprocess
import sys

import duckdb
import pytest

import lablog
from lablog import LabLogError
from lablog.schema import SCHEMA_SQL, SCHEMA_VERSION, migrate, schema_version


def test_stock_duckdb_opens_the_file_without_extensions(log):
    with log.start_run("e", "r") as run:
        run.log_metrics({"loss": 1.0}, step=0)
        run.log_params({"lr": 0.1})
    log.close()  # merged now (otherwise within flush_interval_s) — other programs read the file itself
    code = (
        "import duckdb, sys\n"
        "assert duckdb.__version__ == '2.0.1', duckdb.__version__\n"
        "con = duckdb.connect(sys.argv[1], read_only=True, config={'autoload_known_extensions': False, 'autoinstall_known_extensions': False})\n"
        "print(con.execute('SELECT count(*) FROM metrics').fetchone()[0], con.execute('SELECT count(*) FROM latest_metrics').fetchone()[0],"
        " con.execute('SELECT lr FROM runs_with_params').fetchone()[0])\n"
        "print(sorted(r[0] for r in con.execute(\"SELECT extension_name FROM duckdb_extensions() WHERE loaded AND extension_name NOT IN ('core_functions', 'parquet', 'json', 'icu', 'jemalloc')\").fetchall()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(log.path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["1 1 0.1", "[]"]


def test_schema_version_recorded_and_tables_documented(log):
    assert log.sql("SELECT value FROM lablog_meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    cols = {t: [r[0] for r in log.sql(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{t}' ORDER BY ordinal_position")]
            for t in ("runs", "metrics", "artifacts")}
    assert cols["metrics"] == ["run_id", "key", "step", "epoch", "value", "timestamp"]
    assert {"run_id", "experiment", "name", "parent_run_id", "status", "start_time", "end_time", "command_line", "config",
            "git_commit", "package_versions", "host", "seed"} <= set(cols["runs"])
    assert {"run_id", "kind", "path", "bytes", "sha256", "shape", "dtype"} <= set(cols["artifacts"])


def test_migration_runs_each_step_once(tmp_path):
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    v1 = "CREATE TABLE IF NOT EXISTS lablog_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL); CREATE TABLE IF NOT EXISTS t (a INT);"
    assert migrate(con, v1, target=1, migrations={}) == 0
    con.execute("INSERT INTO t VALUES (1)")
    v2 = v1 + " CREATE TABLE IF NOT EXISTS u (b INT);"
    steps = {1: "ALTER TABLE t ADD COLUMN c INT DEFAULT 5"}
    assert migrate(con, v2, target=2, migrations=steps) == 1
    assert con.execute("SELECT a, c FROM t").fetchall() == [(1, 5)] and schema_version(con) == 2
    assert migrate(con, v2, target=2, migrations=steps) == 2  # nothing to do the second time
    with pytest.raises(LabLogError, match="no migration from lab log schema version 2"):
        migrate(con, v2, target=3, migrations=steps)
    assert schema_version(con) == 2  # the failed migration rolled back


def test_newer_or_foreign_files_are_refused(tmp_path):
    path = tmp_path / "new.duckdb"
    lablog.LabLog(path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE lablog_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(LabLogError, match="newer than this dataengine"):
        lablog.LabLog(path)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE sales (x INT)")
    con.close()
    with pytest.raises(LabLogError, match="not a lab log"):
        lablog.LabLog(other)
    assert "CREATE TABLE IF NOT EXISTS runs" in SCHEMA_SQL
