"""The configuration of a scene diffusion model: one frozen dataclass, recorded in every checkpoint.

``DiffusionConfig`` holds the model (a diffusers ``UNet2DModel``), the noise schedule, the data encoding and
the training hyper-parameters. ``from_dict`` rejects unknown keys with the list of valid ones, so a
checkpoint written by a newer version fails loudly instead of silently ignoring settings.

Data encoding (``encoding = "sqrt"``): the model works in [-1, 1] on 2·sqrt(x) − 1 of the linear scene, which
spreads the dark half of aerial scenes over more of the model's range than a linear map would; mask
channels are encoded as 2·m − 1. :mod:`semantic.diffusion_model` implements both directions.

Prediction target (``prediction_type``): ``"v_prediction"`` (the default; v = √ᾱ·ε − √(1−ᾱ)·x₀) or
``"epsilon"``. The cosine schedule reaches zero signal at the last timestep, where an ε-model cannot give
x₀ (its error is amplified by 1/√ᾱ ≈ 2·10⁴ at t = 999, and clipping the result to [-1, 1] biases it towards
0): measured on our first ε-models, every sample came out ≈ 0.15 darker than the data (linear), whatever the
guidance, steps or spacing. A v-model predicts x₀ directly where the signal vanishes (Lin et al. 2024,
"Common diffusion noise schedules and sample steps are flawed"). Checkpoints written before this field
existed are ε-models: a config without the key reads as ``"epsilon"``.

Learning rate (``cosine_decay_steps``): 0 keeps ``learning_rate`` constant after the warm-up; N > 0 decays it
along a half cosine to 0 at step N (and keeps 0 after). A decayed run ends at N: to train further, start a new
run from its weights (``--init``). Configs without the key read as 0, the constant rate they were trained with.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from physical.checks import InputError
from semantic.domains import get_domain

__all__ = ["DiffusionConfig", "FORMAT_VERSION", "PREDICTION_TYPES"]

FORMAT_VERSION = 1
PREDICTION_TYPES = ("epsilon", "v_prediction")


@dataclass(frozen=True)
class DiffusionConfig:
    domain: str = "microscopy"
    size: int = 64
    classes: tuple[str, ...] = ()  # filled from the domain when empty and the domain has classes
    block_out_channels: tuple[int, ...] = (32, 64, 96, 128)
    layers_per_block: int = 1
    attention_at_lowest: bool = True
    num_train_timesteps: int = 1000
    beta_schedule: str = "squaredcos_cap_v2"
    encoding: str = "sqrt"
    prediction_type: str = "v_prediction"
    class_dropout: float = 0.1  # classifier-free guidance: fraction of steps trained without the label
    batch_size: int = 16
    learning_rate: float = 5e-4
    warmup_steps: int = 100
    cosine_decay_steps: int = 0  # 0: constant learning rate; N: half-cosine decay to 0 at step N
    ema_decay: float = 0.999
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes (data source, command)

    def __post_init__(self):
        d = get_domain(self.domain)
        if not self.classes and d.classes:
            object.__setattr__(self, "classes", tuple(d.classes))
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "block_out_channels", tuple(int(c) for c in self.block_out_channels))
        n_down = len(self.block_out_channels) - 1
        if self.size < 8 or self.size % (2**n_down):
            raise InputError(f"expected a model size >= 8 divisible by {2**n_down} (one halving per block), got {self.size}")
        if not 0 <= self.class_dropout < 1:
            raise InputError(f"expected class_dropout in [0, 1), got {self.class_dropout}")
        if self.encoding not in ("sqrt", "linear"):
            raise InputError(f"unknown encoding {self.encoding!r}; expected one of: linear, sqrt")
        if self.prediction_type not in PREDICTION_TYPES:
            raise InputError(f"unknown prediction type {self.prediction_type!r}; expected one of: {', '.join(PREDICTION_TYPES)}")
        if self.cosine_decay_steps < 0:
            raise InputError(f"expected cosine_decay_steps >= 0 (0 = constant learning rate), got {self.cosine_decay_steps}")
        if self.batch_size < 1:
            raise InputError(f"expected batch_size >= 1, got {self.batch_size}")

    @property
    def channels(self) -> int:
        return get_domain(self.domain).data_channels

    @property
    def conditional(self) -> bool:
        return bool(self.classes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["classes"] = list(self.classes)
        d["block_out_channels"] = list(self.block_out_channels)
        return {"format_version": FORMAT_VERSION, **d}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DiffusionConfig":
        d = dict(d)
        version = d.pop("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise InputError(f"checkpoint format version {version} is not supported (expected {FORMAT_VERSION})")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise InputError(f"unknown diffusion config key(s) {unknown}; expected some of: {', '.join(sorted(names))}")
        d.setdefault("prediction_type", "epsilon")  # written before the field existed: an ε-model
        for k in ("classes", "block_out_channels"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)
