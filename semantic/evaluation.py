"""Evaluation of a scene model against procedural scenes, in the evaluator network's feature space.

    generated data (scenes [+ masks], conditioned labels) ─┐
    K independent procedural reference sets R₁ … R_K ──────┴─► evaluator ─► class consistency / mask IoU
                                                                          FID-like(gen, R_k) vs FID-like(R_i, R_j)

Figures (all from :mod:`semantic.metrics`):

- ``evaluator_accuracy`` / ``evaluator_iou``: the evaluator on the pooled reference sets (how far it can be trusted);
- ``class_consistency``: evaluator top-1 agreement with the conditioning class, averaged over classes;
- ``mask_iou``: IoU between the evaluator's car segmentation of generated tiles and the generated masks;
- ``fid_like``: the Fréchet distance in evaluator features between the generated set and a reference set,
  averaged over the K reference sets (``fid_like_sd``: its spread over them); ``fid_like_floor``: the same
  distance between two reference sets, averaged over all K(K−1)/2 pairs (``fid_like_floor_sd``) — what
  sampling noise alone gives at this set size; ``fid_like_ratio`` = fid_like / floor.

Why K sets and not one pair: at a few hundred scenes the distance between two procedural sets varies several-fold
from draw to draw (aerial tiles at 260: 0.03 to 0.26 over 45 pairs, mostly from how many roof and parking strips
a set happens to hold), so a ratio built on one reference pair says more about that pair than about the model.
Averaging both sides over the same K sets estimates the expected distances; the spreads say how far to trust them.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

import torch

from physical.checks import InputError
from semantic.evaluator import Evaluator
from semantic.metrics import class_consistency, frechet_distance, mask_iou

__all__ = ["evaluate", "DEFAULT_REFERENCE_SETS"]

DEFAULT_REFERENCE_SETS = 8  # K: 8 distances to the generated set, 28 pairs for the floor; procedural sets are cheap


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


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def evaluate(evaluator: Evaluator, generated: torch.Tensor, labels: torch.Tensor | None,
             references: Sequence[tuple[torch.Tensor, torch.Tensor | None]], class_names: tuple[str, ...] = ()) -> dict:
    """All figures as a dict (see the module docstring).

    Args:
        generated: ``(N, C, H, W)`` linear in [0, 1]; labels: its conditioning classes ``(N,)`` (cells) or None.
        references: K ≥ 2 independent procedural sets ``(data, labels)``, each like ``generated``.
    """
    if len(references) < 2:
        raise InputError(f"expected at least 2 independent reference sets (the floor compares two), got {len(references)}")
    fg, lg, sg = _run(evaluator, generated)
    runs = [_run(evaluator, data) for data, _ in references]
    feats = [f for f, _, _ in runs]
    out: dict = {"n_generated": len(generated), "n_reference": len(references[0][0]), "n_reference_sets": len(references)}
    if evaluator.config.num_classes:
        k = evaluator.config.num_classes
        acc = class_consistency(torch.cat([lr.argmax(1) for _, lr, _ in runs]), torch.cat([lab for _, lab in references]), k)
        cons = class_consistency(lg.argmax(1), labels, k)
        name = (lambda i: class_names[i]) if class_names else str
        out["evaluator_accuracy"] = acc["mean"]
        out["class_consistency"] = cons["mean"]
        out["class_consistency_per_class"] = {name(c): v for c, v in cons["per_class"].items()}
    else:
        ref_masks = torch.cat([data[:, 3:4] > 0.5 for data, _ in references])
        out["evaluator_iou"] = mask_iou(torch.cat([sr for _, _, sr in runs]), ref_masks)
        out["mask_iou"] = mask_iou(sg, generated[:, 3:4] > 0.5)
        out["car_fraction_generated"] = float((generated[:, 3:4] > 0.5).float().mean())
        out["car_fraction_reference"] = float(ref_masks.float().mean())
    out["fid_like"], out["fid_like_sd"] = _mean_sd([frechet_distance(fg, fr) for fr in feats])
    out["fid_like_floor"], out["fid_like_floor_sd"] = _mean_sd([frechet_distance(a, b) for a, b in itertools.combinations(feats, 2)])
    out["fid_like_ratio"] = out["fid_like"] / max(out["fid_like_floor"], 1e-12)
    return out
