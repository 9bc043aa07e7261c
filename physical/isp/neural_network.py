"""The ``neural_network`` processing mode: a U-Net++ as the whole ISP (the seed's ``NNProcessing``).

raw ``(B, 1, H, W)`` normalised → black level → the four CFA sites ``(B, 4, H/2, W/2)`` → network with
12 output channels → pixel shuffle → RGB ``(B, 3, H, W)`` at full resolution → optional BatchNorm
without affine. Feeding the sites (not a demosaiced image) leaves demosaicing to the network; sites are in
reading order whatever the pattern, so a network trained on one CFA phase is tied to it.

Layering: the physical layer imports only torch, kornia and numpy. The network is passed in as any
``nn.Module`` mapping 4 channels to 12; :func:`unetplusplus` builds the seed's
segmentation-models-pytorch U-Net++ and is the only place that imports ``segmentation_models_pytorch``,
lazily, inside the function — importing this module never imports smp. Weights are never downloaded
(``encoder_weights=None``).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from physical.cfa import extract_sites
from physical.checks import InputError, check_image
from physical.isp.black_level import subtract_black_level
from physical.isp.camera import IspCamera
from physical.isp.trace import TracedPipeline

__all__ = ["NeuralNetworkISP", "unetplusplus"]


def unetplusplus(encoder_name: str = "resnet34", encoder_depth: int = 3,
                 decoder_channels: tuple[int, ...] = (256, 128, 64)) -> nn.Module:
    """The seed's U-Net++ (ResNet-34 encoder, depth 3), 4 site channels in, 12 out, random initialisation."""
    import segmentation_models_pytorch as smp  # lazy: the physical layer does not depend on smp

    if len(decoder_channels) != encoder_depth:
        raise InputError(f"expected {encoder_depth} decoder channel counts, got {decoder_channels}")
    model = smp.UnetPlusPlus(encoder_name=encoder_name, encoder_depth=encoder_depth, encoder_weights=None,
                             decoder_channels=list(decoder_channels), in_channels=4, classes=12)
    model.size_multiple = 2 ** (encoder_depth + 1)  # in raw pixels: sites are half size
    return model


class NeuralNetworkISP(TracedPipeline):
    def __init__(self, camera: IspCamera, network: nn.Module | None = None, batch_norm: bool = True):
        super().__init__()
        self.pattern = camera.pattern
        self.register_buffer("black_level", camera.tensors()["black_level"])
        self.network = network if network is not None else unetplusplus()
        self.batch_norm = nn.BatchNorm2d(3, affine=False) if batch_norm else None

    def stages(self, raw: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        check_image(raw, "raw", 1, even=True)
        multiple = getattr(self.network, "size_multiple", 2)
        if raw.shape[-2] % multiple or raw.shape[-1] % multiple:
            raise InputError(f"expected raw height and width divisible by {multiple} for this network, "
                             f"got {tuple(raw.shape)}")
        yield "raw", raw
        x = subtract_black_level(raw, self.black_level)
        yield "black_level", x
        sites = extract_sites(x)
        yield "sites", sites
        out = self.network(sites)
        if out.shape[1] != 12:
            raise InputError(f"expected the network to return 12 channels (3 colours × 4 sites), got {out.shape[1]}")
        rgb = nn.functional.pixel_shuffle(out, 2)
        yield "network", rgb
        if self.batch_norm is not None:
            yield "batch_norm", self.batch_norm(rgb)
