"""The evaluator network: a small CNN trained on procedural scenes, the project's own feature extractor.

No pretrained feature networks can be downloaded (no Inception, no ImageNet weights), so generated scenes
are judged by a network trained here, on procedural scenes of the model's size:

- ``features(x)``: a 128-d global-average-pooled embedding (the space of the "FID-like" distance),
- ``classify(x)``: leukocyte class logits (microscopy),
- ``segment(x)``: per-pixel car logits ``(B, 1, H, W)`` (drone), from a light decoder with skips.

Classification uses the whole field (the leukocyte is centred but red cells matter for scale).

Input: linear scenes ``(B, 3, H, W)`` in [0, 1]; the network sees sqrt(x) standardised, like the diffusion
model's encoding. :func:`train_evaluator` trains it on a pool of procedural scenes with flips and 90° rotations. Limits: its features know only what
procedural scenes show; an FID-like figure is comparable only between runs that use the same evaluator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from physical.checks import InputError
from semantic.domains import get_domain
from semantic.metrics import class_consistency, mask_iou

__all__ = ["EvaluatorConfig", "Evaluator", "train_evaluator", "evaluator_accuracy", "evaluator_iou"]


@dataclass(frozen=True)
class EvaluatorConfig:
    domain: str = "microscopy"
    size: int = 64
    width: int = 32
    num_classes: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "EvaluatorConfig":
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - names)
        if unknown:
            raise InputError(f"unknown evaluator config key(s) {unknown}; expected some of: {', '.join(sorted(names))}")
        return cls(**d)


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.GroupNorm(8, cout), nn.SiLU(),
        nn.Conv2d(cout, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU(),
    )


class Evaluator(nn.Module):
    def __init__(self, config: EvaluatorConfig):
        super().__init__()
        self.config = config
        w = config.width
        self.enc = nn.ModuleList([_block(3, w, 1), _block(w, 2 * w, 2), _block(2 * w, 4 * w, 2), _block(4 * w, 4 * w, 2)])
        self.feature_dim = 4 * w
        self.head = nn.Linear(4 * w, max(config.num_classes, 1))
        self.dec = nn.ModuleList([_block(8 * w, 2 * w, 1), _block(4 * w, w, 1), _block(2 * w, w, 1)])
        self.seg = nn.Conv2d(w, 1, 1)

    @staticmethod
    def prepare(x: torch.Tensor) -> torch.Tensor:
        return (x.clamp(0, 1).sqrt() - 0.5) / 0.25

    def _encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = self.prepare(x)
        skips = []
        for blk in self.enc:
            h = blk(h)
            skips.append(h)
        return skips

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, feature_dim)`` embedding of scenes ``(B, 3, H, W)``."""
        return self._encode(x)[-1].mean(dim=(2, 3))

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    def segment(self, x: torch.Tensor) -> torch.Tensor:
        skips = self._encode(x)
        h = skips[-1]
        for blk, skip in zip(self.dec, reversed(skips[:-1])):
            h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            h = blk(torch.cat([h, skip], dim=1))
        return self.seg(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(x) if self.config.num_classes else self.segment(x)


def _loss(model: Evaluator, data: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    if model.config.num_classes:
        return F.cross_entropy(model.classify(data[:, :3]), labels)
    logits = model.segment(data[:, :3])
    target = data[:, 3:4]
    # Dice + BCE: cars cover a small fraction of a tile
    p = torch.sigmoid(logits)
    dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    return F.binary_cross_entropy_with_logits(logits, target) + dice


def train_evaluator(domain: str, size: int, steps: int, *, batch_size: int = 32, seed: int = 0, width: int = 32,
                    lr: float = 2e-3, pool_size: int = 2048, on_step: Callable[[int, float], None] | None = None) -> Evaluator:
    """Train an evaluator on procedural scenes of ``size`` px.

    A pool of ``pool_size`` scenes (scene *i* seeded by (seed, i)) is rendered once and batches are drawn
    from it with random 90° rotations and flips (both domains are rotation invariant), which keeps the
    rendering cost out of the loop; ``pool_size`` must be large against the classes' variety.
    """
    d = get_domain(domain)
    with torch.random.fork_rng(devices=[]):  # initial weights from the seed, not from the global RNG
        torch.manual_seed(seed)
        model = Evaluator(EvaluatorConfig(domain, size, width, len(d.classes)))
    gens = [torch.Generator().manual_seed((seed * 1_000_003 * 65536 + i) & 0x7FFFFFFFFFFF) for i in range(pool_size)]
    labels = torch.arange(pool_size) % len(d.classes) if d.classes else None
    pool, labels = d.procedural(gens, size, labels)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1), pct_start=0.15)
    g = torch.Generator().manual_seed(seed + 1)
    model.train()
    for step in range(steps):
        idx = torch.randint(0, pool_size, (batch_size,), generator=g)
        data = torch.rot90(pool[idx], int(torch.randint(0, 4, (), generator=g)), dims=(2, 3))
        if bool(torch.randint(0, 2, (), generator=g)):
            data = data.flip(3)
        loss = _loss(model, data, labels[idx] if labels is not None else None)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if on_step is not None:
            on_step(step, float(loss.detach()))
    model.eval()
    return model


@torch.no_grad()
def evaluator_accuracy(model: Evaluator, scenes: torch.Tensor, labels: torch.Tensor, batch: int = 64) -> float:
    """Top-1 accuracy averaged over classes, on scenes ``(B, 3, H, W)`` with class indices ``labels``."""
    preds = torch.cat([model.classify(scenes[i : i + batch]).argmax(1) for i in range(0, len(scenes), batch)])
    return class_consistency(preds, labels, model.config.num_classes)["mean"]


@torch.no_grad()
def evaluator_iou(model: Evaluator, data: torch.Tensor, batch: int = 64) -> float:
    """Car IoU pooled over tiles ``(B, 4, H, W)`` (scene RGB, then the true mask)."""
    pred = torch.cat([model.segment(data[i : i + batch, :3]) > 0 for i in range(0, len(data), batch)])
    return mask_iou(pred, data[:, 3:4] > 0.5)
