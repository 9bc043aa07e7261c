"""Figures of merit for generated scenes, as pure functions of tensors.

- :func:`class_consistency`: top-1 agreement between a classifier's prediction and the class each sample was
  conditioned on, per class and averaged over the classes present (balanced accuracy);
- :func:`mask_iou`: intersection over union of two binary masks, pooled over the batch;
- :func:`frechet_distance`: the Fréchet distance between Gaussians fitted to two feature sets,
  ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½). Computed in the project's evaluator feature space it is called
  "FID-like", never FID (FID means Inception-v3 features). It is biased upwards for small sets: compare it
  only with a floor computed at the same set size (two independent procedural sets).
"""

from __future__ import annotations

import torch

from physical.checks import InputError

__all__ = ["class_consistency", "mask_iou", "frechet_distance"]


def class_consistency(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> dict:
    """``{"mean": balanced accuracy, "per_class": {index: accuracy}}`` of class indices ``pred`` vs ``target``.

    >>> class_consistency(torch.tensor([0, 1, 1, 1]), torch.tensor([0, 0, 1, 1]), 2)["mean"]
    0.75
    """
    if pred.shape != target.shape or pred.ndim != 1:
        raise InputError(f"expected predictions and targets of the same shape (N,), got {tuple(pred.shape)} and {tuple(target.shape)}")
    per = {}
    for c in range(num_classes):
        sel = target == c
        if sel.any():
            per[c] = float((pred[sel] == c).float().mean())
    if not per:
        raise InputError("expected at least one sample")
    return {"mean": sum(per.values()) / len(per), "per_class": per}


def mask_iou(pred: torch.Tensor, target: torch.Tensor) -> float:
    """IoU of boolean masks pooled over all pixels (1.0 when both are empty).

    >>> mask_iou(torch.tensor([1, 1, 0, 0]).bool(), torch.tensor([1, 0, 0, 0]).bool())
    0.5
    """
    if pred.shape != target.shape:
        raise InputError(f"expected masks of the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}")
    p, t = pred.bool(), target.bool()
    union = int((p | t).sum())
    return 1.0 if union == 0 else int((p & t).sum()) / union


def _sqrtm_psd(a: torch.Tensor) -> torch.Tensor:
    w, v = torch.linalg.eigh(a)
    return (v * w.clamp(min=0).sqrt()) @ v.T


def frechet_distance(feat_a: torch.Tensor, feat_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussian fits of features ``(N, D)`` and ``(M, D)`` (float64 inside)."""
    if feat_a.ndim != 2 or feat_b.ndim != 2 or feat_a.shape[1] != feat_b.shape[1]:
        raise InputError(f"expected two feature sets (N, D) with the same D, got {tuple(feat_a.shape)} and {tuple(feat_b.shape)}")
    if min(len(feat_a), len(feat_b)) < 2:
        raise InputError("expected at least 2 samples per set for a covariance")
    a, b = feat_a.double(), feat_b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    # Tr (Σa Σb)^½ = Tr (Σa^½ Σb Σa^½)^½, the symmetric form: eigenvalues of a PSD matrix
    s = _sqrtm_psd(cov_a)
    tr_sqrt = torch.linalg.eigvalsh(s @ cov_b @ s).clamp(min=0).sqrt().sum()
    return float(((mu_a - mu_b) ** 2).sum() + torch.trace(cov_a) + torch.trace(cov_b) - 2 * tr_sqrt)
