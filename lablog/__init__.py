"""The lab log: every run recorded in one DuckDB file, queryable with plain SQL, safe under crashes and
parallel processes.

    import lablog
    log = lablog.LabLog(path)          # LabLog(): $DATAENGINE_LABLOG, else ./lablog.duckdb
    with log.start_run(experiment, name, config=dict, parent=None) as run:
        run.log_params({"lr": 1e-5})
        run.log_metric("loss", 0.3, step=10, epoch=1)
        run.log_metrics({"loss": 0.3, "acc": 0.9}, step=10)
        run.log_artifact("confusion.csv"); run.log_image("view", chw)
        run.log_tensor("psf", t); uri = run.log_model("isp", module)
    log.sql("SELECT * FROM latest_metrics")            # list of tuples, read-only
    log.runs(experiment="drift", status="finished")    # list of dicts
    state = lablog.load_model(uri, log=log)            # "lablog:<run_id>/<name>", sha256 checked

Tables and views (``lablog/schema.sql``, fixed names): ``experiments``, ``runs``, ``params``, ``metrics``,
``tags``, ``artifacts``; views ``latest_metrics`` (latest value, range and count of each metric per run) and
``runs_with_params`` (one column per param). Artifacts live beside the database in ``NAME.artifacts/``.

Concurrency design
------------------
DuckDB lets one process open a file read-write, or several read-only — never a writer and a reader at
once. So no process keeps the database open:

1. **Journal first.** Each ``log_*`` call appends one JSON line to its run's journal
   (``NAME.artifacts/.lablog/journal/<run_id>.jsonl``) with one ``write`` before returning, and keeps the
   record in an in-memory batch. Once a call returns, its data survives the death of the process.
2. **Short merges, off the logging path.** ``flush_interval_s`` (2 s) after the first unmerged record, a
   background timer swaps the batch out and tries to take the exclusive lock *without waiting*; with it,
   it attaches the database read-write to the LabLog's long-lived in-memory DuckDB (≈ 2 ms, against ≈ 25 ms for
   starting an instance), inserts the whole batch in one transaction (metric points as NumPy columns of
   integer codes), records how many journal bytes are merged, and detaches (which checkpoints and frees
   DuckDB's file lock). If the lock is busy it retries shortly after — logging never waits for other
   processes, and goes on into a fresh batch while a merge runs. The end of a run is merged the same way
   (at once if the last merge is older than the interval); ``flush()``, ``close()``, interpreter exit, a
   batch of more than ``max_pending_points`` and reads by the same process wait for the lock instead.
3. **Readers** (``log.sql``, ``dataengine sql``/``runs``) take the lock shared, open the file read-only, run
   the query, close. Readers run together; a waiting writer goes first (a gate lock stops new readers).
   Locks are ``flock``s, released by the kernel when a process dies — no stale locks, no "database is locked".
4. **Dead runs.** A live run holds an exclusive ``flock`` on its journal. When a lab log is opened, a journal
   nobody holds means its process died (SIGKILL, OOM, power loss of a worker): the unmerged tail of the
   journal is replayed (exactly once, thanks to the recorded offset), the run is marked ``killed`` with the
   time of its last write — or with the status of its end record, if it ended but its last merge never
   happened — and artifact files without a row are deleted. A ``running`` run of another host is presumed
   dead when its heartbeat (the time of its last merge) is older than ``stale_after_s`` (1 h), and comes
   back to ``running`` if it writes again. An exception in the ``with`` block marks the run ``failed`` and
   Ctrl-C marks it ``killed``.

Limits: freshly logged data — and the end of a run — reaches other processes' queries after about
``flush_interval_s`` (the logging process's own queries, and any LabLog of that process, merge first and
see everything; ``flush()`` makes it visible at once). The locks are advisory ``flock``s on
the folder beside the database: every process must see that folder on one machine or on a file system
with working ``flock`` (local disks; NFS v4); a foreign program that opens the file directly (the
``duckdb`` shell) makes writers retry and readers wait until it closes. A LabLog is per process (no
sharing across ``fork``); several threads may share one. Each merge or query reopens the file (a few ms
to attach, ≈ 25 ms for a user query's own locked-down connection), so the design suits many runs logging
at training-loop rates and people querying — not thousands of separate queries a second.
Scale-out across machines: each machine logs to its own file; ``export_parquet`` (partitioned by
experiment) and ``import_from`` (merge by run id, idempotent) combine them.

The lab log stands alone (duckdb, numpy, safetensors; torch only for models and tensors). It does not read
``sys.argv`` or run ``git``: the caller passes ``command_line=``, ``git_commit=`` and ``seed=`` to
``start_run`` (``engine.run_provenance.provenance()`` gives the first two); host, pid and package versions
are recorded by the lab log itself. The file opens with the stock DuckDB of the pinned version: plain
tables, no extension.
"""

from lablog.errors import LabLogError
from lablog.location import DEFAULT_NAME, ENV_VAR, artifact_dir, default_path
from lablog.log import LabLog, load_model, load_tensor
from lablog.run import STATUSES, Run
from lablog.schema import SCHEMA_VERSION

__all__ = [
    "LabLog", "Run", "LabLogError", "load_model", "load_tensor", "default_path", "artifact_dir",
    "ENV_VAR", "DEFAULT_NAME", "SCHEMA_VERSION", "STATUSES",
]
