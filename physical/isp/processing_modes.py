"""The processing modes a training run chooses from: ``static``, ``parametrized``, ``neural_network``, ``none``.

Each builds an ``nn.Module`` (a :class:`~physical.isp.trace.TracedPipeline`) that takes normalised raw
``(B, 1, H, W)`` and returns RGB — ``(B, 3, H, W)``, or ``(B, 3, H/2, W/2)`` for ``none`` — and can
return its stages (``.trace(raw)``).

>>> from physical.devices import get_device
>>> cam = IspCamera.from_device(get_device("drone-l1d-20c"))
>>> build_processing("static", cam, view="menon2007+unsharp_masking+median_denoising").spec.demosaic
'menon2007'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from physical.checks import InputError
from physical.isp.camera import IspCamera
from physical.isp.neural_network import NeuralNetworkISP
from physical.isp.none import NoneISP
from physical.isp.parametrized import ParametrizedConfig, ParametrizedISP
from physical.isp.static import StaticISP
from physical.isp.trace import TracedPipeline
from physical.registry import Registry

__all__ = ["PROCESSING_MODES", "build_processing"]


def _static(camera: IspCamera, view: str | None = None) -> TracedPipeline:
    if view is None:
        raise InputError("the static processing mode needs a view name (see `dataengine views --list`)")
    return StaticISP(view, camera)


def _parametrized(camera: IspCamera, learnable: bool = True, **config: Any) -> TracedPipeline:
    return ParametrizedISP(camera, ParametrizedConfig(**config), learnable=learnable)


PROCESSING_MODES: Registry[Callable[..., TracedPipeline]] = Registry("processing mode")
PROCESSING_MODES.add("static", _static)
PROCESSING_MODES.add("parametrized", _parametrized)
PROCESSING_MODES.add("neural_network", lambda camera, **kw: NeuralNetworkISP(camera, **kw))
PROCESSING_MODES.add("none", lambda camera, **kw: NoneISP(camera, **kw))


def build_processing(mode: str, camera: IspCamera, **options: Any) -> TracedPipeline:
    """The module of processing ``mode`` for ``camera``; ``options`` go to that mode's constructor."""
    builder = PROCESSING_MODES.get(mode)
    try:
        return builder(camera, **options)
    except TypeError as exc:  # an option the mode does not take
        raise InputError(f"processing mode {mode!r}: {exc}") from None
