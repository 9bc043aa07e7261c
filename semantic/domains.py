"""The two scene domains of the semantic layer and what a diffusion model of each generates.

A domain says how many data channels the model generates, which classes it is conditioned on, and how to
draw procedural training data at a model size:

- ``microscopy``: blood-smear scenes ``(3, H, W)``, class-conditional on the leukocyte code
  (:data:`~semantic.procedural_blood_smear.CELL_CODES`);
- ``drone``: aerial tiles generated jointly with their car mask, ``(4, H, W)`` = R, G, B, mask.

Procedural data always covers the published field of view (256 px at 162.5 nm, resp. 6 cm), so a model of
size S sees pixels 256/S times larger, and its samples are resized back to any output size
(:mod:`semantic.resize`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from physical.checks import InputError
from physical.registry import Registry
from semantic.procedural_aerial import GSD_CM, aerial_tiles
from semantic.procedural_blood_smear import CELL_CODES, PIXEL_NM, blood_smear

__all__ = ["Domain", "DOMAINS", "get_domain", "FIELD_PX"]

FIELD_PX = 256  # the published crops' size; procedural fields of view are this many native pixels


@dataclass(frozen=True)
class Domain:
    name: str
    classes: tuple[str, ...]  # conditioning classes; () = unconditional
    data_channels: int  # channels the model generates (scene RGB, + mask)
    device_hint: str  # the device preset that records this domain
    label_kind: str  # "class" or "mask"

    def procedural(self, generators: Sequence[torch.Generator], size: int, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Procedural data ``(B, data_channels, size, size)`` in [0, 1] and class indices ``(B,)`` (or None).

        ``labels`` (class indices) are drawn from the generators when not given (cells only).
        """
        if self.name == "microscopy":
            if labels is None:
                labels = torch.stack([torch.randint(0, len(self.classes), (), generator=g) for g in generators])
            codes = [self.classes[int(i)] for i in labels]
            scenes = blood_smear(codes, generators, size, PIXEL_NM * FIELD_PX / size)
            return scenes, labels.long()
        scenes, masks = aerial_tiles(generators, size, GSD_CM * FIELD_PX / size)
        return torch.cat([scenes, masks], dim=1), None

    def class_index(self, code: str) -> int:
        if not self.classes:
            raise InputError(f"domain {self.name!r} has no classes; --label applies to microscopy")
        if code not in self.classes:
            raise InputError(f"unknown class {code!r} for {self.name}; expected one of: {', '.join(self.classes)}")
        return self.classes.index(code)


DOMAINS: Registry[Domain] = Registry("domain")
DOMAINS.add("microscopy", Domain("microscopy", CELL_CODES, 3, "microscope-pco-edge-5.5", "class"))
DOMAINS.add("drone", Domain("drone", (), 4, "drone-l1d-20c", "mask"))


def get_domain(name: str) -> Domain:
    return DOMAINS.get(name)
