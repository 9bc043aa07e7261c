"""Lab log throughput and query times against an MLflow-style SQLite baseline, measured in the same run.

Logs N_POINTS metric points (default 1,000,000) across N_RUNS runs (100): each run logs 3 params and
STEPS steps of ``log_metrics`` with 10 keys, through the public API (journal + merges, as a training loop
would). Then times, best of 5 each, through ``log.sql`` (which includes locking and opening the file):

* Q1 "latest value of each metric for every run": ``SELECT * FROM latest_metrics``;
* Q2 "mean of metric X by param Y": mean of every point of ``loss`` grouped by the param ``lr``.

Baseline: what MLflow's SQL store does per ``log_metric`` — one INSERT into a ``metrics`` table and one
COMMIT per point, in SQLite (MLflow's default SQL backend) with its default durability. It is measured on
BASELINE_POINTS points and extrapolated (per-point cost × N_POINTS); the script says so in its output. A
second, generous baseline turns SQLite's fsync per commit off (WAL, synchronous=NORMAL).
(MLflow also upserts ``latest_metrics`` per point, which would make it slower still; the baseline here
leaves that out, so the ratio is conservative.)

    .venv/bin/python benchmarks/bench_lablog.py [--points 1000000] [--runs 100] [--baseline-points 2000]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lablog  # noqa: E402

KEYS = [f"metric_{i}" for i in range(9)] + ["loss"]
Q1 = "SELECT * FROM latest_metrics"
Q2 = ("SELECT p.value AS lr, avg(m.value) AS mean_loss, count(*) AS n FROM metrics m JOIN params p "
      "ON p.run_id = m.run_id AND p.key = 'lr' WHERE m.key = 'loss' GROUP BY p.value ORDER BY p.value")


def bench_lablog(folder: Path, n_points: int, n_runs: int) -> tuple[float, dict[str, float], int]:
    log = lablog.LabLog(folder / "bench.duckdb")
    steps = n_points // (n_runs * len(KEYS))
    t0 = time.perf_counter()
    for r in range(n_runs):
        with log.start_run("bench", f"run-{r}", config={"r": r}, seed=r) as run:
            run.log_params({"lr": [1e-3, 1e-4, 1e-5][r % 3], "batch": 32, "model": "resnet18"})
            for s in range(steps):
                v = 1.0 / (s + 1)
                run.log_metrics({k: v for k in KEYS}, step=s, epoch=s // 10)
    log.flush()  # timed until every point is merged into the database, not just journaled
    elapsed = time.perf_counter() - t0
    logged = steps * len(KEYS) * n_runs
    assert log.sql("SELECT count(*) FROM metrics") == [(logged,)]
    times = {}
    for name, q in (("Q1 latest value of each metric for every run", Q1), ("Q2 mean of metric loss by param lr", Q2)):
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            rows = log.sql(q)
            best = min(best, time.perf_counter() - t)
        times[name] = best
        assert rows
    return logged / elapsed, times, logged


def bench_sqlite_baseline(folder: Path, n_points: int, fast: bool = False) -> float:
    con = sqlite3.connect(folder / ("mlflow_fast.db" if fast else "mlflow.db"))
    if fast:  # the most generous SQLite setting: WAL without an fsync per commit
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE metrics (key VARCHAR(250), value FLOAT, timestamp BIGINT, run_uuid VARCHAR(32), step BIGINT, "
                "is_nan BOOLEAN, PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan))")
    con.commit()
    run = uuid.uuid4().hex
    t0 = time.perf_counter()
    for i in range(n_points):
        con.execute("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", (KEYS[i % 10], 1.0 / (i + 1), int(time.time() * 1000), run, i // 10, False))
        con.commit()
    elapsed = time.perf_counter() - t0
    con.close()
    return n_points / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--baseline-points", type=int, default=2000)
    ap.add_argument("--dir", type=Path, default=None, help="scratch folder (default: a temporary one)")
    a = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_lablog_", dir=a.dir))
    try:
        rate, times, logged = bench_lablog(folder, a.points, a.runs)
        base = bench_sqlite_baseline(folder, a.baseline_points)
        fast = bench_sqlite_baseline(folder, 20 * a.baseline_points, fast=True)
        print(f"lab log: {logged:,} points over {a.runs} runs in {logged / rate:.2f} s = {rate:,.0f} points/s (target >= 200,000)")
        print(f"baseline (MLflow SQL store style: SQLite, one INSERT + COMMIT per point): measured on {a.baseline_points:,} points "
              f"= {base:,.0f} points/s; extrapolated to {logged:,} points: {logged / base:,.0f} s")
        print(f"ratio: {rate / base:,.0f}x the baseline (target >= 100x)")
        print(f"generous baseline (same, but SQLite WAL + synchronous=NORMAL, no fsync per commit), on {20 * a.baseline_points:,} points: "
              f"{fast:,.0f} points/s; ratio {rate / fast:,.0f}x")
        for name, t in times.items():
            print(f"{name}: {t * 1000:.1f} ms (best of 5, incl. lock + open; target < 200 ms)")
        size = sum(p.stat().st_size for p in folder.glob("bench.duckdb*"))
        print(f"database size: {size / 1e6:.1f} MB")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
