"""Diffusion model, training loop, sampling, resizing: tiny models (16 px, 8/16 channels), few steps."""

import pytest
import torch

from physical.checks import InputError
from semantic.diffusion_config import DiffusionConfig
from semantic.diffusion_model import build_scheduler, build_unet, decode, encode
from semantic.resize import resize_mask, resize_scene
from semantic.sampling import KARRAS_RHO, KARRAS_SIGMA_MAX, default_sampler, karras_timesteps, sample, stock_ddpm_sample
from semantic.training import DiffusionTrainer, learning_rate, procedural_source, tensor_source


def tiny(domain="microscopy", **kw):
    return DiffusionConfig(**{"domain": domain, "size": 16, "block_out_channels": (8, 16), "batch_size": 4, "warmup_steps": 1, **kw})


def test_config_round_trip_and_errors():
    c = tiny()
    assert c.classes[:3] == ("NGS", "NGB", "LYT") and c.channels == 3 and c.conditional
    assert DiffusionConfig.from_dict(c.to_dict()) == c
    assert tiny("drone").channels == 4 and not tiny("drone").conditional
    with pytest.raises(InputError, match="unknown diffusion config key"):
        DiffusionConfig.from_dict({**c.to_dict(), "colour": 1})
    with pytest.raises(InputError, match="divisible by 2"):
        DiffusionConfig(size=15, block_out_channels=(8, 16))
    with pytest.raises(InputError, match="unknown domain 'mars'"):
        DiffusionConfig(domain="mars")
    # v-prediction by default; a checkpoint written before the field existed is an ε-model
    assert c.prediction_type == "v_prediction"
    old = {k: v for k, v in c.to_dict().items() if k != "prediction_type"}
    assert DiffusionConfig.from_dict(old).prediction_type == "epsilon"
    with pytest.raises(InputError, match="expected one of: epsilon, v_prediction"):
        tiny(prediction_type="x0")


def test_encode_decode_round_trip():
    c = tiny("drone")
    x = torch.rand(2, 4, 16, 16)
    x[:, 3] = (x[:, 3] > 0.5).float()
    y = encode(x, c)
    assert float(y.min()) >= -1 and float(y.max()) <= 1
    assert torch.allclose(decode(y, c), x, atol=1e-6)


