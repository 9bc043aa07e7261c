"""``dataengine semantic train|evaluator|eval``: train scene diffusion models, their evaluator, and score them.

- ``train``: DDPM training with accelerate (CPU here; ``accelerate launch -m engine semantic train ...`` for
  several GPUs or nodes), on procedural scenes (default) or a folder of scenes written by ``generate``
  (``--data``). EMA weights and a resumable state are saved every ``--save-every`` steps and at the end
  (also on Ctrl-C); running the same command again resumes from ``--out`` up to ``--steps``.
- ``evaluator``: train the evaluator network on procedural scenes of the model's size and store it in the
  checkpoint (``--checkpoint DIR``).
- ``eval``: sample ``-n`` scenes and print class consistency / mask IoU and the FID-like distance beside
  its procedural floor (``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import threading
import time
from pathlib import Path

import numpy as np
import torch

from engine.cli import add_common
from engine.errors import UserError
from engine.progress import progress
from engine.seeding import generator_for
from engine.semantic_checkpoints import (load_checkpoint, load_training, resolve_checkpoint,
                                         save_checkpoint, save_evaluator)
from semantic.diffusion_config import DiffusionConfig
from semantic.domains import DOMAINS, get_domain
from semantic.evaluation import DEFAULT_REFERENCE_SETS, evaluate
from semantic.evaluator import evaluator_accuracy, evaluator_iou, train_evaluator
from semantic.resize import resize_scene
from semantic.sampling import DEFAULT_ETA, DEFAULT_GUIDANCE, DEFAULT_STEPS, SAMPLERS, check_sampler, sample
from semantic.training import DiffusionTrainer, procedural_source, tensor_source

from engine.lablog_runs import add_run_flags, recorded_run


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v}")
    return v


def _at_least_two(text: str) -> int:
    v = _positive_int(text)
    if v < 2:
        raise argparse.ArgumentTypeError(f"expected an integer >= 2, got {text!r}")
    return v


def _widths(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated channel counts like 32,64,96,128, got {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("semantic", help="train and evaluate the scene diffusion models",
                       description="Train scene diffusion models (microscopy: class-conditional cells; drone: tiles "
                                   "with car masks), train their evaluator network, and score a checkpoint.")
    add_common(p)
    ss = p.add_subparsers(dest="semantic_command", metavar="ACTION", parser_class=type(p))
    ss.required = True

    t = ss.add_parser("train", help="train (or resume) a diffusion model",
                      description="Train a scene diffusion model; rerunning with the same --out resumes up to --steps.")
    t.add_argument("--domain", required=True, choices=DOMAINS.names())
    t.add_argument("--data", type=Path, help="folder written by `dataengine generate` (scenes/ + labels.csv or masks/); default: procedural scenes")
    t.add_argument("--size", type=_positive_int, default=64, help="model size in pixels (default 64)")
    t.add_argument("--steps", type=_positive_int, required=True, help="total optimisation steps")
    t.add_argument("--out", type=Path, required=True, help="checkpoint folder (resumed if it holds a training state)")
    t.add_argument("--batch-size", type=_positive_int, default=16)
    t.add_argument("--lr", type=float, default=5e-4)
    t.add_argument("--lr-schedule", choices=("constant", "cosine"), default="constant",
                   help="after the warm-up: constant (default; resumable to any --steps) or a half-cosine decay to 0 at --steps "
                        "(best for the last stretch of training, e.g. a fine-tune with --init)")
    t.add_argument("--channels", type=_widths, default=(32, 64, 96, 128), help="UNet block widths (default 32,64,96,128)")
    t.add_argument("--layers-per-block", type=_positive_int, default=1)
    t.add_argument("--save-every", type=_positive_int, default=250, help="steps between checkpoints (default 250)")
    t.add_argument("--prediction", choices=("v", "epsilon"), default="v",
                   help="what the UNet predicts: v (default; sound where the cosine schedule's signal vanishes) or epsilon")
    t.add_argument("--init", type=Path, metavar="DIR",
                   help="start from the (EMA) weights of the checkpoint in DIR (same architecture), e.g. to fine-tune it "
                        "on your data or to another --prediction; the optimiser and step count start afresh")
    t.add_argument("--seed", type=int, default=0)
    add_run_flags(t)
    add_common(t)
    t.set_defaults(run=run_train)

    e = ss.add_parser("evaluator", help="train the evaluator network of a checkpoint on procedural scenes")
    e.add_argument("--checkpoint", required=True, help="checkpoint folder (or 'default' with --domain)")
    e.add_argument("--domain", choices=DOMAINS.names())
    e.add_argument("--steps", type=_positive_int, default=1500)
    e.add_argument("--batch-size", type=_positive_int, default=32)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("-n", type=_positive_int, default=390, help="held-out procedural scenes for its accuracy (default 390)")
    e.add_argument("--pool", type=_positive_int, default=4096, help="procedural training scenes, rendered once (default 4096)")
    add_common(e)
    e.set_defaults(run=run_evaluator)

    v = ss.add_parser("eval", help="class consistency / mask IoU / FID-like of a checkpoint")
    v.add_argument("--checkpoint", required=True, help="checkpoint folder or 'default'")
    v.add_argument("--domain", choices=DOMAINS.names(), help="domain of 'default' (both when omitted)")
    v.add_argument("-n", type=_positive_int, default=260, help="generated samples (and procedural per reference set)")
    v.add_argument("--steps", type=_positive_int, help=f"sampler steps (default: the checkpoint's recommendation, else {DEFAULT_STEPS})")
    v.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE, help=f"classifier-free guidance (cells; default {DEFAULT_GUIDANCE:g})")
    v.add_argument("--sampler", choices=SAMPLERS.names(), help="default: the checkpoint's recommendation, else dpmsolver++ for "
                                                               "v-prediction models, ddim for epsilon models")
    v.add_argument("--eta", type=float, default=DEFAULT_ETA, help=f"DDIM eta in [0, 1] (default {DEFAULT_ETA:g}; ddim only)")
    v.add_argument("--references", type=_at_least_two, default=DEFAULT_REFERENCE_SETS,
                   help=f"independent procedural reference sets of -n scenes (>= 2, default {DEFAULT_REFERENCE_SETS}): the FID-like "
                        "distance is averaged over them and the floor over their pairs")
    v.add_argument("--evaluator-steps", type=_positive_int, default=600, help="used only when the checkpoint has no evaluator")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_common(v)
    v.set_defaults(run=run_eval)


# ---------------------------------------------------------------- train


def _read_training_data(folder: Path, config: DiffusionConfig) -> tuple[torch.Tensor, torch.Tensor | None]:
    from engine.generated_files import read_generated  # scenes + labels/masks as `generate` writes them

    scenes, labels, masks = read_generated(folder, config.domain)
    data = resize_scene(scenes, config.size)
    if config.domain == "drone":
        soft = torch.nn.functional.interpolate(masks.float(), size=(config.size, config.size), mode="area")
        data = torch.cat([data, soft], dim=1)
        return data, None
    idx = torch.tensor([config.classes.index(c) if c in config.classes else -1 for c in labels])
    if (idx < 0).any():
        bad = sorted({c for c in labels if c not in config.classes})
        raise UserError(f"unknown class code(s) {bad} in {folder}/labels.csv; expected some of: {', '.join(config.classes)}")
    return data, idx


def run_train(args: argparse.Namespace) -> int:
    if not args.lr > 0:
        raise UserError(f"expected --lr > 0, got {args.lr}")
    config = DiffusionConfig(domain=args.domain, size=args.size, block_out_channels=args.channels,
                             layers_per_block=args.layers_per_block, batch_size=args.batch_size,
                             learning_rate=args.lr, seed=args.seed,
                             cosine_decay_steps=args.steps if args.lr_schedule == "cosine" else 0,
                             prediction_type="epsilon" if args.prediction == "epsilon" else "v_prediction",
                             extra={"data": str(args.data) if args.data else "procedural",
                                    **({"init": str(args.init)} if args.init else {})})
    resume = None
    if (args.out / "semantic.json").is_file():
        prev = load_checkpoint(args.out)
        keep = (*_ARCHITECTURE, "seed", "prediction_type", "cosine_decay_steps")
        diff = [k for k in keep if getattr(prev.config, k) != getattr(config, k)]
        if diff == ["cosine_decay_steps"] and prev.config.cosine_decay_steps:
            raise UserError(f"{args.out} holds a run whose learning rate decays to 0 at step {prev.config.cosine_decay_steps}; "
                            "give the same --steps to resume it, or train further in a new --out with --init")
        if diff:
            raise UserError(f"{args.out} holds a checkpoint with other settings ({', '.join(diff)}); use another --out")
        resume = load_training(args.out, prev.config)
        if resume is None:
            raise UserError(f"{args.out} holds a checkpoint without a training state; cannot resume, use another --out")
        prior_info = prev.info
    else:
        prior_info = {}
    source = procedural_source(config) if args.data is None else tensor_source(config, *_read_training_data(args.data, config))
    kw = {}
    if resume is None and args.init is not None:
        kw = dict(unet=_initial_weights(args.init, config))
    if resume is not None:
        ema = prev.unet  # the checkpoint's EMA weights, already loaded
        kw = dict(unet=resume["unet"], ema_unet=ema, optimizer_state=resume["optimizer"], step=int(resume["step"]), ema_step=int(resume["ema_step"]))
    trainer = DiffusionTrainer(config, source, **kw)
    start_step = trainer.step
    if start_step >= args.steps:
        if not args.quiet:
            print(f"{args.out} is already trained to step {start_step} (>= --steps {args.steps}); nothing to do")
        return 0
    elapsed_before = float(prior_info.get("train_seconds", 0.0))
    t0 = time.time()
    is_main = trainer.accelerator.is_main_process
    command = (f"dataengine semantic train --domain {args.domain} --size {args.size} --steps {args.steps} "
               f"--batch-size {args.batch_size} --lr {args.lr} --channels {','.join(map(str, args.channels))} "
               f"--layers-per-block {args.layers_per_block} --seed {args.seed} --out {args.out}"
               + (f" --prediction {args.prediction}" if args.prediction != "v" else "")
               + (f" --lr-schedule {args.lr_schedule}" if args.lr_schedule != "constant" else "")
               + (f" --init {args.init}" if args.init else "")
               + (f" --data {args.data}" if args.data else ""))

    trainer.losses = []
    losses = trainer.losses

    def save(final: bool) -> None:
        if not is_main:
            return
        info = {"step": trainer.step, "train_seconds": elapsed_before + time.time() - t0, "command": command,
                "data": config.extra["data"], "batch_size": config.batch_size, "final": final,
                "processes": trainer.accelerator.num_processes, "loss_recent": losses[-50:] and float(np.mean(losses[-50:]))}
        save_checkpoint(args.out, config, trainer.export_ema(), info, training=trainer.training_state(), train_unet=trainer.export_model())

    # one lab-log run per training, from the main process (other processes of `accelerate launch` log nothing)
    recorder = recorded_run(args, "semantic", f"train-{args.domain}-{args.size}px", config.to_dict(), args.seed) if is_main else contextlib.nullcontext()
    with recorder as run:
        return _train_loop(args, trainer, start_step, save, run)


# the config fields that fix the UNet's weight shapes
_ARCHITECTURE = ("domain", "size", "block_out_channels", "layers_per_block", "classes", "attention_at_lowest")


def _initial_weights(folder: Path, config: DiffusionConfig):
    """The EMA UNet of the checkpoint in ``folder``, checked to have ``config``'s architecture."""
    init = load_checkpoint(folder)
    diff = [k for k in _ARCHITECTURE if getattr(init.config, k) != getattr(config, k)]
    if diff:
        raise UserError(f"--init {folder} has another architecture ({', '.join(f'{k} {getattr(init.config, k)}' for k in diff)}); "
                        "give the same --domain/--size/--channels/--layers-per-block")
    unet = init.unet
    unet.train()
    return unet


