"""``dataengine generate``: scenes with labels from the diffusion model (default) or procedurally.

Writes ``OUT/scenes/*.tiff`` (float32 H×W×3), ``OUT/labels.csv`` (cells) or ``OUT/masks/*.png`` (aerial),
``OUT/contact_sheet.png`` and ``OUT/manifest.json``. Scene *i* is drawn from its own generator seeded by
(seed, i), so the same seed gives identical files whatever the batch size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from engine.cli import add_common
from engine.errors import UserError
from engine.generated_files import write_generated
from engine.manifest import write_manifest
from engine.output import staged_output
from engine.progress import progress
from engine.seeding import generator_for
from engine.semantic_checkpoints import load_checkpoint, resolve_checkpoint
from semantic.domains import get_domain
from semantic.generation import generate_scenes, pixel_scale
from semantic.sampling import DEFAULT_ETA, DEFAULT_GUIDANCE, DEFAULT_STEPS, SAMPLERS

NAME_PREFIX = {"microscopy": "smear", "drone": "tile"}


def add_scene_options(p: argparse.ArgumentParser) -> None:
    """The scene options shared by ``generate`` and ``synthesize``."""
    from engine.commands.semantic import _positive_int

    p.add_argument("--domain", required=True, help="microscopy or drone")
    p.add_argument("-n", type=int, required=True, help="number of scenes (> 0)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--label", help="leukocyte class code for every scene (microscopy), e.g. LYT")
    g.add_argument("--balanced", action="store_true", help="cycle through all classes (microscopy)")
    p.add_argument("--procedural", action="store_true", help="procedural scenes instead of the diffusion model")
    p.add_argument("--steps", type=_positive_int,
                   help=f"sampler steps (default: the checkpoint's recommendation, else {DEFAULT_STEPS}; the shipped drone model: 35)")
    p.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE,
                   help=f"classifier-free guidance scale >= 0 (default {DEFAULT_GUIDANCE:g}; 1 = none)")
    p.add_argument("--sampler", help=f"one of {', '.join(SAMPLERS.names())} (default: the checkpoint's recommendation, else "
                                     "dpmsolver++ for v-prediction models, ddim for epsilon models)")
    p.add_argument("--eta", type=float, default=DEFAULT_ETA,
                   help=f"DDIM eta in [0, 1]: 0 deterministic ODE, 1 stochastic (default {DEFAULT_ETA:g}; ddim only)")
    p.add_argument("--size", type=int, default=256, help="output size in pixels (even, default 256)")
    p.add_argument("--checkpoint", default="default", help="checkpoint folder or 'default' (the shipped model)")
    p.add_argument("--batch-size", type=_positive_int, default=16)
    p.add_argument("--seed", type=int, default=0)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate scenes with labels (diffusion or procedural)",
                       description=__doc__.split("\n\n")[0])
    add_scene_options(p)
    p.add_argument("--out", type=Path, required=True)
    add_common(p)
    p.set_defaults(run=run)


def plan_scenes(args: argparse.Namespace):
    """Validate the scene options; returns (domain, labels tensor or None, model or None, checkpoint info)."""
    domain = get_domain(args.domain)
    if args.n <= 0:
        raise UserError(f"expected -n > 0, got {args.n}")
    if not args.guidance >= 0:
        raise UserError(f"expected --guidance >= 0, got {args.guidance}")
    if args.size < 8 or args.size % 2:
        raise UserError(f"expected an even --size >= 8, got {args.size}")
    if args.sampler is not None:
        SAMPLERS.get(args.sampler)
    if not 0 <= args.eta <= 1:
        raise UserError(f"expected --eta in [0, 1], got {args.eta}")
    labels = None
    if domain.classes:
        if args.label is not None:
            labels = torch.full((args.n,), domain.class_index(args.label), dtype=torch.long)
        elif args.balanced:
            labels = torch.arange(args.n) % len(domain.classes)
        else:
            labels = torch.stack([torch.randint(0, len(domain.classes), (), generator=generator_for(args.seed, "label", i)) for i in range(args.n)])
    elif args.label is not None or args.balanced:
        raise UserError(f"--label/--balanced apply to microscopy; {domain.name} scenes are labelled by their car masks")
    model, info = None, {"source": "procedural"}
    if not args.procedural:
        ckpt = load_checkpoint(resolve_checkpoint(args.checkpoint, domain.name), domain.name)
        model = (ckpt.config, ckpt.unet)
        args.sampler, args.steps = ckpt.sampling(args.sampler, args.steps, args.eta)  # resolved, so the manifest names them
        info = {"source": "diffusion", "checkpoint": str(args.checkpoint), "checkpoint_step": ckpt.info.get("step"),
                "model_size": ckpt.config.size, "steps": args.steps, "guidance": args.guidance, "sampler": args.sampler, "eta": args.eta,
                "resize": "bicubic in linear radiance (antialiased when shrinking), clipped to [0, 1]; masks bilinear on the soft mask, threshold 0.5"}
    return domain, labels, model, info


def make_scenes(args: argparse.Namespace, domain, labels, model, quiet: bool):
    gens = [generator_for(args.seed, "scene", i) for i in range(args.n)]
    bar = progress(range(args.n), desc="generate", quiet=quiet, unit="scene")
    it = iter(bar)
    out = generate_scenes(domain.name, gens, args.size, labels=labels, model=model, steps=args.steps,
                          guidance=args.guidance, sampler=args.sampler, eta=args.eta, batch_size=args.batch_size,
                          on_batch=lambda k: [next(it, None) for _ in range(k)])
    names = [f"{NAME_PREFIX[domain.name]}_{i:05d}" for i in range(args.n)]
    codes = [domain.classes[int(i)] for i in out.labels] if out.labels is not None else None
    return names, out, codes


def run(args: argparse.Namespace) -> int:
    domain, labels, model, info = plan_scenes(args)
    names, out, codes = make_scenes(args, domain, labels, model, args.quiet)
    with staged_output(args.out) as stage:
        files = write_generated(stage, names, out.scenes, codes, out.masks)
        write_manifest(stage, {"kind": "generate", "domain": domain.name, "n": args.n, "seed": args.seed,
                               "size": args.size, **pixel_scale(domain.name, args.size), **info, "files": files})
    if not args.quiet:
        print(f"wrote {args.n} {domain.name} scenes to {args.out}")
    return 0
