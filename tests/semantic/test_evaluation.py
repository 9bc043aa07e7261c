"""Metrics (parity with scipy), the evaluator network and the evaluation figures, at tiny sizes."""

import numpy as np
import pytest
import torch
from scipy import linalg

from physical.checks import InputError
from semantic.domains import get_domain
from semantic.evaluation import evaluate
from semantic.evaluator import Evaluator, EvaluatorConfig, train_evaluator
from semantic.metrics import class_consistency, frechet_distance, mask_iou


def _scipy_fd(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def test_frechet_distance_matches_scipy():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(200, 6, generator=g, dtype=torch.float64)
    b = torch.randn(150, 6, generator=g, dtype=torch.float64) @ torch.randn(6, 6, generator=g, dtype=torch.float64) + 0.5
    assert frechet_distance(a, b) == pytest.approx(_scipy_fd(a.numpy(), b.numpy()), rel=1e-6)
    # identical sets: 0; a pure shift: |Δμ|²
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    shift = torch.tensor([1.0, 2.0, 0, 0, 0, 0], dtype=torch.float64)
    assert frechet_distance(a, a + shift) == pytest.approx(5.0, rel=1e-6)
    with pytest.raises(InputError, match="same D"):
        frechet_distance(a, b[:, :3])


def test_class_consistency_and_iou():
    r = class_consistency(torch.tensor([0, 0, 1, 2, 2, 2]), torch.tensor([0, 1, 1, 2, 2, 0]), 3)
    assert r["per_class"] == {0: 0.5, 1: 0.5, 2: 1.0}
    assert r["mean"] == pytest.approx(2 / 3)
    a = torch.zeros(1, 1, 4, 4, dtype=torch.bool)
    b = a.clone()
    a[..., :2, :] = True
    b[..., 1:3, :] = True
    assert mask_iou(a, b) == pytest.approx(4 / 12)
    assert mask_iou(torch.zeros(3, dtype=torch.bool), torch.zeros(3, dtype=torch.bool)) == 1.0


def test_evaluator_shapes_and_training_learns():
    m = Evaluator(EvaluatorConfig("microscopy", 16, 8, 13))
    x = torch.rand(3, 3, 16, 16)
    assert m.features(x).shape == (3, 32) and m.classify(x).shape == (3, 13) and m.segment(x).shape == (3, 1, 16, 16)
    d = get_domain("drone")
    seg = train_evaluator("drone", 16, 3, batch_size=4, width=8, pool_size=8)
    data, _ = d.procedural([torch.Generator().manual_seed(i) for i in range(4)], 16)
    out = evaluate(seg, data, None, [(data, None), (data, None)])
    assert {"mask_iou", "evaluator_iou", "fid_like", "fid_like_floor", "fid_like_ratio"} <= set(out)
    assert out["fid_like"] == pytest.approx(0.0, abs=1e-6)  # generated == reference
    with pytest.raises(InputError, match="at least 2 independent reference sets"):
        evaluate(seg, data, None, [(data, None)])


def _sets(domain, k, n, size=16, labels=None):
    d = get_domain(domain)
    return [d.procedural([torch.Generator().manual_seed(1000 * j + i) for i in range(n)], size, labels) for j in range(k)]


def test_fid_like_averages_over_reference_sets_and_pairs():
    model = train_evaluator("drone", 16, 2, batch_size=4, width=8, pool_size=8)
    (gen, _), *refs = _sets("drone", 4, 12)
    out = evaluate(model, gen, None, refs)
    with torch.no_grad():
        f = [model.features(x[:, :3]) for x, _ in [(gen, None), *refs]]
    to_gen = [frechet_distance(f[0], fr) for fr in f[1:]]
    pairs = [frechet_distance(f[1], f[2]), frechet_distance(f[1], f[3]), frechet_distance(f[2], f[3])]
    assert out["n_reference_sets"] == 3
    assert out["fid_like"] == pytest.approx(np.mean(to_gen)) and out["fid_like_sd"] == pytest.approx(np.std(to_gen, ddof=1))
    assert out["fid_like_floor"] == pytest.approx(np.mean(pairs)) and out["fid_like_floor_sd"] == pytest.approx(np.std(pairs, ddof=1))
    assert out["fid_like_ratio"] == pytest.approx(np.mean(to_gen) / np.mean(pairs))


def test_a_procedural_set_scores_near_the_floor_and_a_blurred_one_far_above():
    """The ratio's meaning: scenes from the reference distribution itself give ≈ 1; blurred scenes (what a model that
    loses fine texture makes) score far above. (A global exposure change is not a good probe: group norms can make
    the features nearly blind to it — the shipped aerial evaluator is.)"""
    labels = torch.arange(26) % 13
    model = train_evaluator("microscopy", 16, 30, batch_size=8, width=8, pool_size=26)
    (same, lab), *refs = _sets("microscopy", 7, 26, labels=labels)
    near = evaluate(model, same, lab, refs)["fid_like_ratio"]
    blurred = torch.nn.functional.avg_pool2d(same, 5, 1, 2, count_include_pad=False)
    far = evaluate(model, blurred, lab, refs)["fid_like_ratio"]
    assert 0.6 < near < 1.6 and far > 5 * near


def test_evaluator_training_is_seeded():
    a, b = (train_evaluator("drone", 16, 1, batch_size=2, width=8, pool_size=4, seed=3) for _ in range(2))
    c = train_evaluator("drone", 16, 1, batch_size=2, width=8, pool_size=4, seed=4)
    sa, sb, sc = (m.state_dict() for m in (a, b, c))
    assert all(torch.equal(sa[k], sb[k]) for k in sa) and not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_evaluation_of_procedural_against_itself_is_perfectly_consistent():
    d = get_domain("microscopy")
    labels = torch.arange(26) % 13
    data, _ = d.procedural([torch.Generator().manual_seed(i) for i in range(26)], 16, labels)
    model = train_evaluator("microscopy", 16, 2, batch_size=4, width=8, pool_size=13)
    out = evaluate(model, data, labels, [(data, labels), (data, labels)], d.classes)
    # scoring the reference set as "generated": consistency equals the evaluator's own accuracy
    assert out["class_consistency"] == pytest.approx(out["evaluator_accuracy"])
    assert set(out["class_consistency_per_class"]) == set(d.classes)
