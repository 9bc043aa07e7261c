"""The lab log commands: sql (one query and the prompt), runs, lablog export/import/show/plot."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest

import lablog
from tests.engine.cli_runner import assert_user_error, run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lab(tmp_path):
    log = lablog.LabLog(tmp_path / "lab.duckdb")
    ids = []
    for lr in (0.1, 0.01):
        with log.start_run("sweep", f"lr={lr}", config={"lr": lr}, seed=1) as run:
            run.log_params({"lr": lr})
            for step in range(5):
                run.log_metrics({"loss": lr * (5 - step), "acc": 0.1 * step}, step=step)
            run.log_model("net", {"w": __import__("torch").ones(2)})
        ids.append(run.id)
    with pytest.raises(ValueError):
        with log.start_run("other", "broken"):
            raise ValueError("bad data")
    return log, ids


def test_sql_formats(lab):
    log, ids = lab
    q = "SELECT name, value FROM latest_metrics JOIN runs USING (run_id) WHERE key = 'loss' ORDER BY name"
    r = run_cli("sql", q, "--lablog", log.path)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].split() == ["name", "value"] and lines[2].split() == ["lr=0.01", "0.01"] and lines[-1] == "(2 rows)"
    r = run_cli("sql", q, "--format", "csv", "--lablog", log.path)
    assert list(csv.reader(io.StringIO(r.out))) == [["name", "value"], ["lr=0.01", "0.01"], ["lr=0.1", "0.1"]]
    r = run_cli("sql", "SELECT run_id, start_time, status FROM runs ORDER BY start_time", "--format", "json", "--lablog", log.path)
    rows = json.loads(r.out)
    assert [x["status"] for x in rows] == ["finished", "finished", "failed"] and rows[0]["run_id"] == ids[0]


@pytest.mark.parametrize("query", ["DROP TABLE runs", "DELETE FROM metrics", "INSERT INTO tags VALUES ('a','b','c')",
                                   "UPDATE runs SET status='x'", "ALTER TABLE runs RENAME TO r", "CREATE TABLE x (a INT)",
                                   "ATTACH 'x.duckdb'", "COPY runs TO 'runs.csv'", "PRAGMA threads=1", "INSTALL httpfs"])
def test_sql_refuses_writes_and_changes_nothing(lab, query, tmp_path, monkeypatch):
    log, _ = lab
    monkeypatch.chdir(tmp_path)
    before = log.sql("SELECT count(*) FROM runs"), log.sql("SELECT count(*) FROM metrics")
    r = run_cli("sql", query, "--lablog", log.path)
    assert_user_error(r, "refused", "read-only")
    assert r.out == ""
    assert (log.sql("SELECT count(*) FROM runs"), log.sql("SELECT count(*) FROM metrics")) == before
    assert not (tmp_path / "runs.csv").exists() and not (tmp_path / "x.duckdb").exists()


def test_sql_errors_are_one_line(lab, tmp_path):
    log, _ = lab
    assert_user_error(run_cli("sql", "SELECT * FROM nothing", "--lablog", log.path), "SQL error")
    assert_user_error(run_cli("sql", "SELECT 1", "--lablog", tmp_path / "missing.duckdb"), "no lab log")
    assert not (tmp_path / "missing.duckdb").exists()


def test_interactive_prompt_follows_the_same_rule(lab, tmp_path):
    log, _ = lab
    stdin = "SELECT count(*) AS n\n  FROM runs;\n.tables\nDROP TABLE runs;\nSELECT 42 AS answer;\n"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "engine", "sql", "--lablog", str(log.path)], input=stdin, capture_output=True,
                         text=True, timeout=120, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "3" in out.stdout.split("\n")[2] and "latest_metrics" in out.stdout and "42" in out.stdout
    assert [l for l in out.stderr.splitlines() if l.startswith("error:")] == [l for l in out.stderr.splitlines() if "refused" in l]
    assert "refused: DROP" in out.stderr
    assert log.sql("SELECT count(*) FROM runs") == [(3,)]
    history = (tmp_path / ".dataengine_sql_history").read_text()
    assert "DROP TABLE runs;" in history and "SELECT 42 AS answer;" in history


def test_runs_table_filters_and_metrics(lab):
    log, ids = lab
    r = run_cli("runs", "--lablog", log.path)
    assert r.code == 0, r.err
    header = r.out.splitlines()[0].split()
    assert header == ["run_id", "experiment", "name", "status", "start_time", "duration_s", "acc", "loss"]
    assert ids[0] in r.out and "failed" in r.out
    r = run_cli("runs", "--experiment", "sweep", "--status", "finished", "--metrics", "loss", "--format", "csv", "--lablog", log.path)
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [row["name"] for row in rows] == ["lr=0.1", "lr=0.01"] and [float(row["loss"]) for row in rows] == [0.1, 0.01]
    assert_user_error(run_cli("runs", "--status", "done", "--lablog", log.path), "invalid choice")


def test_show_and_plot(lab, tmp_path):
    log, ids = lab
    r = run_cli("lablog", "show", ids[0][:6], "--lablog", log.path)
    assert r.code == 0, r.err
    assert ids[0] in r.out and "lr" in r.out and "loss" in r.out and f"lablog:{ids[0]}/net" in r.out
    info = json.loads(run_cli("lablog", "show", ids[0], "--json", "--lablog", log.path).out)
    assert info["params"] == {"lr": 0.1} and info["config"] == {"lr": 0.1}
    out = tmp_path / "loss.png"
    r = run_cli("lablog", "plot", ids[0], "--metric", "loss", "--out", out, "--lablog", log.path)
    assert r.code == 0, r.err
    assert matplotlib.image.imread(out).shape[2] in (3, 4)
    assert_user_error(run_cli("lablog", "plot", ids[0], "--metric", "nope", "--out", tmp_path / "n.png", "--lablog", log.path),
                      "no metric 'nope'", "acc, loss")
    assert not (tmp_path / "n.png").exists()
    assert_user_error(run_cli("lablog", "plot", ids[0], "--metric", "loss", "--out", tmp_path / "x.txt", "--lablog", log.path), "FILE.png")
    assert_user_error(run_cli("lablog", "show", "zzzzzz", "--lablog", log.path), "no run")
    assert_user_error(run_cli("lablog"), "expected an action")


def test_export_then_import(lab, tmp_path):
    log, ids = lab
    r = run_cli("lablog", "export", "--parquet", tmp_path / "pq", "--lablog", log.path)
    assert r.code == 0, r.err
    assert (tmp_path / "pq" / "runs" / "experiment=sweep").is_dir() and (tmp_path / "pq" / "runs" / "experiment=other").is_dir()
    fresh = tmp_path / "fresh.duckdb"
    r = run_cli("lablog", "import", tmp_path / "pq", "--lablog", fresh)
    assert r.code == 0 and "imported 3 runs" in r.out, r.err
    r = run_cli("lablog", "import", log.path, "--lablog", fresh)
    assert "imported 0 runs" in r.out and "3 already present" in r.out
    q = "SELECT * FROM latest_metrics ORDER BY ALL"
    assert run_cli("sql", q, "--lablog", fresh).out == run_cli("sql", q, "--lablog", log.path).out
    assert_user_error(run_cli("lablog", "import", tmp_path / "nothing.duckdb", "--lablog", fresh), "no lab log or export")


def test_location_flag_then_environment_then_cwd(lab, tmp_path, monkeypatch):
    log, _ = lab
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATAENGINE_LABLOG", raising=False)
    assert_user_error(run_cli("runs"), "no lab log at lablog.duckdb")
    monkeypatch.setenv("DATAENGINE_LABLOG", str(log.path))
    assert "lr=0.1" in run_cli("runs").out
    empty = lablog.LabLog(tmp_path / "lablog.duckdb")
    assert "(0 rows)" in run_cli("runs", "--lablog", empty.path).out
    monkeypatch.delenv("DATAENGINE_LABLOG")
    assert "(0 rows)" in run_cli("runs").out


def test_provenance_for_runs():
    from engine.run_provenance import command_line, provenance

    p = provenance(["/usr/bin/dataengine", "train", "--seed", "3", "a b"])
    assert p["command_line"] == "dataengine train --seed 3 'a b'"
    assert p["git_commit"] is None or len(p["git_commit"].split("-")[0]) == 40
    assert command_line(["x/__main__.py", "sql"]) == "dataengine sql"
