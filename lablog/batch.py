"""A batch of journal records waiting to be merged, and its merge into the tables in one transaction.

Records are the journal's JSON objects (``{"t": kind, ...}``, times as float seconds since the epoch, UTC):

* ``start``  — the run's row (``run``);
* ``m``      — one call's metric points at one time ``ts`` and epoch ``e``: keys ``k``, values ``v`` and
  steps ``s`` (one int for all keys, or one per key);
* ``p``      — params ``rows: [[key, type, value, value_num], ...]``;
* ``tag``    — tags ``rows: [[key, value], ...]``;
* ``a``      — one artifact ``row`` (its file is already in place when the record is written);
* ``end``    — final ``status``, ``end_time``, ``error``.

The live process and a recovery replaying a dead run's journal build the same :class:`Batch` and merge it
with :meth:`Batch.apply`, so both paths write identical rows. Metric points are held as columns of small
integer codes (run, key) plus values and steps, one entry per call for time and epoch, and go in through
registered NumPy arrays joined to the code tables — millions of rows per second, no Python object per
point. Everything else is a handful of rows per run, written with one statement per table.
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
        self.offsets: dict[str, int] = {}
        # metric points: per point key code, step, value; per call run code, time, epoch, count
        self.run_codes: dict[str, int] = {}
        self.key_codes: dict[str, int] = {}
        self._tuple_codes: dict[tuple, list[int]] = {}
        self.p_key: list[int] = []
        self.p_step: list[int] = []
        self.p_value: list[float] = []
        self.c_run: list[int] = []
        self.c_time: list[float] = []
        self.c_epoch: list[int] = []
        self.c_n: list[int] = []

    @property
    def n_points(self) -> int:
        return len(self.p_value)

    def empty(self) -> bool:
        return not (self.starts or self.ends or self.params or self.tags or self.artifacts or self.p_value or self.offsets)

    def add_metrics(self, run_id: str, keys: tuple[str, ...], steps: int | list[int], epoch: int | None, values: list[float], t: float) -> None:
        codes = self._tuple_codes.get(keys)
        if codes is None:
            kc = self.key_codes
            codes = self._tuple_codes[keys] = [kc.setdefault(k, len(kc)) for k in keys]
        n = len(codes)
        self.p_key.extend(codes)
        self.p_step.extend([steps] * n if type(steps) is int else steps)
        self.p_value.extend(values)
        rc = self.run_codes.get(run_id)
        if rc is None:
            rc = self.run_codes[run_id] = len(self.run_codes)
        self.c_run.append(rc)
        self.c_time.append(t)
        self.c_epoch.append(NO_EPOCH if epoch is None else epoch)
        self.c_n.append(n)

    def add(self, run_id: str, record: dict[str, Any]) -> None:
        kind = record["t"]
        if kind == "m":
            self.add_metrics(run_id, tuple(record["k"]), record["s"], record["e"], record["v"], record["ts"])
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

    def extend(self, later: Batch) -> None:
        """Append ``later``'s content after this batch's (used to put back a batch whose merge failed)."""
        for run_id, r in later.starts.items():
            self.starts.setdefault(run_id, r)
        self.ends.update(later.ends)
        self.params.update(later.params)
        self.tags.update(later.tags)
        self.artifacts.extend(later.artifacts)
        self.offsets.update(later.offsets)
        names_k = {c: k for k, c in later.key_codes.items()}
        names_r = {c: r for r, c in later.run_codes.items()}
        kmap = [self.key_codes.setdefault(names_k[c], len(self.key_codes)) for c in range(len(names_k))]
        rmap = [self.run_codes.setdefault(names_r[c], len(self.run_codes)) for c in range(len(names_r))]
        self.p_key.extend(kmap[c] for c in later.p_key)
        self.p_step.extend(later.p_step)
        self.p_value.extend(later.p_value)
        self.c_run.extend(rmap[c] for c in later.c_run)
        self.c_time.extend(later.c_time)
        self.c_epoch.extend(later.c_epoch)
        self.c_n.extend(later.c_n)

    def apply(self, con, live: set[str], now: float) -> None:
        """Write everything into the read-write session ``con``, inside one transaction."""
        con.execute("BEGIN TRANSACTION")
        try:
            self._apply(con, live, now)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _apply_metrics(self, con) -> None:
        n = np.array(self.c_n, dtype=np.int64)
        values = np.array(self.p_value, dtype=np.float64)
        nan = np.isnan(values)  # a NumPy scan reads NaN as NULL: carry it as a flag
        points = {
            "r": np.repeat(np.array(self.c_run, dtype=np.int32), n),
            "k": np.array(self.p_key, dtype=np.int32),
            "step": np.array(self.p_step, dtype=np.int64),
            "epoch": np.repeat(np.array(self.c_epoch, dtype=np.int64), n),
            "value": np.where(nan, 0.0, values),
            "nan": nan,
            "ts": np.repeat((np.array(self.c_time, dtype=np.float64) * 1e6).astype(np.int64), n).astype("datetime64[us]"),
        }
        run_names = {"r": np.arange(len(self.run_codes), dtype=np.int32), "run_id": np.array(list(self.run_codes), dtype=object)}
        key_names = {"k": np.arange(len(self.key_codes), dtype=np.int32), "key": np.array(list(self.key_codes), dtype=object)}
        con.register("lablog_points", points)
        con.register("lablog_point_runs", run_names)
        con.register("lablog_point_keys", key_names)
        try:
            con.execute(
                f"INSERT INTO metrics SELECT r.run_id, k.key, p.step, nullif(p.epoch, {NO_EPOCH}), "
                "CASE WHEN p.nan THEN 'nan'::DOUBLE ELSE p.value END, p.ts "
                "FROM lablog_points p JOIN lablog_point_runs r USING (r) JOIN lablog_point_keys k USING (k)"
            )
        finally:
            for name in ("lablog_points", "lablog_point_runs", "lablog_point_keys"):
                con.unregister(name)

    def _apply(self, con, live: set[str], now: float) -> None:
        if self.starts:
            exps = sorted({(r["experiment"], r["start_time"]) for r in self.starts.values()})
            con.executemany("INSERT OR IGNORE INTO experiments VALUES (?, ?)", [(e, to_datetime(t)) for e, t in exps])
            con.executemany(
                "INSERT OR IGNORE INTO runs (run_id, experiment, name, parent_run_id, status, start_time, heartbeat, command_line,"
                " config, git_commit, package_versions, host, pid, seed) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [[run_id, r["experiment"], r["name"], r.get("parent_run_id"), to_datetime(r["start_time"]), to_datetime(r["start_time"]),
                  r.get("command_line"), r.get("config"), r.get("git_commit"), r.get("package_versions"), r.get("host"), r.get("pid"),
                  r.get("seed")] for run_id, r in self.starts.items()],
            )
        if live:
            # A live run presumed dead by a stale heartbeat (another host) comes back to life when it writes.
            con.execute(
                "UPDATE runs SET heartbeat = ?, status = 'running', end_time = NULL, error = NULL "
                "WHERE list_contains(?, run_id) AND status IN ('running', 'killed')",
                [to_datetime(now), sorted(live)],
            )
        if self.p_value:
            self._apply_metrics(con)
        if self.params:
            con.executemany("INSERT OR IGNORE INTO params VALUES (?, ?, ?, ?, ?)", list(self.params.values()))
        if self.tags:
            con.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?)", [(r, k, v) for (r, k), v in self.tags.items()])
        if self.artifacts:
            con.executemany("INSERT OR IGNORE INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.artifacts)
        offsets = [(r, size) for r, size in self.offsets.items() if r not in self.ends]
        if offsets:
            con.executemany("INSERT OR REPLACE INTO lablog_journal VALUES (?, ?)", offsets)
        if self.ends:
            ids = list(self.ends)
            con.execute(
                "UPDATE runs SET status = e.status, end_time = e.end_time, heartbeat = e.end_time, error = e.error "
                "FROM (SELECT unnest(?) AS run_id, unnest(?) AS status, unnest(?)::TIMESTAMP AS end_time, unnest(?) AS error) e "
                "WHERE runs.run_id = e.run_id",
                [ids, [self.ends[i][0] for i in ids], [to_datetime(self.ends[i][1]) for i in ids], [self.ends[i][2] for i in ids]],
            )
            con.execute("DELETE FROM lablog_journal WHERE list_contains(?, run_id)", [ids])
        if self.params:
            views.refresh_runs_with_params(con)
