"""``LabLog``: one lab log file — opening (migration, recovery), runs, merges, reads.

See the package docstring (:mod:`lablog`) for the concurrency design and its limits.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
import uuid
import warnings
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from lablog import artifacts as art
from lablog import journal as jr
from lablog import provenance, tensors
from lablog.batch import Batch
from lablog.connection import DatabaseBusy, attached, connect
from lablog.errors import LabLogError
from lablog.filelock import LabLogLock, LockTimeout
from lablog.location import artifact_dir, check_db_path, default_path, internal_dir
from lablog.readonly import check_read_only
from lablog.run import STATUSES, Run
from lablog.schema import SCHEMA_VERSION, check_readable, migrate, schema_version
from lablog.transfer import export_parquet, import_lablog
from lablog.values import check_key, config_json

__all__ = ["LabLog", "load_model", "load_tensor", "decode_param"]

# Every LabLog of this process: flushed at exit, and flushed before another one on the same file reads,
# so a process always sees what it logged.
_OPEN: weakref.WeakSet = weakref.WeakSet()
_ATEXIT = []


def flush_process_logs(path: Path) -> None:
    """Merge what any LabLog of this process holds for the file ``path`` (before reading it by other means)."""
    key = str(Path(path).resolve())
    for log in list(_OPEN):
        if log._key == key and log._pid == os.getpid() and not (log._batch.empty() and not log._closing):
            log._merge(block=True, must=False)


def _flush_all_at_exit() -> None:
    for log in list(_OPEN):
        try:
            log._stop_timer()  # no DuckDB work may be left in a daemon thread while the interpreter ends
            log._merge(block=True, must=False)
        except Exception as exc:  # never turn a clean exit into a traceback; the journals keep the data
            warnings.warn(f"lab log {log.path}: could not merge at exit ({exc}); the data is merged when it is next opened")


def decode_param(typ: str, value: str | None) -> Any:
    if typ == "bool":
        return value == "true"
    if typ == "int":
        return int(value)
    if typ == "float":
        return float(value)
    if typ == "json":
        return json.loads(value)
    if typ == "null":
        return None
    return value


def _epoch(dt: datetime | None) -> float | None:
    return None if dt is None else dt.replace(tzinfo=timezone.utc).timestamp()


class LabLog:
    """A lab log: ``LabLog(path)``, or ``LabLog()`` for ``$DATAENGINE_LABLOG`` or ``./lablog.duckdb``.

    ``create=False`` refuses a path where no lab log exists; ``read_only=True`` never writes (no runs, no
    migration, no recovery — for archived copies). ``flush_interval_s``: how often logged data is merged
    into the database (it is durable in the run's journal at once). ``lock_timeout_s``: how long to wait
    for other processes before giving up with an error. ``stale_after_s``: a run on another host whose
    heartbeat is older than this is presumed dead.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        create: bool = True,
        read_only: bool = False,
        flush_interval_s: float = 2.0,
        lock_timeout_s: float = 120.0,
        stale_after_s: float = 3600.0,
        max_pending_points: int = 500_000,
    ):
        self.path = check_db_path(default_path() if path is None else path)
        self.artifact_dir = artifact_dir(self.path)
        self.read_only = read_only
        self.flush_interval_s = float(flush_interval_s)
        self.lock_timeout_s = float(lock_timeout_s)
        self.stale_after_s = float(stale_after_s)
        self.max_pending_points = int(max_pending_points)
        self._journal_dir = internal_dir(self.path) / "journal"
        self._lock = LabLogLock(internal_dir(self.path))
        self._mutex = threading.RLock()  # the batch, the open runs, the timer: held for microseconds
        self._db_lock = threading.RLock()  # the host connection and merges: held for a whole session
        self._batch = Batch()
        self._runs: dict[str, Run] = {}
        self._closing: dict[str, Run] = {}
        self._pid = os.getpid()
        self._last_merge = time.monotonic()
        self._timer: threading.Timer | None = None
        self._exiting = False
        self._host = None
        self._key = str(self.path.resolve())
        if not self.path.exists() and (read_only or not create):
            raise LabLogError(f"no lab log at {self.path}; give --lablog PATH or set DATAENGINE_LABLOG, or log a run first")
        self._open()
        _OPEN.add(self)
        if not _ATEXIT:
            atexit.register(_flush_all_at_exit)
            _ATEXIT.append(True)

    def __repr__(self) -> str:
        return f"LabLog({str(self.path)!r})"

    def __enter__(self) -> LabLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sessions ------------------------------------------------------------------------------------
    def _busy(self, what: str) -> LabLogError:
        return LabLogError(f"lab log {self.path} stayed locked by other processes for more than {self.lock_timeout_s:g} s ({what}); retry later")

    def _host_connection(self):
        if self._host is None:
            self._host = duckdb.connect(":memory:")
        return self._host

    def _flush_siblings(self) -> None:
        """Merge what other LabLog objects of this process hold for the same file, so reads see it."""
        for other in list(_OPEN):
            if other is not self and other._key == self._key and other._pid == os.getpid() and not other._batch.empty():
                other._merge(block=True, must=False)

    def _session(self, fn, *, read_only: bool, timeout_s: float | None = None):
        """``fn(con)`` on an internal session under the matching lock; raises LockTimeout or DatabaseBusy."""
        timeout = self.lock_timeout_s if timeout_s is None else timeout_s
        if not read_only and self.read_only:
            raise LabLogError(f"lab log {self.path} was opened read-only")
        lock = self._lock.shared(timeout) if read_only else self._lock.exclusive(timeout)
        with self._db_lock, lock, attached(self._host_connection(), self.path, read_only=read_only, timeout_s=timeout) as con:
            return fn(con)

    def _write_session(self, fn, timeout_s: float | None = None):
        return self._session(fn, read_only=False, timeout_s=timeout_s)

    def _read(self, queries: list[tuple[str, list]], user: bool = False) -> list[tuple[list[str], list[tuple]]]:
        """Run queries in one read-only session under the shared lock; (columns, rows) per query.

        ``user=True``: on a connection of its own that is read-only with file access disabled
        (:mod:`lablog.connection`), for the user's SQL; else on an internal session.
        """
        if not self.read_only and not (self._batch.empty() and not self._closing):
            self._merge(block=True, must=False)  # this process sees what it logged
        self._flush_siblings()

        def run(con):
            out = []
            try:
                for sql, params in queries:
                    cur = con.execute(sql, params) if params else con.execute(sql)
                    out.append(([], []) if cur.description is None else ([d[0] for d in cur.description], cur.fetchall()))
            except duckdb.Error as exc:
                raise LabLogError(f"SQL error: {str(exc).strip().splitlines()[0]}") from None
            return out

        try:
            if not user:
                return self._session(run, read_only=True)
            with self._lock.shared(self.lock_timeout_s):
                con = connect(self.path, read_only=True, timeout_s=self.lock_timeout_s, user=True)
                try:
                    return run(con)
                finally:
                    con.close()
        except LockTimeout:
            raise self._busy("reading") from None

    # -- opening: migration and recovery of dead runs --------------------------------------------------
    def _open(self) -> None:
        if self.path.exists():
            version, dead = self._inspect()
            check_readable(version)
            if self.read_only:
                if version != SCHEMA_VERSION:
                    raise LabLogError(f"lab log has schema version {version}; open it once writable to migrate it to {SCHEMA_VERSION}")
                return
            if version == SCHEMA_VERSION and not dead:
                return
        try:
            self._write_session(self._migrate_and_recover)
        except LockTimeout:
            raise self._busy("opening") from None

    def _inspect(self) -> tuple[int | None, list]:
        def look(con):
            version = schema_version(con)
            return (None, []) if version is None else (version, self._dead_runs(con))

        self._flush_siblings()
        try:
            return self._session(look, read_only=True)
        except LockTimeout:
            raise self._busy("opening") from None

    def _migrate_and_recover(self, con) -> None:
        migrate(con)
        for run_id, path, reason in self._dead_runs(con):
            self._recover_run(con, run_id, path, reason)

    def _dead_runs(self, con) -> list[tuple[str, Path | None, str]]:
        """Runs whose process is gone: (run_id, journal or None, why)."""
        me, now = provenance.host(), time.time()
        rows = con.execute("SELECT run_id, host, heartbeat FROM runs WHERE status = 'running'").fetchall()
        running = {r[0]: (r[1], _epoch(r[2])) for r in rows}
        journals = jr.list_journals(self._journal_dir)
        dead = []
        for run_id, path in journals.items():
            if run_id in self._runs or run_id in self._closing:
                continue
            host, heartbeat = running.get(run_id, (None, None))
            if host is None:
                host = self._journal_host(path)
            if host in (None, me):
                if jr.is_abandoned(path):
                    dead.append((run_id, path, f"its process on {me} ended without ending the run (killed or crashed)"))
            else:
                last = max(heartbeat or 0.0, path.stat().st_mtime if path.exists() else 0.0)
                if now - last > self.stale_after_s:
                    dead.append((run_id, path, f"no sign of life from {host} for {now - last:.0f} s"))
        for run_id, (host, heartbeat) in running.items():
            if run_id in journals or run_id in self._runs or run_id in self._closing:
                continue
            if host == me:
                dead.append((run_id, None, f"its process on {me} ended without ending the run and left no journal"))
            elif heartbeat is not None and now - heartbeat > self.stale_after_s:
                dead.append((run_id, None, f"no sign of life from {host} for {now - heartbeat:.0f} s"))
        return dead

    @staticmethod
    def _journal_host(path: Path) -> str | None:
        try:
            with open(path, "rb") as f:
                first = f.readline()
            return json.loads(first)["run"].get("host") if first.endswith(b"\n") else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _recover_run(self, con, run_id: str, path: Path | None, reason: str) -> None:
        row = con.execute("SELECT status, heartbeat, start_time FROM runs WHERE run_id = ?", [run_id]).fetchone()
        batch = Batch()
        error = f"killed: {reason}; marked when the lab log was next opened"
        if path is not None and path.exists():
            if row is None or row[0] in ("running", "killed"):
                off = con.execute("SELECT merged_bytes FROM lablog_journal WHERE run_id = ?", [run_id]).fetchone()
                records, mtime = jr.read_records(path, off[0] if (off and row is not None) else 0)
                for record in records:
                    batch.add(run_id, record)
                if run_id not in batch.ends and (row is not None or batch.starts):
                    batch.add(run_id, {"t": "end", "status": "killed", "end_time": mtime, "error": error})
        elif row is not None:
            batch.add(run_id, {"t": "end", "status": "killed", "end_time": _epoch(row[1] or row[2]), "error": error})
        batch.apply(con, live=set(), now=time.time())
        con.execute("DELETE FROM lablog_journal WHERE run_id = ?", [run_id])
        referenced = {r[0] for r in con.execute("SELECT path FROM artifacts WHERE run_id = ?", [run_id]).fetchall()}
        art.remove_orphans(self.artifact_dir, run_id, referenced)
        if path is not None:
            path.unlink(missing_ok=True)

    # -- runs ----------------------------------------------------------------------------------------
    def start_run(
        self,
        experiment: str,
        name: str,
        config: Any = None,
        parent: Run | str | None = None,
        *,
        seed: int | None = None,
        command_line: str | list[str] | None = None,
        git_commit: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> Run:
        """Start a run (use it as ``with log.start_run(...) as run:``). ``parent``: a Run or run id."""
        if self.read_only:
            raise LabLogError(f"lab log {self.path} was opened read-only; open it without read_only=True to log runs")
        check_key(experiment, "experiment name")
        check_key(name, "run name")
        parent_id = parent.id if isinstance(parent, Run) else parent
        if parent_id is not None:
            if not isinstance(parent_id, str):
                raise LabLogError(f"expected parent to be a Run or a run id, got {type(parent).__name__}")
            if parent_id not in self._runs and not self._read([("SELECT 1 FROM runs WHERE run_id = ?", [parent_id])])[0][1]:
                raise LabLogError(f"parent run {parent_id!r} is not in lab log {self.path}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise LabLogError(f"expected seed to be an integer or None, got {seed!r}")
        if isinstance(command_line, (list, tuple)):
            import shlex

            command_line = shlex.join(str(a) for a in command_line)
        run_id = uuid.uuid4().hex
        record = {
            "t": "start",
            "run": {
                "run_id": run_id, "experiment": experiment, "name": name, "parent_run_id": parent_id, "start_time": time.time(),
                "command_line": command_line, "config": config_json(config), "git_commit": git_commit,
                "package_versions": provenance.package_versions_json(), "host": provenance.host(), "pid": os.getpid(), "seed": seed,
            },
        }
        journal = jr.Journal(self._journal_dir, run_id)
        run = Run(self, run_id, experiment, name, parent_id, journal)
        with self._mutex:
            self._runs[run_id] = run
        run._write(record)
        if tags:
            run.set_tags(tags)
        return run

    def _end_run(self, run: Run) -> None:
        with self._mutex:
            self._runs.pop(run.id, None)
            self._closing[run.id] = run
            due = time.monotonic() - self._last_merge >= self.flush_interval_s
        if due:
            self._merge(block=False, must=False)  # else the timer merges it within flush_interval_s

    # -- merging -------------------------------------------------------------------------------------
    def _pending(self) -> bool:
        """Called under the mutex after each record; True if the caller must merge now (a large batch)."""
        if self._batch.n_points >= self.max_pending_points:
            return True
        if self._timer is None and not self._exiting:
            self._schedule(self.flush_interval_s)
        return False

    def _schedule(self, delay: float) -> None:
        self._timer = threading.Timer(delay, self._on_timer)
        self._timer.daemon = True
        self._timer.start()

    def _stop_timer(self) -> None:
        with self._mutex:
            self._exiting = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join(30)

    def _on_timer(self) -> None:
        """Background merge ``flush_interval_s`` after the first unmerged record; never waits for the lock."""
        with self._mutex:
            if self._timer is not threading.current_thread():
                return  # stopped or replaced meanwhile
            self._timer = None
            if self._exiting or os.getpid() != self._pid or (self._batch.empty() and not self._closing):
                return
        try:
            merged = self._merge(block=False, must=False)
        except Exception as exc:  # the data stays in the journal and the batch; tell, then retry later
            warnings.warn(f"lab log {self.path}: background merge failed ({exc}); retrying", RuntimeWarning)
            merged = False
        if not merged:
            with self._mutex:
                if self._timer is None and not self._exiting:
                    self._schedule(min(0.05 + 0.1 * self.flush_interval_s, 1.0))

    def _merge(self, block: bool, must: bool) -> bool:
        """Merge the batch in one transaction; returns whether it merged. Never call it holding the mutex.

        The batch is swapped out under the mutex and written without it, so logging goes on (into a
        fresh batch) while DuckDB works; a failed merge puts the batch back in front of the new records.
        """
        if os.getpid() != self._pid:
            return False  # a forked child holds a copy of the parent's batch: only the parent merges it
        if not self._db_lock.acquire(blocking=block):
            return False
        try:
            with self._mutex:
                if self._batch.empty() and not self._closing:
                    self._last_merge = time.monotonic()
                    return True
                batch, self._batch = self._batch, Batch()
                closing = list(self._closing)
                live = set(self._runs)

            def put_back() -> None:
                with self._mutex:
                    batch.extend(self._batch)
                    self._batch = batch

            try:
                self._session(lambda con: batch.apply(con, live, time.time()), read_only=False, timeout_s=None if block else 0.0)
            except (LockTimeout, DatabaseBusy):
                put_back()
                if must:
                    raise self._busy("writing") from None
                if block:
                    warnings.warn(
                        f"lab log {self.path} stayed locked for {self.lock_timeout_s:g} s; the data is safe in the run journals "
                        "and is merged later (or when the lab log is next opened)",
                        RuntimeWarning, stacklevel=3,
                    )
                return False
            except duckdb.Error as exc:
                put_back()
                raise LabLogError(f"could not write to lab log {self.path}: {str(exc).strip().splitlines()[0]}") from None
            except BaseException:
                put_back()
                raise
            with self._mutex:
                self._last_merge = time.monotonic()
                for run_id in closing:
                    run = self._closing.pop(run_id, None)
                    if run is not None:
                        run._journal.close(delete=True)
            return True
        finally:
            self._db_lock.release()

    def flush(self) -> None:
        """Merge everything this process logged into the database now."""
        if not self.read_only:
            self._merge(block=True, must=True)

    def close(self) -> None:
        """Flush. Runs still open stay ``running`` (they are ended by their ``with`` blocks)."""
        self.flush()
        with self._mutex:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    # -- reading -------------------------------------------------------------------------------------
    def query(self, query: str, params: list | None = None) -> list[tuple[list[str], list[tuple]]]:
        """Read-only SQL; (column names, rows) for each statement of ``query``."""
        statements = check_read_only(query)
        if params is not None and len(statements) != 1:
            raise LabLogError("query parameters need a single statement")
        return self._read([(s, params) for s in statements], user=True)

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        """Read-only SQL; the rows of the (last) statement as tuples. Writing statements are refused."""
        return self.query(query, params)[-1][1]

    def resolve_run_id(self, run_id: str) -> str:
        """A full run id from a unique prefix (at least 4 characters)."""
        if not isinstance(run_id, str) or len(run_id) < 4:
            raise LabLogError(f"expected a run id (or a unique prefix of at least 4 characters), got {run_id!r}")
        rows = self._read([("SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY run_id LIMIT 3", [run_id])])[0][1]
        if not rows:
            raise LabLogError(f"no run {run_id!r} in lab log {self.path}; `dataengine runs` lists them")
        if len(rows) > 1:
            raise LabLogError(f"run id prefix {run_id!r} is ambiguous ({', '.join(r[0] for r in rows)}, ...); give more characters")
        return rows[0][0]

    def runs(self, experiment: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Runs (oldest first) as dicts with their params and the latest value of each metric."""
        if status is not None and status not in STATUSES:
            raise LabLogError(f"unknown run status {status!r}; expected one of {', '.join(STATUSES)}")
        where, args = [], []
        if experiment is not None:
            where.append("experiment = ?")
            args.append(experiment)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        cond = ("WHERE " + " AND ".join(where)) if where else ""
        sub = f"(SELECT run_id FROM runs {cond})"
        (cols, rows), (_, metrics), (_, params), (_, tags) = self._read([
            (f"SELECT * EXCLUDE (package_versions) FROM runs {cond} ORDER BY start_time, run_id", args),
            (f"SELECT run_id, key, value FROM latest_metrics WHERE run_id IN {sub} ORDER BY key", args),
            (f"SELECT run_id, key, type, value FROM params WHERE run_id IN {sub} ORDER BY key", args),
            (f"SELECT run_id, key, value FROM tags WHERE run_id IN {sub} ORDER BY key", args),
        ])
        out = {r[0]: {**dict(zip(cols, r)), "params": {}, "metrics": {}, "tags": {}} for r in rows}
        for run_id, key, value in metrics:
            out[run_id]["metrics"][key] = value
        for run_id, key, typ, value in params:
            out[run_id]["params"][key] = decode_param(typ, value)
        for run_id, key, value in tags:
            out[run_id]["tags"][key] = value
        for r in out.values():
            r["config"] = json.loads(r["config"]) if r["config"] else None
        return list(out.values())

    def run_info(self, run_id: str) -> dict[str, Any]:
        """Everything about one run (id or unique prefix): the row, params, latest metrics, tags, artifacts, children."""
        run_id = self.resolve_run_id(run_id)
        a = [run_id]
        (cols, rows), (_, params), (mcols, metrics), (_, tags), (acols, arts), (_, children) = self._read([
            ("SELECT * FROM runs WHERE run_id = ?", a),
            ("SELECT key, type, value FROM params WHERE run_id = ? ORDER BY key", a),
            ("SELECT * EXCLUDE (run_id) FROM latest_metrics WHERE run_id = ? ORDER BY key", a),
            ("SELECT key, value FROM tags WHERE run_id = ? ORDER BY key", a),
            ("SELECT * EXCLUDE (run_id) FROM artifacts WHERE run_id = ? ORDER BY name", a),
            ("SELECT run_id, name, status FROM runs WHERE parent_run_id = ? ORDER BY start_time", a),
        ])
        info = dict(zip(cols, rows[0]))
        info["config"] = json.loads(info["config"]) if info["config"] else None
        info["package_versions"] = json.loads(info["package_versions"]) if info["package_versions"] else None
        info["params"] = {k: decode_param(t, v) for k, t, v in params}
        info["metrics"] = [dict(zip(mcols, m)) for m in metrics]
        info["tags"] = dict(tags)
        info["artifacts"] = [dict(zip(acols, r)) for r in arts]
        info["children"] = [dict(zip(("run_id", "name", "status"), c)) for c in children]
        return info

    def metric_history(self, run_id: str, key: str) -> list[tuple]:
        """(step, epoch, value, timestamp) of one metric of one run, by step."""
        return self._read([(
            "SELECT step, epoch, value, timestamp FROM metrics WHERE run_id = ? AND key = ? ORDER BY step, timestamp", [run_id, key]
        )])[0][1]

    # -- artifacts -----------------------------------------------------------------------------------
    def artifact_bytes(self, uri: str, kind: str | None = None) -> tuple[dict[str, Any], bytes]:
        """The row and the sha256-verified bytes of ``lablog:<run_id>/<name>``."""
        run_id, name = art.parse_uri(uri)
        cols, rows = self._read([("SELECT * FROM artifacts WHERE run_id = ? AND name = ?", [run_id, name])])[0]
        if not rows:
            raise LabLogError(f"no artifact {uri} in lab log {self.path}")
        row = dict(zip(cols, rows[0]))
        if kind is not None and row["kind"] != kind:
            raise LabLogError(f"artifact {uri} is a {row['kind']}, not a {kind}")
        return row, art.verified_bytes(self.artifact_dir, uri, row["path"], row["sha256"])

    def artifact_path(self, uri: str) -> Path:
        """The file of an artifact, after checking its sha256."""
        row, _ = self.artifact_bytes(uri)
        return self.artifact_dir / row["path"]

    def load_model(self, uri: str) -> dict:
        """The state dict logged with ``log_model`` (torch tensors, bit-identical)."""
        _, data = self.artifact_bytes(uri, kind="model")
        return tensors.load_model_bytes(data)

    def load_tensor(self, uri: str):
        """The tensor or array logged with ``log_tensor``."""
        _, data = self.artifact_bytes(uri, kind="tensor")
        return tensors.load_tensor_bytes(data)

    # -- more than one machine -----------------------------------------------------------------------
    def export_parquet(self, folder: str | os.PathLike, with_artifacts: bool = True) -> dict[str, int]:
        """Every table as Parquet partitioned by experiment (hive layout), plus the artifact files."""
        self.flush()
        return export_parquet(self, Path(folder), with_artifacts)

    def import_from(self, source: str | os.PathLike) -> dict[str, int]:
        """Merge another lab log (a .duckdb file or a Parquet export) into this one, by run id; idempotent."""
        self.flush()
        source = Path(source)
        if source.is_file():
            flush_process_logs(source)  # a LabLog of this very process may still hold some of the source's runs
        return import_lablog(self, source)


def _default_log(log: LabLog | None) -> LabLog:
    return log if log is not None else LabLog(create=False)


def load_model(uri: str, log: LabLog | None = None) -> dict:
    """``lablog.load_model("lablog:<run_id>/<name>", log=log)`` → state dict; sha256 checked first."""
    return _default_log(log).load_model(uri)


def load_tensor(uri: str, log: LabLog | None = None):
    return _default_log(log).load_tensor(uri)
