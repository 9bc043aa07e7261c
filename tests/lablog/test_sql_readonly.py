"""The SQL access is read-only: writing statements are refused, and the connection could not write anyway."""

import pytest

from lablog import LabLogError
from lablog.connection import connect
from lablog.readonly import check_read_only


@pytest.fixture
def filled(log):
    with log.start_run("e", "r") as run:
        run.log_params({"lr": 0.1})
        run.log_metrics({"loss": 1.0, "acc": 0.5}, step=0)
    return log


def _snapshot(log):
    return [log.sql(f"SELECT * FROM {t} ORDER BY ALL") for t in ("experiments", "runs", "params", "metrics", "tags", "artifacts")] + [
        log.sql("SELECT table_name FROM information_schema.tables ORDER BY 1")
    ]


WRITES = [
    "DROP TABLE runs",
    "drop   table\nruns",
    "/* comment */ DELETE FROM metrics",
    "INSERT INTO tags VALUES ('x', 'k', 'v')",
    "UPDATE runs SET status = 'finished'",
    "ALTER TABLE runs ADD COLUMN x INT",
    "CREATE TABLE t (a INT)",
    "CREATE VIEW v AS SELECT 1",
    "CREATE OR REPLACE MACRO m(x) AS x",
    "ATTACH '/tmp/other.duckdb' AS o",
    "DETACH lab",
    "COPY runs TO '/tmp/runs.csv'",
    "COPY (SELECT * FROM runs) TO '/tmp/runs.parquet' (FORMAT parquet)",
    "COPY runs FROM '/tmp/runs.csv'",
    "EXPORT DATABASE '/tmp/dump'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "PRAGMA enable_profiling",
    "PRAGMA threads = 1",
    "SET threads = 1",
    "CHECKPOINT",
    "VACUUM",
    "BEGIN TRANSACTION",
    "SELECT 1; DROP TABLE runs",
    "EXPLAIN ANALYZE DELETE FROM metrics",
    "TRUNCATE metrics",
]


@pytest.mark.parametrize("query", WRITES)
def test_writing_statements_are_refused_and_change_nothing(filled, query):
    before = _snapshot(filled)
    with pytest.raises(LabLogError, match="refused: .*read-only"):
        filled.sql(query)
    assert _snapshot(filled) == before


@pytest.mark.parametrize(
    "query",
    ["SELECT count(*) FROM metrics", "WITH a AS (SELECT 1 AS x) SELECT x FROM a", "FROM runs SELECT name", "DESCRIBE runs",
     "SHOW TABLES", "SUMMARIZE metrics", "EXPLAIN SELECT * FROM metrics", "PRAGMA table_info('runs')", "PRAGMA database_size",
     "PIVOT (SELECT key, value FROM metrics) ON key USING first(value)", "SELECT json_extract(config, '$.lr') FROM runs"],
)
def test_reading_statements_run(filled, query):
    filled.sql(query)


def test_refusal_names_the_statement():
    with pytest.raises(LabLogError, match="DROP statements write"):
        check_read_only("DROP TABLE runs")
    with pytest.raises(LabLogError, match="SQL error"):
        check_read_only("SELEC 1")
    with pytest.raises(LabLogError, match="empty"):
        check_read_only("  ")


def test_the_user_connection_cannot_write_even_without_the_check(filled):
    # The guarantee does not rest on the statement check: the connection itself refuses.
    con = connect(filled.path, read_only=True, timeout_s=5, user=True)
    try:
        for q in ("DROP TABLE runs", "INSERT INTO tags VALUES ('x', 'k', 'v')", "COPY runs TO '/tmp/lablog_should_not_exist.csv'",
                  "ATTACH '/tmp/lablog_should_not_exist.duckdb' AS o", "SET enable_external_access = true",
                  "SELECT * FROM read_csv('/etc/hostname')"):
            with pytest.raises(Exception):
                con.execute(q)
    finally:
        con.close()
    assert filled.sql("SELECT count(*) FROM metrics") == [(2,)]


def test_multi_statement_query_returns_each_result(filled):
    results = filled.query("SELECT 1 AS a; SELECT count(*) AS n FROM runs")
    assert results == [(["a"], [(1,)]), (["n"], [(1,)])]
    assert filled.sql("SELECT 1; SELECT 2") == [(2,)]
