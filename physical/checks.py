"""The one way to reject bad input in the physical layer.

Every public function validates at its boundary with these helpers and raises :class:`InputError`
(a ``ValueError``) whose message says what was expected and what came in. The command line turns it into a
single ``error: ...`` line with exit code 2; library users catch ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

__all__ = ["InputError", "check_image", "check_finite", "check_range", "check_choice", "check_positive", "check_even"]


class InputError(ValueError):
    """Input that the caller can fix: wrong shape, value, range or name."""


def check_image(x: object, name: str, channels: int | None = None, *, even: bool = False) -> torch.Tensor:
    """Check ``x`` is a float tensor of shape (B, C, H, W), with C == ``channels`` when given.

    >>> check_image(torch.zeros(1, 3, 4, 4), "scene", 3).shape
    torch.Size([1, 3, 4, 4])
    """
    if not isinstance(x, torch.Tensor):
        raise InputError(f"expected {name} as a torch.Tensor of shape (B, C, H, W), got {type(x).__name__}")
    want = f"(B, {channels}, H, W)" if channels is not None else "(B, C, H, W)"
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        raise InputError(f"expected {name} of shape {want}, got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise InputError(f"expected {name} as a floating-point tensor, got {x.dtype}")
    if even:
        check_even(x, name)
    return x


def check_even(x: torch.Tensor, name: str) -> None:
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        raise InputError(
            f"expected {name} with even height and width for a Bayer sensor, got {tuple(x.shape)}"
        )


def check_finite(x: torch.Tensor, name: str) -> None:
    if not bool(torch.isfinite(x.detach()).all()):
        raise InputError(f"expected {name} without NaN or infinite values")


def check_range(x: torch.Tensor, name: str, low: float, high: float | None = None) -> None:
    """Check ``low <= x`` (and ``x <= high`` when given), after a finiteness check."""
    check_finite(x, name)
    lo, hi = float(x.detach().min()), float(x.detach().max())
    if lo < low or (high is not None and hi > high):
        bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise InputError(f"expected {name} values in {bounds}, got values in [{lo:.6g}, {hi:.6g}]")


def check_positive(value: float, name: str, *, allow_zero: bool = False) -> float:
    v = float(value)
    if not (v == v) or v < 0 or (v == 0 and not allow_zero):
        want = ">= 0" if allow_zero else "> 0"
        raise InputError(f"expected {name} {want}, got {value!r}")
    return v


def check_choice(value: str, name: str, choices: Iterable[str]) -> str:
    options: Sequence[str] = sorted(choices)
    if value not in options:
        raise InputError(f"unknown {name} {value!r}; expected one of: {', '.join(options)}")
    return value
