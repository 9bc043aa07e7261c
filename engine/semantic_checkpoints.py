"""Scene-model checkpoints on disk: save and load, symmetric, validated, safetensors only.

    DIR/semantic.json                      DiffusionConfig + what made it (step, data, command, timings)
                                           [+ "sampling": {"sampler": NAME, "steps": N}, its recommended settings]
    DIR/unet/config.json, diffusion_pytorch_model.safetensors     EMA weights (``save_pretrained``)
    DIR/evaluator/evaluator.json, model.safetensors               the evaluator network (optional, float16)
    DIR/training/unet/...                  raw training weights (resume only)
    DIR/training/optimizer.pt              AdamW state (tensors only; loaded with ``weights_only=True``)
    DIR/training/state.json                step, EMA step

``default`` names the shipped checkpoint of a domain (``semantic/checkpoints/<domain>/``). Saving a running
training replaces DIR in one rename of a completed sibling folder, so DIR never holds a half-written mix.
A missing or corrupt checkpoint is a :class:`~engine.errors.UserError` naming the file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import torch
from safetensors.torch import load_file, save_file

import semantic
from engine.errors import UserError
from semantic.diffusion_config import DiffusionConfig
from semantic.evaluator import Evaluator, EvaluatorConfig
from semantic.sampling import DEFAULT_STEPS, SAMPLERS, check_sampler

__all__ = ["Checkpoint", "DEFAULT_ROOT", "resolve_checkpoint", "save_checkpoint", "load_checkpoint", "load_training", "save_evaluator", "load_evaluator"]

DEFAULT_ROOT = Path(semantic.__file__).parent / "checkpoints"
CONFIG_NAME = "semantic.json"


class Checkpoint(NamedTuple):
    path: Path
    config: DiffusionConfig
    unet: Any  # diffusers UNet2DModel (EMA weights), eval mode
    info: dict
    evaluator: Evaluator | None

    def sampling(self, sampler: str | None, steps: int | None, eta: float = 0.0) -> tuple[str, int]:
        """The sampler (checked against the model and η) and steps to use: the user's choice where given, else
        the checkpoint's recommendation (``"sampling"`` in semantic.json, chosen on its evaluation figures, see
        its model card), else the model's default sampler and :data:`~semantic.sampling.DEFAULT_STEPS`. The
        recommended steps go with the recommended sampler only."""
        rec = self.info.get("sampling") or {}
        sampler = rec.get("sampler") if sampler is None else sampler
        if steps is None:
            steps = rec.get("steps", DEFAULT_STEPS) if sampler == rec.get("sampler") else DEFAULT_STEPS
        return check_sampler(sampler, self.config, eta), steps

def resolve_checkpoint(name: str | os.PathLike, domain: str | None) -> Path:
    """``default`` → the shipped checkpoint of ``domain``; otherwise the folder given."""
    if str(name) == "default":
        if domain is None:
            raise UserError("--checkpoint default needs --domain (microscopy or drone)")
        return DEFAULT_ROOT / domain
    return Path(name)


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise UserError(f"not a scene-model checkpoint: missing {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"corrupt checkpoint file {path}: {exc}") from None


def save_evaluator(folder: Path, model: Evaluator, info: dict | None = None) -> None:
    """The evaluator's weights as float16 safetensors (half the size; loaded back into float32 modules —
    the rounding moves its logits by ~1e-3, far below what its figures resolve)."""
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"))
    _write_json(folder / "evaluator.json", {"config": model.config.to_dict(), **(info or {})})


def load_evaluator(folder: Path) -> tuple[Evaluator, dict]:
    meta = _read_json(folder / "evaluator.json")
    model = Evaluator(EvaluatorConfig.from_dict(meta["config"]))
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise UserError(f"corrupt evaluator: missing {weights}")
    try:
        model.load_state_dict(load_file(str(weights)))
    except Exception as exc:  # safetensors header errors, shape mismatches
        raise UserError(f"corrupt evaluator weights {weights}: {str(exc).splitlines()[0]}") from None
    model.eval()
    return model, meta


def save_checkpoint(out: Path, config: DiffusionConfig, ema_unet, info: dict, *, training: dict | None = None,
                    train_unet=None, evaluator: Evaluator | None = None, evaluator_info: dict | None = None) -> None:
    """Write a complete checkpoint folder at ``out`` (replacing any previous one in one rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.saving-", dir=out.parent))
    try:
        ema_unet.save_pretrained(tmp / "unet", safe_serialization=True)
        _write_json(tmp / CONFIG_NAME, {"config": config.to_dict(), **info})
        if training is not None and train_unet is not None:
            train_unet.save_pretrained(tmp / "training" / "unet", safe_serialization=True)
            torch.save(training["optimizer"], tmp / "training" / "optimizer.pt")
            _write_json(tmp / "training" / "state.json", {k: v for k, v in training.items() if k != "optimizer"})
        if evaluator is not None:
            save_evaluator(tmp / "evaluator", evaluator, evaluator_info)
        elif (out / "evaluator").is_dir():
            shutil.copytree(out / "evaluator", tmp / "evaluator")
        for extra in ("README.md",):  # keep a model card written beside an earlier save
            if (out / extra).is_file():
                shutil.copy2(out / extra, tmp / extra)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "x")
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _load_unet(folder: Path, config: DiffusionConfig):
    from diffusers import UNet2DModel

    weights = folder / "diffusion_pytorch_model.safetensors"
    for f in (folder / "config.json", weights):
        if not f.is_file():
            raise UserError(f"corrupt checkpoint: missing {f}")
    try:
        unet = UNet2DModel.from_pretrained(str(folder), local_files_only=True, use_safetensors=True)
    except Exception as exc:
        raise UserError(f"corrupt checkpoint weights in {folder}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
    if unet.config.in_channels != config.channels or unet.config.sample_size != config.size:
        raise UserError(f"checkpoint {folder} does not match its semantic.json (channels/size)")
    return unet.eval()


def load_checkpoint(path: str | os.PathLike, domain: str | None = None) -> Checkpoint:
    """Load a checkpoint folder (``domain`` checks it is the expected domain)."""
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"no checkpoint folder at {path}")
    meta = _read_json(path / CONFIG_NAME)
    try:
        config = DiffusionConfig.from_dict(meta["config"])
    except (KeyError, TypeError) as exc:
        raise UserError(f"corrupt checkpoint file {path / CONFIG_NAME}: {exc}") from None
    if domain is not None and config.domain != domain:
        raise UserError(f"checkpoint {path} is a {config.domain} model, expected {domain}")
    unet = _load_unet(path / "unet", config)
    evaluator = load_evaluator(path / "evaluator")[0] if (path / "evaluator").is_dir() else None
    info = {k: v for k, v in meta.items() if k != "config"}
    _check_sampling(info.get("sampling"), path / CONFIG_NAME)
    return Checkpoint(path, config, unet, info, evaluator)


def _check_sampling(rec, where: Path) -> None:
    if rec is None:
        return
    steps = rec.get("steps", 1) if isinstance(rec, dict) else None
    if not (isinstance(rec, dict) and set(rec) <= {"sampler", "steps", "why"} and rec.get("sampler") in SAMPLERS.names()
            and type(steps) is int and steps > 0):
        raise UserError(f"corrupt checkpoint file {where}: expected \"sampling\" as {{\"sampler\": one of "
                        f"{', '.join(SAMPLERS.names())}, \"steps\": a positive integer}}, got {json.dumps(rec)}")

def load_training(path: Path, config: DiffusionConfig) -> dict | None:
    """The resume state of a checkpoint (raw weights, optimiser, step), or None if it has none."""
    folder = Path(path) / "training"
    if not (folder / "state.json").is_file():
        return None
    state = _read_json(folder / "state.json")
    unet = _load_unet(folder / "unet", config).train()
    opt_file = folder / "optimizer.pt"
    try:
        optimizer = torch.load(opt_file, weights_only=True)
    except Exception as exc:
        raise UserError(f"corrupt optimizer state {opt_file}: {str(exc).strip().splitlines()[0]}") from None
    return {"unet": unet, "optimizer": optimizer, **state}
