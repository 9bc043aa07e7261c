"""Test-wide settings: offline, two torch threads, deterministic."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "2")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(2)


@pytest.fixture
def gen():
    """A fresh seeded generator per test."""
    return torch.Generator().manual_seed(1234)
