"""k-fold splits of a dataset: seeded, stratified by class, grouped so one image never sits on both sides.

For each class (one stratum when there are no targets) the groups are shuffled with a generator derived from
``(seed, class)``; fold ``i`` of ``k`` validates on the window that starts at ``floor(i·n/k)`` and holds
``round(n·(1 − train_fraction))`` groups (wrapping around), and trains on the rest. With
``train_fraction = 1 − 1/k`` the windows are the classic k folds (every group validated exactly once);
other fractions give k seeded, overlapping draws of that size, like a shuffle split, still stratified.
A group is whatever must not be split: the image name shared by its intensities, a drone tile. Every item of
a group must have the same target.

The same (items, k, train_fraction, seed) give the same folds on any machine; ``splits_record`` gives the JSON
that a run records (item names per fold and the parameters).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import UserError
from engine.seeding import derive_seed

__all__ = ["Fold", "kfold_splits", "splits_record"]


@dataclass(frozen=True)
class Fold:
    train: tuple[int, ...]  # item indices, ascending
    val: tuple[int, ...]


def kfold_splits(n_items: int, *, k: int = 5, train_fraction: float = 0.8, seed: int = 0,
                 targets: Sequence[int] | None = None, groups: Sequence[object] | None = None) -> list[Fold]:
    """``k`` folds over ``n_items`` items (stratified by ``targets`` when given, grouped by ``groups``).

    >>> folds = kfold_splits(10, k=5, train_fraction=0.8, seed=0)
    >>> sorted(i for f in folds for i in f.val) == list(range(10)), [len(f.train) for f in folds]
    (True, [8, 8, 8, 8, 8])
    """
    if not isinstance(k, int) or k < 2:
        raise UserError(f"expected k >= 2 folds, got {k!r}")
    if not 0 < train_fraction < 1:
        raise UserError(f"expected a train fraction in (0, 1), got {train_fraction}")
    if targets is not None and len(targets) != n_items:
        raise UserError(f"expected {n_items} targets, got {len(targets)}")
    if groups is not None and len(groups) != n_items:
        raise UserError(f"expected {n_items} groups, got {len(groups)}")
    group_keys = [str(g) for g in groups] if groups is not None else [str(i) for i in range(n_items)]
    members: dict[str, list[int]] = {}
    group_target: dict[str, int] = {}
    for i, g in enumerate(group_keys):
        members.setdefault(g, []).append(i)
        t = int(targets[i]) if targets is not None else 0
        if group_target.setdefault(g, t) != t:
            raise UserError(f"group {g!r} has items of different classes ({group_target[g]} and {t}); cannot keep it together")
    strata: dict[int, list[str]] = {}
    for g in sorted(members):
        strata.setdefault(group_target[g], []).append(g)
    if len(members) < k:
        raise UserError(f"cannot make {k} folds of {len(members)} groups")
    exact = math.isclose(train_fraction, 1 - 1 / k, abs_tol=1e-9)
    val_groups: list[set[str]] = [set() for _ in range(k)]
    for t, gs in sorted(strata.items()):
        rng = np.random.default_rng(derive_seed(seed, "kfold", t))
        order = [gs[j] for j in rng.permutation(len(gs))]
        n = len(order)
        size = round(n * (1 - train_fraction))
        for i in range(k):
            start = (i * n) // k
            stop = ((i + 1) * n) // k if exact else start + size
            val_groups[i].update(order[j % n] for j in range(start, stop))
    folds = []
    for vg in val_groups:
        val = sorted(i for g in vg for i in members[g])
        vs = set(val)
        folds.append(Fold(train=tuple(i for i in range(n_items) if i not in vs), val=tuple(val)))
    return folds


def splits_record(folds: Sequence[Fold], names: Sequence[str], *, k: int, train_fraction: float, seed: int,
                  stratified: bool) -> dict:
    """What a run records about its splits: the parameters and the item names of every fold."""
    return {
        "k": k, "train_fraction": train_fraction, "seed": seed, "stratified": stratified,
        "folds": [{"train": [names[i] for i in f.train], "val": [names[i] for i in f.val]} for f in folds],
    }
