"""Benchmark: the 12 static views of a batch of raw tiles, engine (torch, batched) vs the seed's way.

Baseline, measured in the same run on the same tiles: a per-image numpy pipeline with colour-demosaicing,
scipy and scikit-image, one view at a time (``tests/physical/isp/reference_pipeline.py``, the seed's
approach). The engine is timed two ways: ``render_views`` (all 12 views of the batch, common stages
shared: 3 demosaics instead of 12) and one ``StaticISP`` per view (no sharing), so the gain from batching
and from sharing can be told apart.

Tiles are crops of scikit-image's bundled photographs (natural images, no download), mosaiced RGGB and
placed above the drone's black level.

    python benchmarks/bench_isp.py                      # 32 tiles of 256×256, CPU (≈ 1 minute)
    python benchmarks/bench_isp.py --threads 2          # both cores (default: one, like the numpy reference)
    python benchmarks/bench_isp.py --device cuda --batch 1024 --rounds 3 --reference-tiles 8
    python benchmarks/bench_isp.py --batch 8 --size 128 --rounds 2   # quick

Figures on a shared machine move with its load: the engine and the reference are timed in alternation
(rounds), rates are medians over rounds, and the ratio is also given per CPU-second (process time),
which other processes disturb less than wall time. On an oversubscribed CPU, torch's OpenMP threads spin
at barriers: with 2 threads and other jobs running, set ``OMP_WAIT_POLICY=PASSIVE``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import skimage.data
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physical.cfa import mosaic  # noqa: E402
from physical.devices import get_device  # noqa: E402
from physical.isp.camera import IspCamera  # noqa: E402
from physical.isp.static import StaticISP  # noqa: E402
from physical.isp.views import VIEWS, render_views  # noqa: E402
from tests.physical.isp.reference_pipeline import reference_view  # noqa: E402

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "retina")


def make_tiles(n: int, size: int, camera: IspCamera, seed: int = 0) -> torch.Tensor:
    """``(n, 1, size, size)`` float32 normalised raw tiles from random crops of natural photographs."""
    rng = np.random.default_rng(seed)
    photos = [getattr(skimage.data, name)() for name in PHOTOS]
    crops = []
    for i in range(n):
        p = photos[i % len(photos)]
        if min(p.shape[:2]) < size:  # small photographs are tiled up to the size
            reps = (-(-size // p.shape[0]), -(-size // p.shape[1]), 1)
            p = np.tile(p, reps)
        y = rng.integers(0, p.shape[0] - size + 1)
        x = rng.integers(0, p.shape[1] - size + 1)
        crops.append(p[y : y + size, x : x + size, :3].astype(np.float32) / 255)
    rgb = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)
    black = torch.tensor(camera.black_level).reshape(2, 2).repeat(size // 2, size // 2)
    return (black + 0.6 * mosaic(rgb, camera.pattern)).clamp(0, 1)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(fn, device: str):
    """(wall seconds, process CPU seconds, result) of one call."""
    sync(device)
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    sync(device)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=32, help="raw tiles per batch (default 32)")
    ap.add_argument("--size", type=int, default=256, help="tile side in pixels, even (default 256)")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ap.add_argument("--rounds", type=int, default=4,
                    help="rounds; each times the engine on the whole batch and the reference on batch/rounds "
                         "tiles, interleaved so both see the same machine load (default 4)")
    ap.add_argument("--reference-tiles", type=int, default=None,
                    help="tiles the reference processes per round (default batch/rounds, at least 1)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1, like the single-threaded numpy reference; 0 = torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    camera = IspCamera.from_device(get_device("drone-l1d-20c"))
    names = VIEWS.names()
    tiles = make_tiles(args.batch, args.size, camera)
    raw = tiles.to(args.device)
    per_round = args.reference_tiles or max(1, args.batch // args.rounds)
    print(f"{args.batch} tiles of {args.size}×{args.size}, {len(names)} views, device {args.device}, "
          f"torch threads {torch.get_num_threads()}, {args.rounds} rounds, reference on {per_round} tiles per round")

    modules = [StaticISP(n, camera).to(args.device) for n in names]

    def shared():
        return render_views(raw, names, camera)

    def independent():
        return [m(raw) for m in modules]

    def reference(first: int):
        rows = tiles[first : first + per_round, 0].double().numpy()
        return {n: [reference_view(r, n, camera.pattern, camera.black_level, camera.white_balance,
                                   camera.colour_matrix) for r in rows] for n in names}

    with torch.no_grad():
        ours = shared()  # warm-up, and kept for the sanity check
        independent()
        rates: dict[str, list[tuple[float, float]]] = {"shared": [], "independent": [], "reference": []}
        refs = None
        for r in range(args.rounds):
            first = (r * per_round) % args.batch
            for key, fn, n in (("shared", shared, len(names) * args.batch),
                               ("independent", independent, len(names) * args.batch),
                               ("reference", lambda: reference(first), len(names) * per_round)):
                wall, cpu, result = timed(fn, args.device)
                if key == "reference" and r == 0:
                    refs = result  # tile 0 of the reference, for the sanity check
                rates[key].append((n / wall, n / cpu))

    # Sanity: the two agree in the interior (PSNR on the first tile).
    worst = float("inf")
    for n in names:
        a = ours[n][0].permute(1, 2, 0).double().cpu().numpy()[8:-8, 8:-8]
        b = refs[n][0][8:-8, 8:-8]
        mse = float(np.mean((a - b) ** 2))
        worst = min(worst, float("inf") if mse == 0 else 10 * np.log10(1 / mse))

    def med(key, i):
        return statistics.median(x[i] for x in rates[key])

    labels = {
        "shared": "engine render_views (12 views, shared stages)",
        "independent": "engine StaticISP per view (no sharing)",
        "reference": "reference per image (colour-demosaicing + scipy/skimage)",
    }
    print(f"{'':<58} {'views/s wall':>13} {'views/CPU-s':>12}")
    for key, label in labels.items():
        print(f"{label:<58} {med(key, 0):13.1f} {med(key, 1):12.1f}")
    for key in ("shared", "independent"):
        wall = statistics.median(e[0] / f[0] for e, f in zip(rates[key], rates["reference"]))
        cpu = statistics.median(e[1] / f[1] for e, f in zip(rates[key], rates["reference"]))
        print(f"ratio {key:<12} / reference: {wall:6.1f}x wall, {cpu:6.1f}x per CPU-second"
              + ("   (target >= 5x on CPU)" if key == "shared" else ""))
    print(f"worst interior PSNR engine vs reference over the 12 views: {worst:.1f} dB")


if __name__ == "__main__":
    main()
