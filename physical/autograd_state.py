"""Whether autograd is recording for a set of values — the switch between the in-place / frame-by-frame
fast paths (no graph to feed) and the out-of-place, batched paths that gradients need.
"""

from __future__ import annotations

import torch

__all__ = ["records_grad"]


def records_grad(*values) -> bool:
    """True when grad mode is on and any of ``values`` is a tensor that requires grad (others are ignored)."""
    return torch.is_grad_enabled() and any(isinstance(v, torch.Tensor) and v.requires_grad for v in values)
