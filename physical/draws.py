"""Random draws from explicit generators, per batch or per sample.

Every stochastic function of the physical layer takes ``generator``: either one ``torch.Generator`` (one
stream for the whole batch, fastest) or a sequence of one generator per sample. With one generator per
sample, sample *i* is the same bytes whatever the batch size or the order of the batch — the engine seeds one
generator per (file, intensity), so written datasets do not depend on batching.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import torch

from physical.checks import InputError

__all__ = ["Generators", "check_generators", "poisson", "randn"]

Generators = torch.Generator | Sequence[torch.Generator] | None


def check_generators(generator: Generators, batch: int) -> None:
    if isinstance(generator, Sequence) and len(generator) != batch:
        raise InputError(f"expected one generator per sample ({batch}), got {len(generator)}")


def _pool() -> ThreadPoolExecutor:
    global _POOL
    workers = max(1, torch.get_num_threads())
    if _POOL is None or _POOL._max_workers != workers:
        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poisson")
    return _POOL


_POOL: ThreadPoolExecutor | None = None


def poisson(rate: torch.Tensor, generator: Generators) -> torch.Tensor:
    """Exact Poisson draws of ``rate`` (B, ...) — unbiased at any count, no Gaussian approximation.

    torch's CPU Poisson sampler is a serial loop (≈ 50 ns a draw) that releases the GIL, so on the CPU the
    samples are drawn in parallel threads (``torch.get_num_threads()``), each from its own stream: the given
    per-sample generators, or, for one generator, per-sample seeds drawn from it first. The result does not
    depend on the number of threads. On other devices one batched call is made.
    """
    rate = rate.detach()
    if not isinstance(generator, Sequence):
        if rate.device.type != "cpu" or rate.ndim == 0:
            return torch.poisson(rate, generator=generator)
        seeds = torch.randint(0, 2**62, (rate.shape[0],), generator=generator).tolist()
        generator = [torch.Generator().manual_seed(s) for s in seeds]
    if rate.device.type != "cpu" or len(generator) < 2 or torch.get_num_threads() < 2:
        return torch.stack([torch.poisson(rate[i], generator=g) for i, g in enumerate(generator)])
    return torch.stack(list(_pool().map(lambda ig: torch.poisson(rate[ig[0]], generator=ig[1]), enumerate(generator))))


def randn(shape: Sequence[int], generator: Generators, *, like: torch.Tensor) -> torch.Tensor:
    """Standard normal draws of ``shape`` (B, ...) on the device and dtype of ``like``."""
    kw = dict(device=like.device, dtype=like.dtype)
    if isinstance(generator, Sequence):
        return torch.stack([torch.randn(tuple(shape[1:]), generator=g, **kw) for g in generator])
    return torch.randn(tuple(shape), generator=generator, **kw)
