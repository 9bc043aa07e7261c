"""Processes for the multi-process tests, run as ``python writer_script.py MODE ...`` (not a test module).

* ``write PATH NAME BATCHES GO`` — wait for the file GO, then log BATCHES batches of 100 points of metric
  ``x`` (steps 0 … 100·BATCHES−1), sleeping 10 ms between batches; exit 0.
* ``killme PATH`` — log batches of 100 points forever, a tensor artifact every second batch, printing
  ``logged B`` after each batch returns (the parent SIGKILLs it).
* ``hold PATH`` — take the exclusive lock, open the database read-write, insert rows in an open
  transaction, print ``holding`` and sleep (the parent SIGKILLs it mid-transaction).
* ``forked PATH`` — fork while a run has unmerged points; the child tries to log, then exits.
* ``sqlloop PATH STOP`` — run ``dataengine sql`` through the real command line in a loop until the file
  STOP exists; print the number of queries; exit 1 if any query failed or a count went down.
"""

import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np

import lablog


def write(path, name, batches, go):
    log = lablog.LabLog(path, flush_interval_s=0.05)
    while not Path(go).exists():
        time.sleep(0.01)
    with log.start_run("concurrency", name, config={"batches": batches}) as run:
        for b in range(int(batches)):
            for i in range(100):
                run.log_metric("x", float(b * 100 + i), step=b * 100 + i)
            time.sleep(0.01)


def killme(path):
    log = lablog.LabLog(path, flush_interval_s=0.05)
    run = log.start_run("crash", "victim")
    print("run", run.id, flush=True)
    b = 0
    while True:
        run.log_metrics({f"k{i}": float(b) for i in range(100)}, step=b)
        if b % 2 == 0:
            run.log_tensor(f"t{b}", np.full((4,), b, dtype=np.float32))
        print("logged", b, flush=True)
        b += 1
        time.sleep(0.02)


def hold(path):
    from lablog.connection import connect

    log = lablog.LabLog(path)
    with log._lock.exclusive(10):
        con = connect(log.path, read_only=False, timeout_s=10)
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO tags VALUES ('uncommitted', 'k', 'v')")
        print("holding", flush=True)
        time.sleep(60)


def forked(path):
    import os

    log = lablog.LabLog(path, flush_interval_s=100)
    run = log.start_run("e", "parent")
    run.log_metric("m", 1.0)
    pid = os.fork()
    if pid == 0:  # the child has a copy of the unmerged batch: it must neither log nor merge it at exit
        try:
            run.log_metric("m", 2.0)
        except lablog.LabLogError as exc:
            print("child refused:", exc, flush=True)
        sys.exit(0)
    os.waitpid(pid, 0)
    run.end()


def sqlloop(path, stop):
    from engine.cli import main

    n, failures, last = 0, [], -1
    with contextlib.redirect_stdout(io.StringIO()):
        main(["sql", "SELECT 1", "--lablog", path])  # imports every command module once
    print("ready", flush=True)
    while not Path(stop).exists():
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["sql", "SELECT count(*) AS n FROM metrics", "--format", "csv", "--lablog", path])
        n += 1
        if code != 0 or err.getvalue():
            failures.append((code, err.getvalue()))
            continue
        count = int(out.getvalue().split()[1])
        if count < last:
            failures.append(("count went down", last, count))
        last = count
    print("queries", n, "last", last, flush=True)
    if failures:
        print("failures", failures[:3], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    {"write": write, "killme": killme, "hold": hold, "forked": forked, "sqlloop": sqlloop}[sys.argv[1]](*sys.argv[2:])
