"""Training a scene diffusion model: DDPM noise prediction with classifier-free label dropout, EMA weights,
accelerate for devices and processes.

    data batch (procedural or user tensors) ─► encode to [-1, 1] ─► add noise at random t ─► UNet ─► MSE(v or ε)

:class:`DiffusionTrainer` holds the model, its EMA copy (``diffusers.training_utils.EMAModel``), the AdamW
optimiser and the step counter; ``train_step()`` does one optimisation step. Every random draw of step *s*
comes from generators seeded by (config.seed, s, process index, sample), so a resumed run continues with
exactly the batches and noise an uninterrupted one would have seen. Saving to disk is the caller's job
(the engine): :meth:`DiffusionTrainer.export_ema` gives the EMA weights as a ``UNet2DModel`` for
``save_pretrained`` and :meth:`DiffusionTrainer.training_state` the rest.

Scale-out: construct with an ``accelerate.Accelerator``; under ``accelerate launch`` (or ``torchrun``) each
process draws its own part of the batch (process index in the seed) and gradients are averaged.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from diffusers import UNet2DModel
from diffusers.training_utils import EMAModel

from physical.checks import InputError
from semantic.diffusion_config import DiffusionConfig
from semantic.diffusion_model import build_scheduler, build_unet, encode, null_class
from semantic.domains import get_domain

__all__ = ["DataSource", "procedural_source", "tensor_source", "DiffusionTrainer", "step_generator", "learning_rate"]

# A data source gives, for (step, process index, batch size), a batch of linear data (B, C, H, W) in [0, 1]
# and class indices (B,) or None.
DataSource = Callable[[int, int, int], tuple[torch.Tensor, torch.Tensor | None]]


def step_generator(seed: int, step: int, rank: int, slot: int) -> torch.Generator:
    """The generator of draw ``slot`` of process ``rank`` at training ``step``."""
    key = ((seed * 1_000_003 + step) * 1024 + rank) * 4096 + slot
    return torch.Generator().manual_seed(key & 0x7FFF_FFFF_FFFF_FFFF)


def procedural_source(config: DiffusionConfig) -> DataSource:
    """Fresh procedural scenes every step (balanced classes in expectation)."""
    domain = get_domain(config.domain)

    def source(step: int, rank: int, batch: int):
        gens = [step_generator(config.seed, step, rank, 1 + i) for i in range(batch)]
        return domain.procedural(gens, config.size)

    return source


def tensor_source(config: DiffusionConfig, data: torch.Tensor, labels: torch.Tensor | None) -> DataSource:
    """Batches drawn (with replacement) from user data ``(N, C, size, size)`` in [0, 1], random flips/rot90."""
    if data.ndim != 4 or data.shape[1] != config.channels or data.shape[-1] != config.size or data.shape[-2] != config.size:
        raise InputError(f"expected training data of shape (N, {config.channels}, {config.size}, {config.size}), got {tuple(data.shape)}")
    if config.conditional and (labels is None or labels.shape != (len(data),)):
        raise InputError("expected one class label per training image for a class-conditional model")

    def source(step: int, rank: int, batch: int):
        g = step_generator(config.seed, step, rank, 0)
        idx = torch.randint(0, len(data), (batch,), generator=g)
        x = data[idx]
        k = int(torch.randint(0, 4, (), generator=g))
        x = torch.rot90(x, k, dims=(2, 3))
        if bool(torch.randint(0, 2, (), generator=g)):
            x = x.flip(3)
        return x, (labels[idx] if labels is not None else None)

    return source


def learning_rate(config: DiffusionConfig, step: int) -> float:
    """The learning rate of optimisation step ``step`` (0-based): linear warm-up, then constant or half-cosine decay.

    >>> c = DiffusionConfig(learning_rate=1e-3, warmup_steps=10, cosine_decay_steps=110)
    >>> learning_rate(c, 4), round(learning_rate(c, 60), 9), learning_rate(c, 110)
    (0.0005, 0.0005, 0.0)
    """
    rate = config.learning_rate * min(1.0, (step + 1) / max(config.warmup_steps, 1))
    if config.cosine_decay_steps:
        # the decay starts where the warm-up ends, so the two multiply only over the warm-up steps
        span = max(config.cosine_decay_steps - config.warmup_steps, 1)
        frac = min(max(step - config.warmup_steps, 0) / span, 1.0)
        rate *= 0.5 * (1 + math.cos(math.pi * frac))
    return rate


class DiffusionTrainer:
    """One training run. ``unet``/``ema_unet``/``optimizer_state``/``step`` restore a saved run."""

    def __init__(self, config: DiffusionConfig, source: DataSource, *, accelerator: Accelerator | None = None,
                 unet: UNet2DModel | None = None, ema_unet: UNet2DModel | None = None,
                 optimizer_state: dict | None = None, step: int = 0, ema_step: int | None = None):
        self.config = config
        self.source = source
        self.accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
        self.scheduler = build_scheduler(config)
        model = unet if unet is not None else build_unet(config)
        model.train()
        self.ema = EMAModel(
            (ema_unet if ema_unet is not None else model).parameters(),
            decay=config.ema_decay, use_ema_warmup=True, power=0.75,
            model_cls=UNet2DModel, model_config=model.config,
        )
        self.ema.optimization_step = step if ema_step is None else ema_step
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=1e-4)
        if optimizer_state is not None:
            optimizer.load_state_dict(optimizer_state)
        self.model, self.optimizer = self.accelerator.prepare(model, optimizer)
        self.ema.to(self.accelerator.device)
        self.step = step

    def train_step(self) -> float:
        """One optimisation step; returns the (process-local) loss."""
        acc, cfg = self.accelerator, self.config
        rank, world = acc.process_index, acc.num_processes
        per_process = max(1, cfg.batch_size // world)
        data, labels = self.source(self.step, rank, per_process)
        x0 = encode(data, cfg).to(acc.device)
        g = step_generator(cfg.seed, self.step, rank, 0)
        noise = torch.randn(x0.shape, generator=g).to(acc.device)
        t = torch.randint(0, cfg.num_train_timesteps, (x0.shape[0],), generator=g).to(acc.device)
        xt = self.scheduler.add_noise(x0, noise, t)
        class_labels = None
        if cfg.conditional:
            drop = torch.rand(x0.shape[0], generator=g) < cfg.class_dropout
            class_labels = torch.where(drop, torch.full_like(labels, null_class(cfg)), labels).to(acc.device)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(cfg, self.step)
        pred = self.model(xt, t, class_labels=class_labels).sample
        target = noise if cfg.prediction_type == "epsilon" else self.scheduler.get_velocity(x0, noise, t)
        loss = F.mse_loss(pred, target)
        self.optimizer.zero_grad(set_to_none=True)
        acc.backward(loss)
        acc.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.ema.step(acc.unwrap_model(self.model).parameters())
        self.step += 1
        return float(loss.detach())

    def export_ema(self) -> UNet2DModel:
        """A copy of the model holding the EMA weights (for sampling and ``save_pretrained``)."""
        model = copy.deepcopy(self.accelerator.unwrap_model(self.model)).to("cpu")
        self.ema.copy_to(model.parameters())
        model.eval()
        return model

    def export_model(self) -> UNet2DModel:
        """A CPU copy of the raw (non-EMA) training weights, for resuming."""
        return copy.deepcopy(self.accelerator.unwrap_model(self.model)).to("cpu")

    def training_state(self) -> dict:
        """What a resume needs besides the weights: step, EMA step and the optimiser state."""
        # a deep copy: state_dict() shares the live moment tensors, which the next step updates in place
        return {"step": self.step, "ema_step": int(self.ema.optimization_step), "optimizer": copy.deepcopy(self.optimizer.state_dict())}