def _train_loop(args, trainer, start_step, save, run) -> int:
    is_main = trainer.accelerator.is_main_process
    losses = trainer.losses
    interrupted = False
    # SIGTERM (a scheduler's stop, `kill PID`) stops like Ctrl-C: finish the step, save, exit
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if threading.current_thread() is threading.main_thread() else None
    try:
        for _ in progress(range(start_step, args.steps), desc=f"train {args.domain}", quiet=args.quiet or not is_main, unit="step"):
            losses.append(trainer.train_step())
            if run is not None and trainer.step % 25 == 0:
                run.log_metric("loss", float(np.mean(losses[-25:])), step=trainer.step)
            if trainer.step % args.save_every == 0 and trainer.step < args.steps:
                save(False)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    save(not interrupted)
    if run is not None:
        run.log_metrics({"final_step": trainer.step, "loss_recent": float(np.mean(losses[-50:])) if losses else float("nan")})
        run.set_tags({"checkpoint": str(args.out), "stopped": str(interrupted)})
    if not args.quiet and is_main:
        print(f"{'stopped' if interrupted else 'trained'} {args.domain} model to step {trainer.step}; checkpoint in {args.out}")
    return 130 if interrupted else 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


# ---------------------------------------------------------------- evaluator


def _procedural_set(domain: str, size: int, n: int, seed: int, tag: str):
    d = get_domain(domain)
    gens = [generator_for(seed, "procedural", tag, i) for i in range(n)]
    labels = torch.arange(n) % len(d.classes) if d.classes else None
    return d.procedural(gens, size, labels)


