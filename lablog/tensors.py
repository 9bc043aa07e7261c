"""Tensors, models and images as artifact bytes: safetensors for tensors and state dicts, PNG for images.

* ``model_bytes(module_or_state_dict)``: the state dict of an ``nn.Module`` (or a dict of tensors) as one
  safetensors file. Every tensor is detached, moved to the CPU and cloned (tied weights get their own
  storage), so ``load_state_dict`` of what comes back gives a bit-identical model. Non-tensor entries are
  refused rather than pickled.
* ``tensor_bytes(x)``: one torch tensor or NumPy array under the key ``"tensor"``; it loads back as the
  same type, dtype, shape and bits.
* ``image_png(chw)``: a ``(C, H, W)`` (C in 1, 3, 4) or ``(H, W)`` image, torch or NumPy. Floats are taken
  as display values in [0, 1], clipped and rounded to 8 bits; uint8 stays 8-bit, uint16 becomes a 16-bit
  PNG, bool becomes 0/255.

torch is imported only when a torch object is given, so the lab log imports fast.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from lablog.errors import LabLogError
from lablog.png import encode_png

__all__ = ["model_bytes", "load_model_bytes", "tensor_bytes", "load_tensor_bytes", "image_png"]


def _is_torch(x: object) -> bool:
    return type(x).__module__.startswith("torch")


def _state_dict(module: Any) -> dict:
    if hasattr(module, "state_dict") and callable(module.state_dict):
        return module.state_dict()
    if isinstance(module, dict):
        return module
    raise LabLogError(f"log_model expects a torch.nn.Module or a dict of tensors (a state dict), got {type(module).__name__}")


def model_bytes(module: Any) -> tuple[bytes, dict[str, str]]:
    import torch
    from safetensors.torch import save

    state = _state_dict(module)
    if not state:
        raise LabLogError("log_model got an empty state dict; nothing to save")
    tensors = {}
    for key, value in state.items():
        if not isinstance(key, str):
            raise LabLogError(f"log_model: state dict keys must be strings, got {key!r}")
        if not isinstance(value, torch.Tensor):
            raise LabLogError(f"log_model: state dict entry {key!r} is a {type(value).__name__}, not a tensor; it cannot be saved as safetensors")
        tensors[key] = value.detach().to("cpu").contiguous().clone()
    meta = {"lablog_kind": "model", "class": type(module).__module__ + "." + type(module).__qualname__, "n_tensors": str(len(tensors))}
    return save(tensors, metadata=meta), meta


def load_model_bytes(data: bytes) -> dict:
    from safetensors.torch import load

    return load(data)


def tensor_bytes(x: Any) -> tuple[bytes, list[int], str]:
    if _is_torch(x):
        import torch
        from safetensors.torch import save

        if not isinstance(x, torch.Tensor):
            raise LabLogError(f"log_tensor expects a torch tensor or NumPy array, got {type(x).__name__}")
        t = x.detach().to("cpu").contiguous().clone()
        return save({"tensor": t}, metadata={"lablog_kind": "tensor", "framework": "torch"}), list(t.shape), str(t.dtype).removeprefix("torch.")
    if isinstance(x, np.ndarray):
        from safetensors.numpy import save

        if x.dtype == object:
            raise LabLogError("log_tensor: object arrays cannot be saved; expected a numeric NumPy array")
        a = np.ascontiguousarray(x)
        return save({"tensor": a}, metadata={"lablog_kind": "tensor", "framework": "numpy"}), list(a.shape), str(a.dtype)
    raise LabLogError(f"log_tensor expects a torch tensor or NumPy array, got {type(x).__name__}")


def _metadata(data: bytes) -> dict[str, str]:
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n]).get("__metadata__", {}) or {}


def load_tensor_bytes(data: bytes):
    if _metadata(data).get("framework") == "numpy":
        from safetensors.numpy import load

        return load(data)["tensor"]
    from safetensors.torch import load

    return load(data)["tensor"]


def image_png(image: Any) -> tuple[bytes, list[int], str]:
    """Returns the PNG bytes, the (C, H, W) shape and the input dtype name."""
    if _is_torch(image):
        image = image.detach().to("cpu").numpy()
    a = np.asarray(image)
    dtype = str(a.dtype)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[0] not in (1, 3, 4) or a.shape[1] < 1 or a.shape[2] < 1:
        raise LabLogError(f"log_image expects a (C, H, W) image with C in 1, 3, 4 or an (H, W) one, got shape {tuple(np.shape(image))}")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise LabLogError("log_image: the image holds NaN or inf; expected display values in [0, 1]")
        a = np.round(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)
    elif a.dtype not in (np.uint8, np.uint16):
        raise LabLogError(f"log_image expects float (values in [0, 1]), uint8, uint16 or bool pixels, got {a.dtype}")
    return encode_png(np.ascontiguousarray(np.moveaxis(a, 0, -1))), list(a.shape), dtype
