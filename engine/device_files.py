"""Resolve ``--device``: a preset name, or a TOML / JSON device file (``base`` preset + overrides)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from engine.errors import UserError
from physical.devices import DEVICES, Device, device_from_dict, get_device

__all__ = ["resolve_device", "load_device_file"]


def load_device_file(path: str | Path) -> Device:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read device file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"malformed device file {path}: {exc}") from None
    try:
        return device_from_dict(data)
    except ValueError as exc:
        raise UserError(f"device file {path}: {exc}") from None


def resolve_device(spec: str) -> Device:
    """A preset by name, or a device file ending in .toml or .json."""
    if spec.lower().endswith((".toml", ".json")):
        return load_device_file(spec)
    if spec not in DEVICES:
        raise UserError(f"unknown device {spec!r}; expected one of: {', '.join(DEVICES.names())} (or a .toml/.json device file)")
    return get_device(spec)