def run_evaluator(args: argparse.Namespace) -> int:
    path = resolve_checkpoint(args.checkpoint, args.domain)
    ckpt = load_checkpoint(path, args.domain)
    cfg = ckpt.config
    t0 = time.time()
    bar = progress(range(args.steps), desc="evaluator", quiet=args.quiet, unit="step")
    it = iter(bar)
    model = train_evaluator(cfg.domain, cfg.size, args.steps, batch_size=args.batch_size, seed=args.seed + 7919,
                            pool_size=args.pool, on_step=lambda s, l: next(it, None))
    ref, labels = _procedural_set(cfg.domain, cfg.size, args.n, args.seed, "evaluator-heldout")
    key = "evaluator_accuracy" if cfg.conditional else "evaluator_iou"
    figure = evaluator_accuracy(model, ref, labels) if cfg.conditional else evaluator_iou(model, ref)
    info = {"steps": args.steps, "batch_size": args.batch_size, "pool": args.pool, "train_seconds": time.time() - t0,
            "heldout_n": args.n, key: figure, "data": "procedural", "seed": args.seed}
    save_evaluator_into(path, model, info)
    if not args.quiet:
        print(f"evaluator for {cfg.domain} at {cfg.size}px: {key} {figure:.4f} on {args.n} held-out procedural scenes")
    return 0


