"""Turning user values into what the tables hold: configs as JSON, typed params, metric numbers, keys.

* ``config_json(config)``: a dict (or a dataclass) as canonical JSON text (sorted keys). Dataclasses,
  paths, tuples, sets, enums, NumPy and torch scalars and small arrays are converted; anything else is
  refused with its key path, so what is recorded is what was resolved.
* ``param_row(key, value)``: ``(type, value text, value_num)`` with type bool, int, float, str, json or
  null (params are typed; see the ``params`` table).
* ``metric_value(x)``: a float from a Python/NumPy number or a one-element tensor; NaN and inf are kept.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import numbers
import os
import re
from typing import Any

from lablog.errors import LabLogError

__all__ = ["config_json", "param_row", "metric_value", "check_key", "check_step", "jsonable"]

_KEY = re.compile(r"^[^\x00-\x1f]{1,250}$")


def check_key(key: object, what: str = "metric key") -> str:
    if not isinstance(key, str) or not _KEY.match(key) or key != key.strip():
        raise LabLogError(f"expected a {what}: a non-empty string of at most 250 printable characters without surrounding spaces, got {key!r}")
    return key


def check_step(step: object, what: str = "step") -> int | None:
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise LabLogError(f"expected {what} to be an integer or None, got {step!r}")
    step = int(step)
    if not -(2**62) < step < 2**62:
        raise LabLogError(f"expected {what} between -2^62 and 2^62, got {step}")
    return step


def metric_value(value: object, key: str) -> float:
    if isinstance(value, (str, bytes, bool)) or value is None or type(value).__name__ == "bool_":
        raise LabLogError(f"metric {key!r}: expected a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):
        raise LabLogError(f"metric {key!r}: expected a number or a one-element tensor, got {type(value).__name__} {getattr(value, 'shape', '')}") from None


def jsonable(value: Any, where: str = "config") -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        return v if math.isfinite(v) else str(v)  # JSON has no NaN/inf
    if isinstance(value, enum.Enum):
        return jsonable(value.value, where)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value), where)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise LabLogError(f"{where}: keys must be strings, got {k!r}")
            out[str(k)] = jsonable(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v, where) for v in value), key=repr)
    if hasattr(value, "tolist"):  # NumPy arrays and scalars, torch tensors
        size = value.numel() if callable(getattr(value, "numel", None)) else getattr(value, "size", 0)
        if isinstance(size, int) and size <= 10_000:
            return jsonable(value.tolist(), where)
    raise LabLogError(f"{where}: cannot record a {type(value).__name__} as JSON; convert it to numbers, strings, lists or dicts")


def config_json(config: Any) -> str | None:
    if config is None:
        return None
    value = jsonable(config)
    if not isinstance(value, dict):
        raise LabLogError(f"expected config to be a dict or a dataclass, got {type(config).__name__}")
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def param_row(key: str, value: Any) -> tuple[str, str | None, float | None]:
    if value is None:
        return "null", None, None
    if isinstance(value, bool):
        return "bool", "true" if value else "false", float(value)
    if isinstance(value, numbers.Integral):
        return "int", str(int(value)), float(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        return "float", json.dumps(v) if math.isfinite(v) else str(v), v
    if isinstance(value, str):
        return "str", value, None
    if isinstance(value, os.PathLike):
        return "str", os.fspath(value), None
    if isinstance(value, enum.Enum):
        return param_row(key, value.value)
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return param_row(key, value.item())
    return "json", json.dumps(jsonable(value, f"param {key!r}"), sort_keys=True, separators=(",", ":")), None
