"""Benchmark: capture a batch of scenes at the seven published intensities.

Prints frames/second of the engine's torch capture (``physical.capture.capture_series``: on the CPU the frames run
in parallel worker threads, see ``physical.frame_pool``; on a GPU one batched call) next to a
per-image numpy implementation of the same model (PSF by scipy.ndimage per channel, exposure, CFA, exact
Poisson shot noise, PRNU/DSNU, read noise, row noise, full-well clip, ADC), measured in the same run on the same
scenes, and their ratio. The optics run once per scene in both.

    .venv/bin/python benchmarks/bench_capture.py                 # 32 scenes of 256², 7 intensities, CPU
    .venv/bin/python benchmarks/bench_capture.py --device cuda   # the same on a GPU

Target (issue 2): ≥ 3× the numpy baseline on a 2-core CPU; ≥ 100,000 frames/s on a GPU.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import scipy.ndimage
import torch

from physical.capture import capture_series
from physical.devices import get_device
from physical.noise import fixed_pattern
from physical.optics import device_psf

INTENSITIES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0)


def numpy_capture(scene: np.ndarray, device, intensities, rng: np.random.Generator, psf: np.ndarray, prnu_z, dsnu_z):
    """One scene (3, H, W) → frames (I, H, W) stored DN, the straightforward per-image way."""
    s, a = device.sensor, device.adc
    blurred = np.stack([scipy.ndimage.convolve(scene[c], psf[c], mode="nearest") for c in range(3)])
    h, w = scene.shape[1:]
    colour = np.zeros((h, w), dtype=np.int64)
    for site, c in enumerate({"R": 0, "G": 1, "B": 2}[ch] for ch in device.cfa.pattern):
        dy, dx = divmod(site, 2)
        colour[dy::2, dx::2] = c
    qe = np.asarray(s.quantum_efficiency)
    out = []
    for r in intensities:
        photo = blurred * r * s.photons_at_unit_radiance * qe[:, None, None]
        photo = np.take_along_axis(photo, colour[None], axis=0)[0]
        rate = np.clip(photo * (1 + s.prnu * prnu_z) + s.dark_current_e_per_s * s.exposure_s, 0, None)
        e = rng.poisson(rate).astype(np.float64) + s.dsnu_e * dsnu_z + s.read_noise_e * rng.standard_normal((h, w))
        if device.noise.row and s.row_noise_e > 0:  # row offsets; per filter exposure for a filter sequence
            if device.cfa.mode == "filter-sequence":
                e += s.row_noise_e * np.take_along_axis(rng.standard_normal((3, h, 1)), colour[None], axis=0)[0]
            else:
                e += s.row_noise_e * rng.standard_normal((h, 1))
        e = np.minimum(e, s.full_well_e)
        dn = np.clip(np.round(a.gain_dn_per_e * e + a.black_level_dn), 0, 2**a.bits - 1) * 2 ** device.left_shift
        out.append(dn.astype(np.float32))
    return np.stack(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="torch device for the engine (cpu, cuda)")
    p.add_argument("--camera", default="drone-l1d-20c", help="device preset")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3, help="timed repeats of the engine (best is reported)")
    p.add_argument("--baseline-scenes", type=int, default=8, help="scenes the numpy baseline runs (per-image cost is constant)")
    p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 2)))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    device = get_device(args.camera)
    g = torch.Generator().manual_seed(0)
    scenes = torch.rand(args.batch, 3, args.size, args.size, generator=g)
    n_frames = args.batch * len(INTENSITIES)

    # engine: batched torch
    dev = torch.device(args.device)
    x = scenes.to(dev)
    gen = torch.Generator(device=dev).manual_seed(1)
    capture_series(x[:2], device, INTENSITIES, gen)  # warm-up (PSF, fixed pattern caches, kernels)
    best = float("inf")
    for _ in range(args.repeats):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        raw = capture_series(x, device, INTENSITIES, gen)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    engine_fps = n_frames / best

    # baseline: per image numpy, same model
    psf = device_psf(device.optics, device.sensor.pixel_pitch_um).double().numpy()  # scipy convolves (flips) itself
    fp = fixed_pattern(device.sensor.fixed_pattern_seed, args.size, args.size)
    prnu_z, dsnu_z = fp.prnu_z[0, 0].double().numpy(), fp.dsnu_z[0, 0].double().numpy()
    rng = np.random.default_rng(2)
    n_base = min(args.baseline_scenes, args.batch)
    t0 = time.perf_counter()
    base = [numpy_capture(scenes[i].double().numpy(), device, INTENSITIES, rng, psf, prnu_z, dsnu_z) for i in range(n_base)]
    base_s = time.perf_counter() - t0
    base_fps = n_base * len(INTENSITIES) / base_s

    # sanity: same model → same mean per frame within shot noise
    eng_mean = raw.data[: n_base * len(INTENSITIES)].double().mean(dim=(1, 2, 3)).cpu().numpy()
    base_mean = np.concatenate([b.mean(axis=(1, 2)) for b in base])
    rel = float(np.max(np.abs(eng_mean - base_mean) / base_mean))

    print(f"capture benchmark: {args.batch} scenes of {args.size}x{args.size} x {len(INTENSITIES)} intensities, device preset {args.camera}")
    print(f"  engine (torch, {args.device}, {args.threads} threads): {engine_fps:10.1f} frames/s  ({best:.3f} s for {n_frames} frames)")
    print(f"  baseline (numpy + scipy, per image, {n_base} scenes): {base_fps:10.1f} frames/s")
    print(f"  ratio engine / numpy baseline: {engine_fps / base_fps:.2f}x   (target >= 3x on CPU; GPU goal >= 100,000 frames/s)")
    print(f"  max relative difference of frame means engine vs baseline: {rel:.2e}")


if __name__ == "__main__":
    main()
