"""Evaluation of a scene model against procedural scenes, in the evaluator network's feature space.

    generated data (scenes [+ masks], conditioned labels) ─┐
    held-out procedural set A ─────────────────────────────┼─► evaluator ─► class consistency / mask IoU
    independent procedural set B (the floor) ──────────────┘               FID-like(gen, A) vs FID-like(B, A)

Figures (all from :mod:`semantic.metrics`):

- ``evaluator_accuracy`` / ``evaluator_iou``: the evaluator on procedural set A (how far it can be trusted);
- ``class_consistency``: evaluator top-1 agreement with the conditioning class, averaged over classes;
- ``mask_iou``: IoU between the evaluator's car segmentation of generated tiles and the generated masks;
- ``fid_like``: Fréchet distance in evaluator features, generated vs A; ``fid_like_floor``: B vs A at the
  same set size (what sampling noise alone gives); ``fid_like_ratio`` = fid_like / floor.
"""

from __future__ import annotations

import torch

from semantic.evaluator import Evaluator
from semantic.metrics import class_consistency, frechet_distance, mask_iou

__all__ = ["evaluate"]


@torch.no_grad()
def _run(evaluator: Evaluator, x: torch.Tensor, batch: int = 64):
    feats, logits, seg = [], [], []
    for i in range(0, len(x), batch):
        xb = x[i : i + batch, :3]
        feats.append(evaluator.features(xb))
        if evaluator.config.num_classes:
            logits.append(evaluator.classify(xb))
        else:
            seg.append(evaluator.segment(xb) > 0)
    return torch.cat(feats), (torch.cat(logits) if logits else None), (torch.cat(seg) if seg else None)


def evaluate(evaluator: Evaluator, generated: torch.Tensor, labels: torch.Tensor | None,
             reference_a: torch.Tensor, labels_a: torch.Tensor | None, reference_b: torch.Tensor,
             class_names: tuple[str, ...] = ()) -> dict:
    """All figures as a dict (see the module docstring). Data ``(N, C, H, W)`` linear in [0, 1]."""
    fg, lg, sg = _run(evaluator, generated)
    fa, la, sa = _run(evaluator, reference_a)
    fb, _, _ = _run(evaluator, reference_b)
    out: dict = {"n_generated": len(generated), "n_reference": len(reference_a)}
    if evaluator.config.num_classes:
        acc = class_consistency(la.argmax(1), labels_a, evaluator.config.num_classes)
        cons = class_consistency(lg.argmax(1), labels, evaluator.config.num_classes)
        name = (lambda i: class_names[i]) if class_names else str
        out["evaluator_accuracy"] = acc["mean"]
        out["class_consistency"] = cons["mean"]
        out["class_consistency_per_class"] = {name(k): v for k, v in cons["per_class"].items()}
    else:
        out["evaluator_iou"] = mask_iou(sa, reference_a[:, 3:4] > 0.5)
        out["mask_iou"] = mask_iou(sg, generated[:, 3:4] > 0.5)
        out["car_fraction_generated"] = float((generated[:, 3:4] > 0.5).float().mean())
        out["car_fraction_reference"] = float((reference_a[:, 3:4] > 0.5).float().mean())
    out["fid_like"] = frechet_distance(fg, fa)
    out["fid_like_floor"] = frechet_distance(fb, fa)
    out["fid_like_ratio"] = out["fid_like"] / max(out["fid_like_floor"], 1e-12)
    return out
