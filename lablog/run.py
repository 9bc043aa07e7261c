"""One run: the object ``LabLog.start_run`` returns and the ``with`` block works with.

Every ``log_*`` call validates its input, appends one record to the run's journal (durable against the
death of the process once the call returns) and to the lab log's in-memory batch, which is merged into the
database within ``flush_interval_s`` (see :mod:`lablog`). Leaving the ``with`` block ends the run:
``finished`` normally, ``failed`` on an exception (its type and message in ``runs.error``), ``killed`` on
Ctrl-C (KeyboardInterrupt); the exception propagates unchanged.

Steps: ``step=None`` means one more than the last step of that key in this run (0 first). Params are
immutable (logging a key again with another value is an error; the same value is a no-op); tags may be
set again. Artifact names are logged once per run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lablog import artifacts as art
from lablog import tensors
from lablog.errors import LabLogError
from lablog.journal import Journal, encode
from lablog.values import check_key, check_step, metric_value, param_row

if TYPE_CHECKING:
    from lablog.log import LabLog

__all__ = ["Run", "STATUSES"]

STATUSES = ("running", "finished", "failed", "killed")
_BIG = 2**62


class Run:
    """A running run. ``run.id`` is its 32-hex-digit id; ``run.uri(name)`` the URI of one of its artifacts."""

    def __init__(self, log: LabLog, run_id: str, experiment: str, name: str, parent_id: str | None, journal: Journal):
        self._log = log
        self.id = run_id
        self.experiment = experiment
        self.name = name
        self.parent_id = parent_id
        self.status = "running"
        self._journal = journal
        self._next_step: dict[str, int] = {}
        self._params: dict[str, tuple] = {}
        self._artifact_names: set[str] = set()
        self._keys_json: dict[tuple, str] = {}

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, experiment={self.experiment!r}, name={self.name!r}, status={self.status!r})"

    # -- the with block ------------------------------------------------------------------------------
    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.end("finished")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end("killed", "KeyboardInterrupt (Ctrl-C)")
        elif issubclass(exc_type, SystemExit) and exc.code in (None, 0):
            self.end("finished")
        else:
            self.end("failed", f"{exc_type.__name__}: {exc}"[:4000])
        return False

    def end(self, status: str = "finished", error: str | None = None) -> None:
        """End the run (the ``with`` block does this); a second call does nothing."""
        if self.status != "running":
            return
        if status not in STATUSES[1:]:
            raise LabLogError(f"expected an end status in {', '.join(STATUSES[1:])}, got {status!r}")
        self._write({"t": "end", "status": status, "end_time": time.time(), "error": error})
        self.status = status
        self._log._end_run(self)

    def flush(self) -> None:
        """Merge everything logged so far into the database now (waits for the lock)."""
        self._log.flush()

    def uri(self, name: str) -> str:
        return f"{art.URI_PREFIX}{self.id}/{art.check_name(name)}"

    # -- writing -------------------------------------------------------------------------------------
    def _write(self, record: dict[str, Any]) -> None:
        self._append(encode(record), lambda batch: batch.add(self.id, record))

    def _append(self, data: bytes, add) -> None:
        """Journal first (durable once this returns), then the in-memory batch."""
        log = self._log
        if self.status != "running":
            raise LabLogError(f"run {self.id} is {self.status}; start a new run to log more")
        if os.getpid() != log._pid:
            raise LabLogError("a lab log run cannot be used across fork(); open a LabLog and start a run in each process")
        with log._mutex:
            size = self._journal.append(data)
            add(log._batch)
            log._batch.offsets[self.id] = size
            merge_now = log._pending()
        if merge_now:
            log._merge(block=True, must=False)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Typed params (bool, int, float, str, None, or JSON-able lists/dicts); immutable per run."""
        if not isinstance(params, Mapping):
            raise LabLogError(f"log_params expects a dict of name -> value, got {type(params).__name__}")
        rows = []
        for key, value in params.items():
            check_key(key, "param key")
            row = param_row(key, value)
            if key in self._params:
                if self._params[key] != row:
                    raise LabLogError(
                        f"param {key!r} was already logged as {self._params[key][1]!r}; params are immutable — "
                        "log a metric or a tag for values that change"
                    )
                continue
            self._params[key] = row
            rows.append([key, *row])
        if rows:
            self._write({"t": "p", "rows": rows})

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        if not isinstance(tags, Mapping):
            raise LabLogError(f"set_tags expects a dict of name -> value, got {type(tags).__name__}")
        rows = [[check_key(k, "tag key"), v if isinstance(v, str) else str(v)] for k, v in tags.items()]
        if rows:
            self._write({"t": "tag", "rows": rows})

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def log_metric(self, key: str, value: Any, step: int | None = None, epoch: int | None = None) -> None:
        self.log_metrics({key: value}, step=step, epoch=epoch)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None, epoch: int | None = None) -> None:
        """One batch of points at one step and time. ``step=None``: per key, one more than its last step."""
        # The hot path of a training loop: validate a set of keys once, encode the record by hand.
        if type(metrics) is not dict and not isinstance(metrics, Mapping):
            raise LabLogError(f"log_metrics expects a dict of key -> number, got {type(metrics).__name__}")
        if not metrics:
            return
        if step is not None and (type(step) is not int or not -_BIG < step < _BIG):
            step = check_step(step)
        if epoch is not None and (type(epoch) is not int or not -_BIG < epoch < _BIG):
            epoch = check_step(epoch, "epoch")
        t = time.time()
        ktuple = tuple(metrics)
        cached = self._keys_json.get(ktuple)
        if cached is None:  # first time this set of keys is logged
            for key in ktuple:
                check_key(key)
            cached = self._keys_json[ktuple] = (json.dumps(ktuple), list(ktuple))
        keys_json, keys = cached
        values = [v if type(v) is float else metric_value(v, k) for k, v in metrics.items()]
        values_json = repr(values)
        if "n" in values_json:  # nan or inf: JSON spells them NaN, Infinity
            values_json = json.dumps(values)
        next_step = self._next_step
        if step is None:
            steps: int | list[int] = [next_step.get(k, 0) for k in keys]
            for k, s in zip(keys, steps):
                next_step[k] = s + 1
            steps_json = repr(steps)
        else:
            steps = step
            for k in keys:
                if next_step.get(k, 0) <= step:
                    next_step[k] = step + 1
            steps_json = str(step)
        data = f'{{"t":"m","ts":{t!r},"e":{"null" if epoch is None else epoch},"k":{keys_json},"s":{steps_json},"v":{values_json}}}\n'.encode()
        log = self._log
        if self.status != "running" or os.getpid() != log._pid:
            self._append(b"", None)  # raises the right error
        with log._mutex:
            size = self._journal.append(data)
            log._batch.add_metrics(self.id, ktuple, steps, epoch, values, t)
            log._batch.offsets[self.id] = size
            merge_now = log._pending()
        if merge_now:
            log._merge(block=True, must=False)

    # -- artifacts -----------------------------------------------------------------------------------
    def _claim(self, name: str) -> str:
        art.check_name(name)
        if name in self._artifact_names:
            raise LabLogError(f"artifact {name!r} was already logged in run {self.id}; artifact names are logged once per run")
        return name

    def _record(self, name: str, kind: str, relpath: str, nbytes: int, sha: str, shape=None, dtype=None) -> str:
        self._artifact_names.add(name)
        row = {"name": name, "kind": kind, "path": relpath, "bytes": nbytes, "sha256": sha, "shape": shape, "dtype": dtype, "created_at": time.time()}
        self._write({"t": "a", "row": row})
        return self.uri(name)

    def _store(self, name: str, filename: str, data: bytes, kind: str, shape=None, dtype=None) -> str:
        self._check_open()
        self._claim(name)
        relpath = f"{self.id}/{filename}"
        nbytes, sha = art.write_bytes(self._log.artifact_dir, relpath, data)
        return self._record(name, kind, relpath, nbytes, sha, shape, dtype)

    def _check_open(self) -> None:
        if self.status != "running":
            raise LabLogError(f"run {self.id} is {self.status}; start a new run to log more")

    def log_artifact(self, path: str | os.PathLike, kind: str = "file", name: str | None = None) -> str:
        """Copy a file (or every file of a folder) into the run's artifacts; returns its ``lablog:`` URI."""
        self._check_open()
        if kind not in art.KINDS:
            raise LabLogError(f"unknown artifact kind {kind!r}; expected one of {', '.join(art.KINDS)}")
        src = Path(path)
        if src.is_dir():
            base = name or src.name
            files = sorted(p for p in src.rglob("*") if p.is_file())
            if not files:
                raise LabLogError(f"log_artifact: folder {src} holds no files")
            for p in files:
                self.log_artifact(p, kind, f"{base}/{p.relative_to(src).as_posix()}")
            return self.uri(base)
        if not src.is_file():
            raise LabLogError(f"log_artifact: no such file {src}")
        name = self._claim(name or src.name)
        relpath = f"{self.id}/{name}"
        nbytes, sha = art.copy_file(self._log.artifact_dir, relpath, src)
        return self._record(name, kind, relpath, nbytes, sha)

    def log_image(self, name: str, image: Any) -> str:
        """A (C, H, W) image (torch or NumPy; floats in [0, 1]) as ``<name>.png``; returns its URI."""
        data, shape, dtype = tensors.image_png(image)
        filename = name if name.endswith(".png") else f"{name}.png"
        return self._store(name, filename, data, "image", shape, dtype)

    def log_tensor(self, name: str, tensor: Any) -> str:
        """A torch tensor or NumPy array as ``<name>.safetensors``; ``lablog.load_tensor(uri)`` gives it back."""
        data, shape, dtype = tensors.tensor_bytes(tensor)
        return self._store(name, f"{name}.safetensors", data, "tensor", shape, dtype)

    def log_model(self, name: str, module: Any) -> str:
        """An ``nn.Module``'s state dict (or a state dict) as ``<name>.safetensors``; ``lablog.load_model(uri)``."""
        data, _meta = tensors.model_bytes(module)
        return self._store(name, f"{name}.safetensors", data, "model")
