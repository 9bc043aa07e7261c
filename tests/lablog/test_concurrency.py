"""Several real processes on one lab log: parallel writers with a reader, a writer killed with SIGKILL."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import lablog

SCRIPT = Path(__file__).with_name("writer_script.py")
ROOT = Path(__file__).resolve().parents[2]


def _spawn(*args, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, str(SCRIPT), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=ROOT, **kw)


def test_four_writers_and_a_sql_reader_lose_nothing(tmp_path):
    path, go, stop = tmp_path / "lab.duckdb", tmp_path / "go", tmp_path / "stop"
    lablog.LabLog(path)  # exists before the reader starts
    reader = _spawn("sqlloop", path, stop)
    assert reader.stdout.readline().strip() == "ready", reader.stderr.read()
    writers = [_spawn("write", path, f"w{i}", 50, go) for i in range(4)]
    time.sleep(0.5)  # let the writers import and open the lab log
    go.touch()
    results = [w.communicate(timeout=180) for w in writers]
    stop.touch()
    r_out, r_err = reader.communicate(timeout=60)
    for w, (out, err) in zip(writers, results):
        assert w.returncode == 0 and err == "", err
    assert reader.returncode == 0 and r_err == "", r_err
    assert int(r_out.split()[1]) >= 2  # the reader really ran during the writes
    log = lablog.LabLog(path)
    assert log.sql("SELECT count(*) FROM metrics") == [(20_000,)]
    per_run = log.sql(
        "SELECT r.name, r.status, count(*), count(DISTINCT m.step), min(m.step), max(m.step), sum(m.value) "
        "FROM runs r JOIN metrics m USING (run_id) GROUP BY ALL ORDER BY r.name"
    )
    assert per_run == [(f"w{i}", "finished", 5000, 5000, 0, 4999, float(sum(range(5000)))) for i in range(4)]
    assert not any((log.artifact_dir / ".lablog" / "journal").iterdir())  # every journal merged and removed


def test_sigkilled_writer_keeps_every_reported_batch_and_ends_killed(tmp_path):
    path = tmp_path / "lab.duckdb"
    proc = _spawn("killme", path)
    run_id = proc.stdout.readline().split()[1]
    reported = -1
    while reported < 7:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        reported = int(line.split()[1])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    log = lablog.LabLog(path)  # opening recognises the dead run
    (status, error, end_time) = log.sql("SELECT status, error, end_time FROM runs WHERE run_id = ?", [run_id])[0]
    assert status == "killed" and "ended without ending the run" in error and end_time is not None
    steps = {s for (s,) in log.sql("SELECT DISTINCT step FROM metrics WHERE run_id = ?", [run_id])}
    assert set(range(reported + 1)) <= steps  # every batch reported as logged is there
    counts = log.sql("SELECT step, count(*), count(DISTINCT key) FROM metrics WHERE run_id = ? GROUP BY step", [run_id])
    assert all(n == 100 and k == 100 for _, n, k in counts)  # whole batches, none twice
    rows = log.sql("SELECT name, path, sha256 FROM artifacts WHERE run_id = ?", [run_id])
    assert {f"t{b}" for b in range(0, reported + 1, 2)} <= {r[0] for r in rows}
    files = sorted(p.relative_to(log.artifact_dir).as_posix() for p in (log.artifact_dir / run_id).rglob("*") if p.is_file())
    assert files == sorted(r[1] for r in rows)  # no row without file, no file without row, each once
    for name, _path, _sha in rows:
        assert lablog.load_tensor(f"lablog:{run_id}/{name}", log=log).tolist() == [float(name[1:])] * 4
    assert log.sql("SELECT count(*) FROM lablog_journal") == [(0,)]
    assert lablog.LabLog(path).sql("SELECT status FROM runs") == [("killed",)]  # recovered once, stays so


def test_process_killed_inside_a_transaction_leaves_a_working_lablog(tmp_path):
    path = tmp_path / "lab.duckdb"
    lablog.LabLog(path)
    proc = _spawn("hold", path)
    assert proc.stdout.readline().strip() == "holding", proc.stderr.read()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    log = lablog.LabLog(path, lock_timeout_s=10)
    assert log.sql("SELECT count(*) FROM tags") == [(0,)]  # the uncommitted insert is gone
    with log.start_run("e", "after") as run:
        run.log_metric("m", 1.0)
    assert log.sql("SELECT count(*) FROM metrics") == [(1,)]


def test_a_forked_child_neither_logs_nor_merges_the_parents_batch(tmp_path):
    path = tmp_path / "lab.duckdb"
    out, err = _spawn("forked", path).communicate(timeout=60)
    assert "child refused: a lab log run cannot be used across fork()" in out, err
    assert lablog.LabLog(path).sql("SELECT value FROM metrics") == [(1.0,)]  # once, from the parent
