"""The scene diffusion model: a diffusers ``UNet2DModel`` built from :class:`DiffusionConfig`, its noise
schedule, and the encoding between linear scenes and the model's [-1, 1] space.

Class conditioning uses the UNet's class embedding with one extra "null" class (index = number of classes)
for classifier-free guidance. Built from config only: no hub download (``HF_HUB_OFFLINE=1`` is fine).
"""

from __future__ import annotations

import torch
from diffusers import DDPMScheduler, UNet2DModel

from semantic.diffusion_config import DiffusionConfig

__all__ = ["build_unet", "build_scheduler", "encode", "decode", "null_class"]


def build_unet(config: DiffusionConfig) -> UNet2DModel:
    """A freshly initialised UNet; the initial weights come from ``config.seed`` (same seed, same weights)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return _unet(config)


def _unet(config: DiffusionConfig) -> UNet2DModel:
    n = len(config.block_out_channels)
    down = ["DownBlock2D"] * n
    up = ["UpBlock2D"] * n
    if config.attention_at_lowest:
        down[-1] = "AttnDownBlock2D"
        up[0] = "AttnUpBlock2D"
    groups = min(8, min(config.block_out_channels))
    return UNet2DModel(
        sample_size=config.size,
        in_channels=config.channels,
        out_channels=config.channels,
        block_out_channels=config.block_out_channels,
        layers_per_block=config.layers_per_block,
        down_block_types=tuple(down),
        up_block_types=tuple(up),
        norm_num_groups=groups,
        attention_head_dim=min(32, config.block_out_channels[-1]),
        num_class_embeds=len(config.classes) + 1 if config.conditional else None,
    )


def build_scheduler(config: DiffusionConfig) -> DDPMScheduler:
    return DDPMScheduler(num_train_timesteps=config.num_train_timesteps, beta_schedule=config.beta_schedule,
                         prediction_type=config.prediction_type, clip_sample=True)


def null_class(config: DiffusionConfig) -> int:
    """The class index meaning "no label" (classifier-free guidance)."""
    return len(config.classes)


def encode(data: torch.Tensor, config: DiffusionConfig) -> torch.Tensor:
    """Linear data ``(B, C, H, W)`` in [0, 1] (scene RGB, then mask) → model space [-1, 1]."""
    rgb, rest = data[:, :3], data[:, 3:]
    rgb = rgb.clamp(0, 1)
    if config.encoding == "sqrt":
        rgb = rgb.sqrt()
    return torch.cat([rgb * 2 - 1, rest.clamp(0, 1) * 2 - 1], dim=1)


def decode(x: torch.Tensor, config: DiffusionConfig) -> torch.Tensor:
    """Model space → linear data in [0, 1]; mask channels stay soft (threshold at 0.5)."""
    y = ((x + 1) / 2).clamp(0, 1)
    rgb, rest = y[:, :3], y[:, 3:]
    if config.encoding == "sqrt":
        rgb = rgb**2
    return torch.cat([rgb, rest], dim=1)
