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

__all__ = ["Generators", "check_generators", "poisson", "randn"]

Generators = torch.Generator | Sequence[torch.Generator] | None


def check_generators(generator: Generators, batch: int) -> None:
    if isinstance(generator, Sequence) and len(generator) != batch:
        raise InputError(f"expected one generator per sample ({batch}), got {len(generator)}")


def poisson(rate: torch.Tensor, generator: Generators) -> torch.Tensor:
    """Exact Poisson draws of ``rate`` (B, ...) — unbiased at any count, no Gaussian approximation."""
    rate = rate.detach()
    if isinstance(generator, Sequence):
        return torch.stack([torch.poisson(rate[i], generator=g) for i, g in enumerate(generator)])
    return torch.poisson(rate, generator=generator)


def randn(shape: Sequence[int], generator: Generators, *, like: torch.Tensor) -> torch.Tensor:
    """Standard normal draws of ``shape`` (B, ...) on the device and dtype of ``like``."""
    kw = dict(device=like.device, dtype=like.dtype)
    if isinstance(generator, Sequence):
        return torch.stack([torch.randn(tuple(shape[1:]), generator=g, **kw) for g in generator])
    return torch.randn(tuple(shape), generator=generator, **kw)
