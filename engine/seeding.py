"""Seeds for the engine's jobs: one ``torch.Generator`` per (seed, key...), stable across runs and machines.

Keys name what a draw belongs to (a file name, an intensity), so a file's noise does not depend on the batch
it was processed in or on the order of files.
"""

from __future__ import annotations

import hashlib

import torch

__all__ = ["derive_seed", "generator_for"]


def derive_seed(seed: int, *keys: object) -> int:
    digest = hashlib.sha256(repr((int(seed),) + tuple(str(k) for k in keys)).encode()).digest()
    return int.from_bytes(digest[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF


def generator_for(seed: int, *keys: object, device: str | torch.device = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(derive_seed(seed, *keys))
