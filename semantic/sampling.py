"""Sampling scenes from a trained diffusion model: DPM-Solver++ (3M ODE or 2M SDE, Karras spacing) or DDIM, with
classifier-free guidance.

    per-sample noise x_T (one generator per sample) ─► [UNet(x_t, t, class) and UNet(x_t, t, null)
    ─► guided model output (v or ε) ─► solver step (SDE / DDIM η > 0: fresh noise from the same per-sample generator)] × steps ─► decode

Samplers (:data:`SAMPLERS`), diffusers schedulers whose first step starts from t = T − 1 (pure noise,
which the cosine schedule needs):

- ``dpmsolver++``: DPM-Solver++ 3M (Lu et al. 2022), a multistep solver of the probability-flow ODE (third
  order, lower order on the first and last steps), on the noise levels of :func:`karras_timesteps`;
  deterministic. The default for v-prediction models. It needs the model's clean-scene estimate to stay
  finite where the cosine schedule's signal vanishes (t = T − 1): a v-model gives it directly, an ε-model
  divides its error by √ᾱ ≈ 0 there and diverges, so it is refused for ε-models.
- ``sde-dpmsolver++``: SDE-DPM-Solver++ 2M (Lu et al. 2022), the same solver for the reverse SDE on the same
  timesteps: each step adds fresh noise, which corrects part of the model's error instead of carrying it to
  the end. Needs more steps than the ODE solver (at 25 steps it is no better); at 35 it is the shipped aerial
  model's recommendation, because the ODE solver shifts that model's mix of tiles towards car-less ones (tuning
  seeds 108–114: FID-like ratio 1.29 mean against 2.66 for ``dpmsolver++`` at 25 steps; car fraction
  0.065–0.077 against 0.055–0.074, procedural 0.076). On cells it did not help (tuning seeds 100–103). v-models only.
- ``ddim``: DDIM on evenly spaced ("trailing") timesteps, with η interpolating between the deterministic ODE
  sampler (η = 0) and ancestral DDPM-like sampling (η = 1), clean-scene estimates clipped to the model range.
  The default for ε-models.

Why the spacing matters more than the solver here: with evenly spaced timesteps the last step jumps from
σ ≈ 0.07 straight to the model's clean-scene estimate at that noise, a conditional mean, smoother than any
one scene. Karras et al.'s (2022) ρ = 7 spacing of the noise levels, from σ_max = 80 (after the first step
from pure noise) down to the schedule's own σ_min, puts 4 of 25 steps below σ = 0.07. On the shipped aerial
model at 25 steps (``dataengine semantic eval``, 260 samples, FID-like in evaluator features averaged over 8
procedural reference sets, evaluation seed 0) the ratio to the procedural floor went from 5.67 (2M, even
spacing) to 2.27 (3M, Karras spacing); with one reference pair it read 4.1 (2M, even), 1.7 (2M on
uniform-log-SNR spacing), 1.4 (2M, Karras), 1.15 (3M, log-SNR), 1.1 (3M, Karras). On cells the guidance scale
matters more than the solver (the model cards have the tables).

:func:`default_sampler` picks per model; :data:`DEFAULT_STEPS`, :data:`DEFAULT_GUIDANCE` and
:data:`DEFAULT_ETA` are the other defaults, chosen on the shipped checkpoints (the model cards give figures).
A checkpoint may recommend its own sampler and steps (``"sampling"`` in its semantic.json; the engine applies it
unless the user chooses, :meth:`engine.semantic_checkpoints.Checkpoint.sampling`).

Determinism: every random number of sample *i* (its initial noise and, for the SDE solver or DDIM with η > 0,
its per-step noise) comes from sample *i*'s own ``torch.Generator``, in a fixed order; the network has no batch
statistics, every network call has the same fixed shape (:data:`NET_BATCH`, padded), and the solvers act on
each sample alone, so sample *i* of a seed is bit-identical whatever the batch size or the number of
processes. ``stock_ddpm_sample`` is diffusers' plain 1000-step ancestral DDPM loop, kept as the benchmark
baseline; it draws noise from one generator and is *not* batch-invariant.

Guidance ``g`` follows diffusers, on the model output (v or ε): out = out_null + g·(out_class − out_null); g = 1 is plain conditional sampling,
g = 0 unconditional, g > 1 strengthens the class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
from diffusers import DDIMScheduler, DPMSolverMultistepScheduler, UNet2DModel

from physical.checks import InputError
from physical.registry import Registry
from semantic.diffusion_config import DiffusionConfig
from semantic.diffusion_model import build_scheduler, decode, null_class

__all__ = ["SAMPLERS", "Sampler", "default_sampler", "check_sampler", "karras_timesteps", "sample", "stock_ddpm_sample",
           "DEFAULT_STEPS", "DEFAULT_GUIDANCE", "DEFAULT_ETA"]

DEFAULT_STEPS = 25
DEFAULT_GUIDANCE = 1.25
DEFAULT_ETA = 0.0


class Sampler(NamedTuple):
    make: Callable[[DiffusionConfig, int], object]  # a fresh diffusers scheduler for the model, timesteps set for `steps`
    takes_eta: bool  # DDIM's η (step noise) applies
    needs_v: bool  # only sound for v-prediction models (see the module docstring)
    stochastic: bool = False  # a stochastic solver: fresh noise at every step (whatever η)


def _ddim(config: DiffusionConfig, steps: int) -> DDIMScheduler:
    sched = DDIMScheduler(num_train_timesteps=config.num_train_timesteps, beta_schedule=config.beta_schedule,
                          prediction_type=config.prediction_type, clip_sample=True, set_alpha_to_one=True, timestep_spacing="trailing")
    sched.set_timesteps(steps)
    return sched


def _dpmsolver(config: DiffusionConfig, steps: int, algorithm: str = "dpmsolver++", order: int = 3) -> DPMSolverMultistepScheduler:
    sched = DPMSolverMultistepScheduler(num_train_timesteps=config.num_train_timesteps, beta_schedule=config.beta_schedule,
                                        prediction_type=config.prediction_type, algorithm_type=algorithm, solver_order=order,
                                        final_sigmas_type="zero", lower_order_final=True)
    sched.set_timesteps(timesteps=karras_timesteps(config, steps))
    return sched


def _sde_dpmsolver(config: DiffusionConfig, steps: int) -> DPMSolverMultistepScheduler:
    return _dpmsolver(config, steps, algorithm="sde-dpmsolver++", order=2)  # diffusers' SDE variant goes to order 2


KARRAS_SIGMA_MAX = 80.0  # Karras et al. (2022)'s σ_max: beyond it a scene is indistinguishable from noise
KARRAS_RHO = 7.0


def karras_timesteps(config: DiffusionConfig, steps: int) -> list[int]:
    """``steps`` strictly decreasing integer timesteps: T − 1 (pure noise), then the timesteps whose noise level
    σ_t = √((1 − ᾱ_t)/ᾱ_t) is nearest (in log σ) to Karras et al.'s ρ-spaced levels
    (σ_max^(1/ρ) + r (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, r evenly spaced in [0, 1], from :data:`KARRAS_SIGMA_MAX`
    down to the schedule's σ_0. Integer timesteps, so the network sees exactly the t whose σ the solver uses.

    >>> karras_timesteps(DiffusionConfig(), 5)
    [999, 991, 941, 377, 0]
    """
    if steps < 1:
        raise InputError(f"expected steps >= 1, got {steps}")
    a = build_scheduler(config).alphas_cumprod.double()
    log_sigma = (((1 - a) / a).sqrt()).log()
    t_max = config.num_train_timesteps - 1
    hi, lo = min(KARRAS_SIGMA_MAX, float(log_sigma[t_max].exp())) ** (1 / KARRAS_RHO), float(log_sigma[0].exp()) ** (1 / KARRAS_RHO)
    out = [t_max]
    for i, r in enumerate(torch.linspace(0, 1, steps - 1, dtype=torch.float64), start=1):
        level = KARRAS_RHO * torch.log(hi + r * (lo - hi))
        t = int((log_sigma - level).abs().argmin())
        out.append(max(min(t, out[-1] - 1), steps - 1 - i))  # strictly decreasing, room left down to 0
    return out


SAMPLERS: Registry[Sampler] = Registry("sampler")
SAMPLERS.add("dpmsolver++", Sampler(_dpmsolver, takes_eta=False, needs_v=True))
SAMPLERS.add("sde-dpmsolver++", Sampler(_sde_dpmsolver, takes_eta=False, needs_v=True, stochastic=True))
SAMPLERS.add("ddim", Sampler(_ddim, takes_eta=True, needs_v=False))


def default_sampler(config: DiffusionConfig) -> str:
    """``dpmsolver++`` for v-prediction models, ``ddim`` for ε-models."""
    return "dpmsolver++" if config.prediction_type == "v_prediction" else "ddim"


def check_sampler(name: str | None, config: DiffusionConfig, eta: float = DEFAULT_ETA) -> str:
    """The sampler's name (``None`` → :func:`default_sampler`), checked against the model and η."""
    name = default_sampler(config) if name is None else name
    spec = SAMPLERS.get(name)
    if not 0 <= eta <= 1:
        raise InputError(f"expected eta in [0, 1], got {eta}")
    if eta > 0 and not spec.takes_eta:
        raise InputError(f"eta (step noise) applies to the ddim sampler only; {name} takes none, use eta 0 or --sampler ddim")
    if spec.needs_v and config.prediction_type != "v_prediction":
        raise InputError(f"the {name} sampler needs a v-prediction model (an ε-model's clean-scene estimate diverges "
                         "where the schedule's signal vanishes); use --sampler ddim")
    return name


# Every network call has exactly this many samples (the last chunk padded by repeating its last sample):
# CPU and GPU kernels pick their algorithm by shape, so a fixed shape makes each sample's numbers independent
# of how many samples were asked for.
NET_BATCH = 8


def _net(unet, x, t, labels):
    out = []
    for s in range(0, len(x), NET_BATCH):
        xb, tb = x[s : s + NET_BATCH], t[s : s + NET_BATCH]
        lb = labels[s : s + NET_BATCH] if labels is not None else None
        k = len(xb)
        if k < NET_BATCH:
            pad = NET_BATCH - k
            xb = torch.cat([xb, xb[-1:].expand(pad, -1, -1, -1)])
            tb = torch.cat([tb, tb[-1:].expand(pad)])
            lb = torch.cat([lb, lb[-1:].expand(pad)]) if lb is not None else None
        out.append(unet(xb, tb, class_labels=lb).sample[:k])
    return torch.cat(out)


def _guided(unet, x, t, labels, guidance, null):
    if labels is None:
        return _net(unet, x, t, None)
    cond = _net(unet, x, t, labels)
    if guidance == 1.0:
        return cond
    uncond = _net(unet, x, t, torch.full_like(labels, null))
    return uncond + guidance * (cond - uncond)


@torch.no_grad()
def sample(unet: UNet2DModel, config: DiffusionConfig, generators: Sequence[torch.Generator], *,
           labels: torch.Tensor | None = None, steps: int = DEFAULT_STEPS, guidance: float = DEFAULT_GUIDANCE,
           sampler: str | None = None, eta: float = DEFAULT_ETA, batch_size: int = 16, on_batch=None) -> torch.Tensor:
    """Linear data ``(N, C, size, size)`` in [0, 1] (scene RGB, then a soft mask for drone models).

    Args:
        generators: one per sample; sample i's initial noise comes from ``generators[i]``.
        labels: ``(N,)`` class indices for class-conditional models (required there, refused otherwise).
        steps: solver steps (≥ 1); guidance: ≥ 0; sampler: a name in :data:`SAMPLERS`, None for the model's
            default; eta: DDIM η in [0, 1] (0 for other samplers); batch_size: samples per chunk (any value gives
            the same samples).
    """
    n = len(generators)
    if n < 1:
        raise InputError("expected at least one sample (one generator per sample)")
    if steps < 1:
        raise InputError(f"expected steps >= 1, got {steps}")
    if not guidance >= 0:
        raise InputError(f"expected guidance >= 0, got {guidance}")
    spec = SAMPLERS.get(check_sampler(sampler, config, eta))
    if config.conditional:
        if labels is None or labels.shape != (n,):
            raise InputError(f"expected {n} class labels for a class-conditional model")
        if int(labels.min()) < 0 or int(labels.max()) >= len(config.classes):
            raise InputError(f"expected class indices in [0, {len(config.classes)}), got {labels.tolist()}")
    elif labels is not None:
        raise InputError("this model is unconditional; it takes no class labels")
    device = next(unet.parameters()).device
    shape = (config.channels, config.size, config.size)
    out = []
    for start in range(0, n, batch_size):
        gens = generators[start : start + batch_size]
        x = torch.stack([torch.randn(shape, generator=g) for g in gens]).to(device)
        lab = labels[start : start + batch_size].to(device) if labels is not None else None
        sched = spec.make(config, steps)
        x = x * sched.init_noise_sigma
        for t in sched.timesteps:
            tt = torch.full((x.shape[0],), int(t), device=device, dtype=torch.long)
            pred = _guided(unet, sched.scale_model_input(x, t), tt, lab, guidance, null_class(config))  # v or ε
            if spec.stochastic or eta > 0:  # per-sample step noise, drawn from each sample's generator in step order
                noise = torch.stack([torch.randn(shape, generator=g) for g in gens]).to(device)
                kw = {"eta": eta} if spec.takes_eta else {}
                x = sched.step(pred, t, x, variance_noise=noise, **kw).prev_sample
            else:
                x = sched.step(pred, t, x).prev_sample
        out.append(decode(x.float().cpu(), config))
        if on_batch is not None:
            on_batch(len(gens))
    return torch.cat(out)


@torch.no_grad()
def stock_ddpm_sample(unet: UNet2DModel, config: DiffusionConfig, n: int, generator: torch.Generator, *,
                      labels: torch.Tensor | None = None, steps: int = 1000) -> torch.Tensor:
    """diffusers' stock ancestral DDPM sampling (the benchmark baseline), conditional without guidance."""
    sched = build_scheduler(config)  # the training scheduler: DDPM, clipped x0
    sched.set_timesteps(steps)
    device = next(unet.parameters()).device
    x = torch.randn((n, config.channels, config.size, config.size), generator=generator).to(device)
    for t in sched.timesteps:
        tt = torch.full((n,), int(t), device=device, dtype=torch.long)
        eps = unet(x, tt, class_labels=labels).sample if labels is not None else unet(x, tt).sample
        x = sched.step(eps, t, x, generator=generator).prev_sample
    return decode(x.float().cpu(), config)