def _params(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_training_reduces_loss_and_resume_is_exact():
    c = tiny()
    a = DiffusionTrainer(c, procedural_source(c))
    losses = [a.train_step() for _ in range(4)]
    assert all(l == l and l < 10 for l in losses)
    # 2 steps, export/restore, 2 more == 4 steps straight
    b = DiffusionTrainer(c, procedural_source(c))
    for _ in range(2):
        b.train_step()
    state = b.training_state()
    r = DiffusionTrainer(c, procedural_source(c), unet=b.export_model(), ema_unet=b.export_ema(),
                         optimizer_state=state["optimizer"], step=state["step"], ema_step=state["ema_step"])
    for _ in range(2):
        r.train_step()
    assert r.step == 4
    assert torch.allclose(_params(r.export_model()), _params(a.export_model()), atol=1e-6)
    assert torch.allclose(_params(r.export_ema()), _params(a.export_ema()), atol=1e-6)
    # the EMA lags the raw weights
    assert not torch.equal(_params(a.export_ema()), _params(a.export_model()))


def test_learning_rate_schedules():
    const = tiny(learning_rate=1e-3, warmup_steps=4)
    assert [learning_rate(const, s) for s in (0, 3, 100, 10**6)] == [2.5e-4, 1e-3, 1e-3, 1e-3]
    cos = tiny(learning_rate=1e-3, warmup_steps=4, cosine_decay_steps=104)
    rates = [learning_rate(cos, s) for s in range(110)]
    assert rates[:4] == [learning_rate(const, s) for s in range(4)]  # the same warm-up
    assert rates[4] == 1e-3 and abs(rates[54] - 5e-4) < 1e-12 and rates[104] == 0 and rates[109] == 0
    assert all(a >= b for a, b in zip(rates[4:], rates[5:]))  # never rises after the warm-up
    assert DiffusionConfig.from_dict(cos.to_dict()) == cos
    old = {k: v for k, v in const.to_dict().items() if k != "cosine_decay_steps"}
    assert DiffusionConfig.from_dict(old).cosine_decay_steps == 0  # older checkpoints: constant rate
    with pytest.raises(InputError, match="cosine_decay_steps >= 0"):
        tiny(cosine_decay_steps=-1)


def test_trainer_applies_the_schedule():
    c = tiny(learning_rate=1e-3, warmup_steps=1, cosine_decay_steps=3)
    t = DiffusionTrainer(c, procedural_source(c))
    seen = []
    for _ in range(4):
        t.train_step()
        seen.append(t.optimizer.param_groups[0]["lr"])
    assert seen == [learning_rate(c, s) for s in range(4)] and seen[-1] == 0
    before = _params(t.export_model())
    t.train_step()  # past the decay: the rate is 0 and the weights stay (AdamW's decoupled decay scales with it)
    assert torch.equal(_params(t.export_model()), before)


def test_tensor_source_checks_shapes():
    c = tiny("drone")
    src = tensor_source(c, torch.rand(3, 4, 16, 16), None)
    x, y = src(0, 0, 5)
    assert x.shape == (5, 4, 16, 16) and y is None
    with pytest.raises(InputError, match=r"expected training data of shape \(N, 4, 16, 16\)"):
        tensor_source(c, torch.rand(3, 3, 16, 16), None)


def test_sampling_is_per_sample_deterministic():
    c = tiny()
    torch.manual_seed(0)
    unet = build_unet(c).eval()
    labels = torch.tensor([0, 3, 5, 2, 12])
    gens = lambda: [torch.Generator().manual_seed(100 + i) for i in range(5)]
    a = sample(unet, c, gens(), labels=labels, steps=3, guidance=2.0, sampler="ddim", eta=1.0, batch_size=5)
    b = sample(unet, c, gens(), labels=labels, steps=3, guidance=2.0, sampler="ddim", eta=1.0, batch_size=2)
    assert a.shape == (5, 3, 16, 16) and float(a.min()) >= 0 and float(a.max()) <= 1
    assert torch.equal(a, b)
    # sample 3 alone is sample 3 of the batch
    one = sample(unet, c, [torch.Generator().manual_seed(103)], labels=labels[3:4], steps=3, guidance=2.0, sampler="ddim", eta=1.0)
    assert torch.equal(one[0], a[3])
    ode = sample(unet, c, gens(), labels=labels, steps=3, guidance=2.0, sampler="ddim", eta=0.0, batch_size=3)
    assert torch.equal(ode, sample(unet, c, gens(), labels=labels, steps=3, guidance=2.0, sampler="ddim", eta=0.0, batch_size=5))
    assert not torch.equal(ode, a)  # η = 0 draws no step noise


@pytest.mark.parametrize("steps", [2, 5])
def test_sde_dpmsolver_draws_step_noise_from_each_samples_generator(steps):
    c = tiny()
    unet = build_unet(c).eval()
    labels = torch.tensor([0, 3, 5, 2, 12])
    gens = lambda seed=100: [torch.Generator().manual_seed(seed + i) for i in range(5)]
    a = sample(unet, c, gens(), labels=labels, steps=steps, sampler="sde-dpmsolver++", batch_size=5)
    assert torch.isfinite(a).all() and a.shape == (5, 3, 16, 16)
    assert torch.equal(a, sample(unet, c, gens(), labels=labels, steps=steps, sampler="sde-dpmsolver++", batch_size=2))
    one = sample(unet, c, [torch.Generator().manual_seed(104)], labels=labels[4:5], steps=steps, sampler="sde-dpmsolver++")
    assert torch.equal(one[0], a[4])
    ode = sample(unet, c, gens(), labels=labels, steps=steps, sampler="dpmsolver++")
    assert not torch.equal(a, ode)  # the step noise is used
    with pytest.raises(InputError, match="eta"):
        sample(unet, c, gens(), labels=labels, steps=steps, sampler="sde-dpmsolver++", eta=0.5)
    eps = tiny(prediction_type="epsilon")
    with pytest.raises(InputError, match="v-prediction"):
        sample(build_unet(eps), eps, gens()[:1], labels=labels[:1], sampler="sde-dpmsolver++")


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_dpmsolver_is_the_v_default_and_batch_invariant(steps):
    c = tiny()
    unet = build_unet(c).eval()
    labels = torch.tensor([0, 3, 5, 2, 12])
    gens = lambda: [torch.Generator().manual_seed(100 + i) for i in range(5)]
    a = sample(unet, c, gens(), labels=labels, steps=steps, batch_size=5)
    assert torch.isfinite(a).all() and a.shape == (5, 3, 16, 16)
    assert torch.equal(a, sample(unet, c, gens(), labels=labels, steps=steps, sampler="dpmsolver++", batch_size=2))
    one = sample(unet, c, [torch.Generator().manual_seed(102)], labels=labels[2:3], steps=steps)
    assert torch.equal(one[0], a[2])
    if steps > 1:  # a second-order solver: not DDIM
        assert not torch.equal(a, sample(unet, c, gens(), labels=labels, steps=steps, sampler="ddim"))


@pytest.mark.parametrize("steps", [1, 2, 3, 10, 25, 200, 1000])
def test_karras_timesteps(steps):
    c = tiny()
    ts = karras_timesteps(c, steps)
    assert len(ts) == steps and ts[0] == c.num_train_timesteps - 1  # starts from pure noise
    assert all(a > b for a, b in zip(ts, ts[1:])) and ts[-1] >= 0
    if steps >= 3:
        assert ts[-1] == 0  # ends at the schedule's smallest noise level
    if steps == 1000:
        assert ts == list(range(999, -1, -1))


def test_karras_timesteps_follow_the_rho_spacing():
    """Each timestep's σ_t is the schedule's nearest to the Karras level: σ^(1/ρ) evenly spaced from 80 down."""
    c = tiny()
    a = build_scheduler(c).alphas_cumprod.double()
    sigma = ((1 - a) / a).sqrt()
    ts = karras_timesteps(c, 25)
    inv = sigma[ts[1:]] ** (1 / KARRAS_RHO)
    target = torch.linspace(KARRAS_SIGMA_MAX ** (1 / KARRAS_RHO), float(sigma[0]) ** (1 / KARRAS_RHO), 24, dtype=torch.float64)
    assert torch.allclose(inv, target, rtol=0.02)
    # 4 of 25 steps below σ = 0.07, where an evenly spaced 25-step grid jumps from σ 0.074 to the clean scene
    assert sum(float(sigma[t]) < 0.07 for t in ts) >= 4
    with pytest.raises(InputError, match="steps >= 1"):
        karras_timesteps(c, 0)


def test_generate_scenes_uses_the_models_default_sampler():
    from semantic.generation import generate_scenes

    c = tiny()
    unet = build_unet(c).eval()
    labels = torch.tensor([1, 4])
    gens = lambda: [torch.Generator().manual_seed(7 + i) for i in range(2)]
    out = generate_scenes("microscopy", gens(), 16, labels=labels, model=(c, unet), steps=3)
    assert torch.equal(out.scenes, sample(unet, c, gens(), labels=labels, steps=3, sampler=default_sampler(c)))
    assert not torch.equal(out.scenes, sample(unet, c, gens(), labels=labels, steps=3, sampler="ddim"))


def test_sampling_errors():
    c = tiny()
    unet = build_unet(c).eval()
    g = [torch.Generator().manual_seed(0)]
    with pytest.raises(InputError, match="guidance >= 0"):
        sample(unet, c, g, labels=torch.tensor([0]), guidance=-1)
    with pytest.raises(InputError, match="class labels"):
        sample(unet, c, g)
    with pytest.raises(InputError, match="eta in"):
        sample(unet, c, g, labels=torch.tensor([0]), sampler="ddim", eta=1.5)
    with pytest.raises(InputError, match="eta .* applies to the ddim sampler"):
        sample(unet, c, g, labels=torch.tensor([0]), eta=0.5)  # the default for a v-model: DPM-Solver++
    eps = tiny(prediction_type="epsilon")
    assert default_sampler(eps) == "ddim" and default_sampler(c) == "dpmsolver++"
    with pytest.raises(InputError, match="needs a v-prediction model"):
        sample(build_unet(eps), eps, g, labels=torch.tensor([0]), sampler="dpmsolver++")
    with pytest.raises(InputError, match="unknown sampler 'euler'"):
        sample(unet, c, g, labels=torch.tensor([0]), sampler="euler")
    cd = tiny("drone")
    with pytest.raises(InputError, match="unconditional"):
        sample(build_unet(cd), cd, g, labels=torch.tensor([0]))


def test_stock_ddpm_baseline_runs():
    c = tiny("drone")
    x = stock_ddpm_sample(build_unet(c).eval(), c, 2, torch.Generator().manual_seed(0), steps=4)
    assert x.shape == (2, 4, 16, 16)


def test_resize():
    x = torch.rand(2, 3, 16, 16)
    y = resize_scene(x, 64)
    assert y.shape == (2, 3, 64, 64) and float(y.min()) >= 0 and float(y.max()) <= 1
    # a flat scene stays flat (bicubic preserves constants)
    assert torch.allclose(resize_scene(torch.full((1, 3, 16, 16), 0.3), 40), torch.full((1, 3, 40, 40), 0.3), atol=1e-6)
    m = torch.zeros(1, 1, 16, 16)
    m[..., 4:12, 4:12] = 1
    big = resize_mask(m, 64)
    assert big.dtype == torch.bool and abs(int(big.sum()) - 32 * 32) <= 64
    with pytest.raises(InputError, match="even output size"):
        resize_scene(x, 33)


_TWO_PROCESS_SCRIPT = """
import sys
from pathlib import Path
from accelerate import Accelerator, debug_launcher
from semantic.diffusion_config import DiffusionConfig
from semantic.training import DiffusionTrainer, procedural_source

out = Path(sys.argv[1])

def train():
    c = DiffusionConfig(domain="drone", size=16, block_out_channels=(8, 16), batch_size=4, warmup_steps=1)
    acc = Accelerator(cpu=True)
    t = DiffusionTrainer(c, procedural_source(c), accelerator=acc)
    x, _ = t.source(0, acc.process_index, 2)
    for _ in range(2):
        t.train_step()
    total = float(sum(p.double().sum() for p in t.export_model().parameters()))
    (out / f"rank{acc.process_index}").write_text(f"{total!r} {float(x.sum())!r}")

debug_launcher(train, num_processes=2)
"""


def test_two_process_data_parallel_training(tmp_path):
    """accelerate on CPU (gloo): each process draws its own half-batch, gradients are averaged, so the
    weights stay identical across processes. Run in a fresh interpreter: forking a process whose torch
    thread pools are already running can deadlock."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", _TWO_PROCESS_SCRIPT, str(tmp_path)], check=True, timeout=180,
                   env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    (w0, d0), (w1, d1) = [(tmp_path / f"rank{i}").read_text().split() for i in range(2)]
    assert w0 == w1  # synchronised weights
    assert d0 != d1  # different data per process


class _Oracle(torch.nn.Module):
    """A stand-in for the UNet that knows the one image of its data set: it returns the exact ε or v of x_t."""

    def __init__(self, x0, config):
        super().__init__()
        from semantic.diffusion_model import build_scheduler

        self.x0, self.kind = x0, config.prediction_type
        self.alphas = build_scheduler(config).alphas_cumprod
        self.dummy = torch.nn.Parameter(torch.zeros(()))  # the sampler asks for the device

    def forward(self, x, t, class_labels=None):
        a = self.alphas[t].reshape(-1, 1, 1, 1).to(x.dtype)
        eps = (x - a.sqrt() * self.x0) / (1 - a).sqrt()
        out = eps if self.kind == "epsilon" else a.sqrt() * eps - (1 - a).sqrt() * self.x0
        return type("Out", (), {"sample": out})()


@pytest.mark.parametrize("kind,sampler", [("epsilon", "ddim"), ("v_prediction", "ddim"), ("v_prediction", "dpmsolver++"),
                                         ("v_prediction", "sde-dpmsolver++")])
def test_sampler_reads_the_model_output_as_its_prediction_type(kind, sampler):
    """With a perfect model of a one-image data set, the sampler must return that image (a bright one, near
    the top of the model range, where a mis-read output or a biased x0 estimate shows)."""
    c = tiny("drone", prediction_type=kind)
    target = torch.full((1, 4, 16, 16), 0.9)
    target[:, 3, 4:8, 4:12] = 1.0
    target[:, 3, :4] = 0.0
    x0 = encode(target, c)
    out = sample(_Oracle(x0, c), c, [torch.Generator().manual_seed(i) for i in range(2)], steps=10, sampler=sampler)
    assert torch.allclose(out, target.expand(2, -1, -1, -1), atol=2e-3)
