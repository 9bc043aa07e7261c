"""A batch of journal records waiting to be merged, and its merge into the tables in one transaction.

Records are the journal's JSON objects (``{"t": kind, ...}``, times as float seconds since the epoch, UTC):

* ``start``  — the run's row (``run``);
* ``m``      — one batch of metric points at one time ``ts`` and epoch ``e``: keys ``k``, values ``v`` and
  steps ``s`` (one int for all keys, or one per key);
* ``p``      — params ``rows: [[key, type, value, value_num], ...]``;
* ``tag``    — tags ``rows: [[key, value], ...]``;
* ``a``      — one artifact ``row`` (its file is already in place when the record is written);
* ``end``    — final ``status``, ``end_time``, ``error``.

The live process and a recovery replaying a dead run's journal build the same :class:`Batch` and merge it
with :meth:`Batch.apply`, so both paths write identical rows. Metrics go in as columns through a registered
NumPy scan (≈ millions of rows per second); the rest are few rows per run.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np

from lablog import views

__all__ = ["Batch", "to_datetime", "NO_EPOCH"]

NO_EPOCH = -(2**63)  # stands for NULL in the int64 epoch column


def to_datetime(t: float | None) -> datetime | None:
    """Float seconds since the epoch → naive UTC datetime (DuckDB TIMESTAMP)."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, timezone.utc).replace(tzinfo=None)


class Batch:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.starts: dict[str, dict[str, Any]] = {}
        self.ends: dict[str, tuple[str, float, str | None]] = {}
        self.params: dict[tuple[str, str], tuple] = {}
        self.tags: dict[tuple[str, str], str] = {}
        self.artifacts: list[tuple] = []
        self.m_run: list[str] = []
        self.m_key: list[str] = []
        self.m_step: list[int] = []
        self.m_epoch: list[int] = []
        self.m_value: list[float] = []
        self.m_time: list[float] = []
        self.offsets: dict[str, int] = {}

    @property
    def n_points(self) -> int:
        return len(self.m_value)

    def empty(self) -> bool:
        return not (self.starts or self.ends or self.params or self.tags or self.artifacts or self.m_value or self.offsets)

    def add_metrics(self, run_id: str, keys: list[str], steps: int | list[int], epoch: int | None, values: list[float], t: float) -> None:
        n = len(keys)
        self.m_run.extend([run_id] * n)
        self.m_key.extend(keys)
        self.m_step.extend([steps] * n if isinstance(steps, int) else steps)
        self.m_epoch.extend([NO_EPOCH if epoch is None else epoch] * n)
        self.m_value.extend(values)
        self.m_time.extend([t] * n)

    def add(self, run_id: str, record: dict[str, Any]) -> None:
        kind = record["t"]
        if kind == "m":
            self.add_metrics(run_id, record["k"], record["s"], record["e"], record["v"], record["ts"])
        elif kind == "p":
            for key, typ, value, value_num in record["rows"]:
                self.params[(run_id, key)] = (run_id, key, typ, value, value_num)
        elif kind == "tag":
            for key, value in record["rows"]:
                self.tags[(run_id, key)] = value
        elif kind == "a":
            r = record["row"]
            self.artifacts.append(
                (run_id, r["name"], r["kind"], r["path"], r["bytes"], r["sha256"], r.get("shape"), r.get("dtype"), to_datetime(r["created_at"]))
            )
        elif kind == "start":
            self.starts[run_id] = record["run"]
        elif kind == "end":
            self.ends[run_id] = (record["status"], record["end_time"], record.get("error"))
        else:
            raise ValueError(f"unknown journal record type {kind!r}")

    def apply(self, con, live: set[str], now: float) -> None:
        """Write everything into the open read-write connection ``con``, inside one transaction."""
        con.execute("BEGIN TRANSACTION")
        try:
            self._apply(con, live, now)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _apply(self, con, live: set[str], now: float) -> None:
        for run_id, r in self.starts.items():
            con.execute("INSERT OR IGNORE INTO experiments VALUES (?, ?)", [r["experiment"], to_datetime(r["start_time"])])
            con.execute(
                "INSERT OR IGNORE INTO runs (run_id, experiment, name, parent_run_id, status, start_time, heartbeat, command_line,"
                " config, git_commit, package_versions, host, pid, seed) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, r["experiment"], r["name"], r.get("parent_run_id"), to_datetime(r["start_time"]), to_datetime(r["start_time"]),
                 r.get("command_line"), r.get("config"), r.get("git_commit"), r.get("package_versions"), r.get("host"), r.get("pid"), r.get("seed")],
            )
        if live:
            # A live run presumed dead by a stale heartbeat (another host) comes back to life when it writes.
            con.execute(
                "UPDATE runs SET heartbeat = ?, status = 'running', end_time = NULL, error = NULL "
                "WHERE list_contains(?, run_id) AND status IN ('running', 'killed')",
                [to_datetime(now), sorted(live)],
            )
        if self.m_value:
            values = np.array(self.m_value, dtype=np.float64)
            nan = np.isnan(values)  # a NumPy scan reads NaN as NULL: carry it as a flag
            pending = {
                "run_id": np.array(self.m_run, dtype=object),
                "key": np.array(self.m_key, dtype=object),
                "step": np.array(self.m_step, dtype=np.int64),
                "epoch": np.array(self.m_epoch, dtype=np.int64),
                "value": np.where(nan, 0.0, values),
                "nan": nan,
                "ts": (np.array(self.m_time, dtype=np.float64) * 1e6).astype(np.int64).astype("datetime64[us]"),
            }
            con.register("lablog_pending_metrics", pending)
            try:
                con.execute(
                    f"INSERT INTO metrics SELECT run_id, key, step, nullif(epoch, {NO_EPOCH}), "
                    "CASE WHEN nan THEN 'nan'::DOUBLE ELSE value END, ts FROM lablog_pending_metrics"
                )
            finally:
                con.unregister("lablog_pending_metrics")
        if self.params:
            con.executemany("INSERT OR IGNORE INTO params VALUES (?, ?, ?, ?, ?)", list(self.params.values()))
        if self.tags:
            con.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?)", [(r, k, v) for (r, k), v in self.tags.items()])
        if self.artifacts:
            con.executemany("INSERT OR IGNORE INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.artifacts)
        for run_id, size in self.offsets.items():
            if run_id not in self.ends:
                con.execute("INSERT OR REPLACE INTO lablog_journal VALUES (?, ?)", [run_id, size])
        for run_id, (status, end_time, error) in self.ends.items():
            con.execute(
                "UPDATE runs SET status = ?, end_time = ?, heartbeat = ?, error = ? WHERE run_id = ?",
                [status, to_datetime(end_time), to_datetime(end_time), error, run_id],
            )
            con.execute("DELETE FROM lablog_journal WHERE run_id = ?", [run_id])
        if self.params:
            views.refresh_runs_with_params(con)
