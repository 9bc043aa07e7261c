"""k-fold splits: reproducible, stratified, grouped, exact folds at train fraction 1 - 1/k."""

from __future__ import annotations

from collections import Counter

import pytest

from engine.data import kfold_splits, splits_record
from engine.errors import UserError


def test_exact_kfold_validates_every_item_once():
    folds = kfold_splits(23, k=5, train_fraction=0.8, seed=1)
    assert len(folds) == 5
    vals = [i for f in folds for i in f.val]
    assert sorted(vals) == list(range(23))
    for f in folds:
        assert set(f.train).isdisjoint(f.val) and len(f.train) + len(f.val) == 23
        assert len(f.val) in (4, 5)


def test_same_seed_same_folds_other_seed_other_folds():
    a = kfold_splits(40, k=5, seed=7)
    assert a == kfold_splits(40, k=5, seed=7)
    assert a != kfold_splits(40, k=5, seed=8)


def test_stratified_folds_keep_class_proportions():
    targets = [0] * 30 + [1] * 10 + [2] * 5
    for f in kfold_splits(len(targets), k=5, train_fraction=0.8, seed=0, targets=targets):
        c = Counter(targets[i] for i in f.val)
        assert c == {0: 6, 1: 2, 2: 1}


def test_other_train_fraction_gives_that_validation_size_per_class():
    targets = [0] * 20 + [1] * 10
    for f in kfold_splits(30, k=3, train_fraction=0.9, seed=0, targets=targets):
        assert Counter(targets[i] for i in f.val) == {0: 2, 1: 1}


def test_groups_stay_on_one_side():
    # The same image at three intensities is one group.
    groups = [f"img{i}" for i in range(12)] * 3
    targets = [i % 2 for i in range(12)] * 3
    for f in kfold_splits(36, k=4, train_fraction=0.75, seed=0, targets=targets, groups=groups):
        assert {groups[i] for i in f.train}.isdisjoint({groups[i] for i in f.val})
    with pytest.raises(UserError, match="different classes"):
        kfold_splits(2, k=2, train_fraction=0.5, targets=[0, 1], groups=["a", "a"])


def test_bad_parameters_and_record():
    with pytest.raises(UserError, match="k >= 2"):
        kfold_splits(10, k=1)
    with pytest.raises(UserError, match="train fraction"):
        kfold_splits(10, train_fraction=1.0)
    with pytest.raises(UserError, match="cannot make 5 folds of 3 groups"):
        kfold_splits(3, k=5)
    folds = kfold_splits(4, k=2, train_fraction=0.5, seed=0)
    rec = splits_record(folds, ["a", "b", "c", "d"], k=2, train_fraction=0.5, seed=0, stratified=False)
    assert rec["k"] == 2 and sorted(rec["folds"][0]["train"] + rec["folds"][0]["val"]) == ["a", "b", "c", "d"]
