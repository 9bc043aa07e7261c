"""Random draws from explicit generators, per batch or per sample.

Every stochastic function of the physical layer takes ``generator``: either one ``torch.Generator`` (one
stream for the whole batch, fastest) or a sequence of one generator per sample. With one generator per
sample, sample *i* is the same bytes whatever the batch size or the order of the batch — the engine seeds one
generator per (file, intensity), so written datasets do not depend on batching.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from physical.checks import InputError
from physical.frame_pool import map_frames

__all__ = ["Generators", "check_generators", "per_sample", "poisson", "randn"]

Generators = torch.Generator | Sequence[torch.Generator] | None


def check_generators(generator: Generators, batch: int) -> None:
    if isinstance(generator, Sequence) and len(generator) != batch:
        raise InputError(f"expected one generator per sample ({batch}), got {len(generator)}")


def per_sample(generator: Generators, batch: int, device: torch.device | str = "cpu") -> Generators:
    """One generator per sample on the CPU: a given sequence as it is, one generator expanded into ``batch``
    generators seeded from it (in order), so a frame's draws never depend on how the batch is split up or
    on the number of threads. On other devices (and for ``None``) the generator is returned unchanged.
    """
    check_generators(generator, batch)
    if isinstance(generator, Sequence) or generator is None or torch.device(device).type != "cpu":
        return generator
    seeds = torch.randint(0, 2**62, (batch,), generator=generator).tolist()
    return [torch.Generator().manual_seed(s) for s in seeds]


def poisson(rate: torch.Tensor, generator: Generators) -> torch.Tensor:
    """Exact Poisson draws of ``rate`` (B, ...) — unbiased at any count, no Gaussian approximation.

    torch's CPU Poisson sampler is a serial loop (≈ 50 ns a draw) that releases the GIL, so on the CPU the
    samples are drawn in parallel (:mod:`physical.frame_pool`), each from its own stream: the given
    per-sample generators, or, for one generator, per-sample generators seeded from it first
    (:func:`per_sample`). The result does not depend on the number of threads. On other devices one batched
    call is made.
    """
    rate = rate.detach()
    if rate.device.type != "cpu" or rate.ndim == 0:
        if isinstance(generator, Sequence):
            return torch.stack([torch.poisson(rate[i], generator=g) for i, g in enumerate(generator)])
        return torch.poisson(rate, generator=generator)
    gens = per_sample(generator, rate.shape[0])
    if gens is None:
        return torch.poisson(rate)
    if len(gens) == 1:
        return torch.poisson(rate, generator=gens[0])
    out = torch.empty_like(rate)

    def one(i: int) -> None:
        out[i] = torch.poisson(rate[i], generator=gens[i])

    map_frames(one, range(len(gens)))
    return out


def randn(shape: Sequence[int], generator: Generators, *, like: torch.Tensor) -> torch.Tensor:
    """Standard normal draws of ``shape`` (B, ...) on the device and dtype of ``like``."""
    kw = dict(device=like.device, dtype=like.dtype)
    if isinstance(generator, Sequence):
        if len(generator) == 1:
            return torch.randn(tuple(shape), generator=generator[0], **kw)
        return torch.stack([torch.randn(tuple(shape[1:]), generator=g, **kw) for g in generator])
    return torch.randn(tuple(shape), generator=generator, **kw)