def save_evaluator_into(path: Path, model, info: dict) -> None:
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix=".evaluator-", dir=path))
    try:
        save_evaluator(tmp, model, info)
        old = path / "evaluator"
        if old.exists():
            shutil.rmtree(old)
        tmp.rename(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ---------------------------------------------------------------- eval


def evaluate_checkpoint(ckpt, n: int, *, steps: int, guidance: float, sampler: str | None, seed: int, quiet: bool,
                        evaluator_steps: int = 600, eta: float = DEFAULT_ETA, references: int = DEFAULT_REFERENCE_SETS) -> dict:
    cfg = ckpt.config
    sampler = check_sampler(sampler, cfg, eta)
    evaluator = ckpt.evaluator
    trained_here = evaluator is None
    if evaluator is None:
        # a quick evaluator (pool scaled to the steps); ship one with `semantic evaluator` for real figures
        evaluator = train_evaluator(cfg.domain, cfg.size, evaluator_steps, seed=seed + 7919,
                                    pool_size=min(2048, max(32, evaluator_steps * 4)))
    labels = torch.arange(n) % len(cfg.classes) if cfg.conditional else None
    gens = [generator_for(seed, "eval-sample", i) for i in range(n)]
    bar = progress(range(n), desc="sample", quiet=quiet, unit="scene")
    it = iter(bar)
    t0 = time.time()
    gen = sample(ckpt.unet, cfg, gens, labels=labels, steps=steps, guidance=guidance, sampler=sampler, eta=eta,
                 on_batch=lambda k: [next(it, None) for _ in range(k)])
    sample_s = time.time() - t0
    refs = [_procedural_set(cfg.domain, cfg.size, n, seed, f"eval-reference-{k}") for k in range(references)]
    figures = evaluate(evaluator, gen, labels, refs, cfg.classes)
    figures.update({"domain": cfg.domain, "size": cfg.size, "steps": steps, "guidance": guidance, "sampler": sampler, "eta": eta,
                    "seed": seed, "checkpoint_step": ckpt.info.get("step"), "evaluator_trained_here": trained_here,
                    "samples_per_s": n / max(sample_s, 1e-9)})
    return figures


def format_figures(f: dict) -> str:
    lines = [f"{f['domain']} ({f['size']}px, step {f['checkpoint_step']}, {f['n_generated']} samples, {f['sampler']} {f['steps']} steps, eta {f['eta']}, guidance {f['guidance']}):"]
    if "class_consistency" in f:
        lines.append(f"  evaluator accuracy on held-out procedural scenes: {100 * f['evaluator_accuracy']:.1f} %")
        lines.append(f"  class consistency (mean over classes):            {100 * f['class_consistency']:.1f} %")
        lines.append("    " + "  ".join(f"{k} {100 * v:.0f}%" for k, v in f["class_consistency_per_class"].items()))
    else:
        lines.append(f"  evaluator IoU on held-out procedural tiles:       {f['evaluator_iou']:.3f}")
        lines.append(f"  mask IoU (evaluator vs generated mask):           {f['mask_iou']:.3f}")
        lines.append(f"  car fraction generated / procedural:              {f['car_fraction_generated']:.3f} / {f['car_fraction_reference']:.3f}")
    k = f["n_reference_sets"]
    lines.append(f"  FID-like (evaluator features), generated vs procedural: {f['fid_like']:.4g} ± {f['fid_like_sd']:.2g}  (mean ± sd over {k} reference sets)")
    lines.append(f"  FID-like floor, procedural vs procedural:               {f['fid_like_floor']:.4g} ± {f['fid_like_floor_sd']:.2g}  (over {k * (k - 1) // 2} pairs)")
    lines.append(f"  ratio FID-like / floor:                                 {f['fid_like_ratio']:.2f}")
    return "\n".join(lines)


def run_eval(args: argparse.Namespace) -> int:
    if not args.guidance >= 0:
        raise UserError(f"expected --guidance >= 0, got {args.guidance}")
    if str(args.checkpoint) == "default" and args.domain is None:
        domains = DOMAINS.names()
    else:
        domains = [args.domain]
    ckpts = [load_checkpoint(resolve_checkpoint(args.checkpoint, d), d) for d in domains]
    results = []
    for ckpt in ckpts:
        sampler, steps = ckpt.sampling(args.sampler, args.steps, args.eta)
        f = evaluate_checkpoint(ckpt, args.n, steps=steps, guidance=args.guidance, sampler=sampler,
                                seed=args.seed, quiet=args.quiet, evaluator_steps=args.evaluator_steps, eta=args.eta,
                                references=args.references)
        results.append(f)
        if not args.json:
            print(format_figures(f))
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
    return 0
