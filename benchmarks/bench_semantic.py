"""Benchmark of the semantic layer and the main job.

1. ``generate`` throughput at the default output size (256 px) with the shipped checkpoint: batch 16,
   25 steps of the checkpoint's sampler (cells: DPM-Solver++ 3M, Karras spacing, with classifier-free guidance;
   aerial: SDE-DPM-Solver++ 2M, also at its recommended 35 steps), resize included — against diffusers' stock
   ancestral DDPM sampling of the *same* model with its 1000 steps (no guidance), measured in the same run.
2. ``synthesize`` throughput (7 intensities, 12 views) in scenes/s, with the share of time per stage
   (generate, capture, views, write) from the job's own manifest.

Runs unchanged on a GPU (the model moves to CUDA when available). Usage:

    .venv/bin/python benchmarks/bench_semantic.py [--domain microscopy] [--n 16] [--ddpm-n 4] [--synth-n 8]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from engine.cli import main  # noqa: E402
from engine.seeding import generator_for  # noqa: E402
from engine.semantic_checkpoints import load_checkpoint, resolve_checkpoint  # noqa: E402
from semantic.generation import generate_scenes  # noqa: E402
from semantic.sampling import DEFAULT_GUIDANCE, stock_ddpm_sample  # noqa: E402


def bench_generate(domain: str, n: int, ddpm_n: int, size: int) -> None:
    ckpt = load_checkpoint(resolve_checkpoint("default", domain), domain)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    unet = ckpt.unet.to(dev)
    cfg = ckpt.config
    labels = torch.arange(n) % len(cfg.classes) if cfg.conditional else None
    gens = [generator_for(0, "bench", i) for i in range(n)]
    sampler, rec_steps = ckpt.sampling(None, None)
    generate_scenes(domain, gens[:2], size, labels=None if labels is None else labels[:2], model=(cfg, unet), steps=2, sampler=sampler)  # warm-up

    def rate(steps: int) -> float:
        t = time.perf_counter()
        generate_scenes(domain, gens, size, labels=labels, model=(cfg, unet), steps=steps, sampler=sampler, batch_size=16)  # default guidance
        return n / (time.perf_counter() - t)

    fast = rate(25)
    recommended = rate(rec_steps) if rec_steps != 25 else None
    t = time.perf_counter()
    stock_ddpm_sample(unet, cfg, ddpm_n, torch.Generator(device="cpu").manual_seed(0),
                      labels=None if labels is None else labels[:ddpm_n].to(dev), steps=cfg.num_train_timesteps)
    stock = ddpm_n / (time.perf_counter() - t)
    print(f"generate {domain} ({cfg.size}px model → {size}px, {dev}, torch threads {torch.get_num_threads()}):")
    guided = f" + guidance {DEFAULT_GUIDANCE:g}" if cfg.conditional else ""
    print(f"  {sampler} 25 steps{guided}, batch 16: {fast:8.3f} samples/s  ({n} samples)")
    if recommended is not None:
        print(f"  {sampler} {rec_steps} steps (the checkpoint's recommendation){guided}, batch 16: {recommended:8.3f} samples/s")
    print(f"  stock DDPM {cfg.num_train_timesteps} steps (baseline):     {stock:8.3f} samples/s  ({ddpm_n} samples)")
    print(f"  speed-up vs stock DDPM: {fast / stock:.1f}x" + (f" (at {rec_steps} steps: {recommended / stock:.1f}x)" if recommended else ""))


def bench_synthesize(domain: str, n: int, size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ds"
        t = time.perf_counter()
        code = main(["synthesize", "--domain", domain, "-n", str(n), "--size", str(size), "--intensities", "all",
                     "--views", "all", "--seed", "0", "--out", str(out), "--no-lablog", "-q"]
                    + (["--balanced"] if domain == "microscopy" else []))
        wall = time.perf_counter() - t
        assert code == 0
        seconds = json.loads((out / "manifest.json").read_text())["stage_seconds"]
    total = sum(seconds.values())
    share = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in seconds.items())
    print(f"synthesize {domain} ({n} scenes of {size}px, 7 intensities, 12 views): {n / wall:.3f} scenes/s "
          f"(wall {wall:.1f} s incl. model load); stages: {share}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--domain", default="microscopy")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--ddpm-n", type=int, default=4)
    ap.add_argument("--synth-n", type=int, default=8)
    ap.add_argument("--size", type=int, default=256)
    a = ap.parse_args()
    bench_generate(a.domain, a.n, a.ddpm_n, a.size)
    bench_synthesize(a.domain, a.synth_n, a.size)
