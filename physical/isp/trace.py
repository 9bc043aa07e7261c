"""Stage tracing: a pipeline can return every intermediate image as a small typed result.

A pipeline is written once as a generator of ``(stage name, image)`` in physical order
(:meth:`TracedPipeline.stages`); ``forward`` keeps only the last image, ``trace`` keeps them all in a
:class:`Trace`. Stage images are the tensors of the computation itself (no copies, no side-channel dicts
filled during ``forward``), so a caller can ``retain_grad()`` on them before ``backward`` to read the
gradient that reaches each stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Stage", "Trace", "TracedPipeline"]


@dataclass(frozen=True)
class Stage:
    name: str
    image: torch.Tensor  # (B, C, H, W)


@dataclass(frozen=True)
class Trace:
    """Every stage of one run, in order; ``output`` is the last."""

    stages: tuple[Stage, ...]

    @property
    def output(self) -> torch.Tensor:
        return self.stages[-1].image

    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    def __getitem__(self, name: str) -> torch.Tensor:
        for s in self.stages:
            if s.name == name:
                return s.image
        raise KeyError(f"no stage {name!r}; stages are: {', '.join(self.names())}")

    def retain_grad(self) -> "Trace":
        """Keep ``.grad`` of every stage image that is part of an autograd graph (call before backward)."""
        for s in self.stages:
            if s.image.requires_grad:
                s.image.retain_grad()
        return self


class TracedPipeline(nn.Module):
    """Base of the ISP modules: subclasses implement :meth:`stages`."""

    def stages(self, raw: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        raise NotImplementedError

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        image = None
        for _name, image in self.stages(raw):
            pass
        return image

    def trace(self, raw: torch.Tensor) -> Trace:
        return Trace(tuple(Stage(name, image) for name, image in self.stages(raw)))
