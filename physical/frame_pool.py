"""Frame-parallel work on the CPU: one function mapped over the frames of a batch in worker threads.

Most of a capture's time on the CPU is spent in per-pixel work that torch runs one element at a time
(exact Poisson sampling is a serial loop) or on frames too small to gain from intra-op threads. Running
whole frames in parallel threads uses every core instead: torch releases the GIL inside its kernels.

Each worker thread runs its own torch ops single-threaded (the OpenMP thread count is a per-thread setting),
so ``W`` workers keep ``W`` cores busy without nesting an intra-op team inside each; the calling thread's
setting is left as it was. The pool has ``torch.get_num_threads()`` workers of the calling thread and is
rebuilt when that changes.

Determinism is the caller's part: a frame's work must depend only on its own inputs and its own generator,
never on which thread ran it or in which order (then the result is the same for any number of threads).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

__all__ = ["workers", "map_frames"]

T = TypeVar("T")

_POOL: ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def workers() -> int:
    """How many frames run at once (the calling thread's torch thread count)."""
    return max(1, torch.get_num_threads())


def _single_threaded_worker(barrier: threading.Barrier) -> None:
    # torch initialises a thread's intra-op setting lazily, on its first parallel op, from the process-wide
    # default; trigger that first, then set this worker thread's own setting to one thread
    torch.get_num_threads()
    torch.set_num_threads(1)
    barrier.wait()


def _thread_count_in_workers() -> list[int]:
    """Each worker's intra-op thread count (all 1 when the pool is set up right; for tests)."""
    barrier = threading.Barrier(workers())

    def ask(_):
        barrier.wait()  # every worker answers once
        return torch.get_num_threads()

    return list(_pool().map(ask, range(workers())))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    n = workers()
    with _LOCK:
        if _POOL is None or _POOL._max_workers != n:
            if _POOL is not None:
                _POOL.shutdown(wait=True)
            pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="frames")
            # start every worker now (the barrier keeps each job on its own thread) and make it
            # single-threaded; torch.set_num_threads also stores a process-wide default that threads
            # created later start from, so the caller's value is put back afterwards
            barrier = threading.Barrier(n)
            for f in [pool.submit(_single_threaded_worker, barrier) for _ in range(n)]:
                f.result()
            torch.set_num_threads(n)
            _POOL = pool
        return _POOL


def map_frames(fn: Callable[[int], T], indices: Iterable[int]) -> list[T]:
    """``[fn(i) for i in indices]``, run in the frame pool (in the calling thread when it has one thread)."""
    indices = list(indices)
    if workers() < 2 or len(indices) < 2:  # inside a worker workers() is 1: nested calls run in place
        return [fn(i) for i in indices]
    return list(_pool().map(fn, indices))
