"""Artifacts: files, images, tensors and models, their sha256, and loading them back by URI."""

import hashlib

import matplotlib.image
import numpy as np
import pytest
import torch

import lablog
from lablog import LabLogError


def _model():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Linear(4, 4))
    m[2].weight = torch.nn.Parameter(torch.randn(4, 4, dtype=torch.float32))
    m(torch.randn(2, 3, 6, 6))  # BatchNorm running statistics and num_batches_tracked change
    return m


def test_model_loads_back_bit_identical(log):
    model = _model()
    with log.start_run("train", "isp") as run:
        uri = run.log_model("isp", model)
    assert uri == f"lablog:{run.id}/isp"
    state = lablog.load_model(uri, log=log)
    ref = model.state_dict()
    assert state.keys() == ref.keys()
    for k in ref:
        assert state[k].dtype == ref[k].dtype and state[k].shape == ref[k].shape
        assert torch.equal(state[k].view(torch.uint8) if state[k].is_floating_point() else state[k],
                           ref[k].view(torch.uint8) if ref[k].is_floating_point() else ref[k]), k
    fresh = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Linear(4, 4))
    fresh.load_state_dict(state)
    x = torch.randn(1, 3, 6, 6)
    assert torch.equal(fresh.eval()(x), model.eval()(x))
    (row,) = log.sql("SELECT kind, path, bytes, sha256 FROM artifacts")
    path = log.artifact_dir / row[1]
    assert row[0] == "model" and path.name == "isp.safetensors" and row[2] == path.stat().st_size
    assert row[3] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_tampered_model_is_refused(log):
    with log.start_run("train", "isp") as run:
        uri = run.log_model("isp", {"w": torch.arange(4.0)})
    path = log.artifact_dir / log.sql("SELECT path FROM artifacts")[0][0]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # one flipped bit in the tensor bytes
    path.write_bytes(bytes(data))
    with pytest.raises(LabLogError, match="integrity check.*sha256"):
        lablog.load_model(uri, log=log)
    path.unlink()
    with pytest.raises(LabLogError, match="missing"):
        lablog.load_model(uri, log=log)


def test_tied_weights_and_bad_models(log):
    lin = torch.nn.Linear(3, 3, bias=False)
    tied = torch.nn.ModuleDict({"a": lin, "b": lin})  # shared storage: safetensors needs copies
    with log.start_run("e", "r") as run:
        state = lablog.load_model(run.log_model("tied", tied), log=log)
        assert torch.equal(state["a.weight"], state["b.weight"])
        with pytest.raises(LabLogError, match="not a tensor"):
            run.log_model("bad", {"w": torch.ones(1), "step": 3})
        with pytest.raises(LabLogError, match="nn.Module"):
            run.log_model("bad", [torch.ones(1)])
        with pytest.raises(LabLogError, match="is a model, not a tensor"):
            log.load_tensor(run.uri("tied"))


def test_tensor_round_trip_torch_and_numpy(log):
    t = torch.randn(2, 3, 4, dtype=torch.float64)
    a = np.arange(12, dtype=np.uint16).reshape(3, 4)
    with log.start_run("e", "r") as run:
        ut, ua = run.log_tensor("psf", t), run.log_tensor("mask", a)
    back_t, back_a = lablog.load_tensor(ut, log=log), lablog.load_tensor(ua, log=log)
    assert isinstance(back_t, torch.Tensor) and torch.equal(back_t, t)
    assert isinstance(back_a, np.ndarray) and back_a.dtype == np.uint16 and np.array_equal(back_a, a)
    shapes = dict(log.sql("SELECT name, shape FROM artifacts"))
    dtypes = dict(log.sql("SELECT name, dtype FROM artifacts"))
    assert shapes == {"psf": [2, 3, 4], "mask": [3, 4]} and dtypes == {"psf": "float64", "mask": "uint16"}


def test_image_is_a_readable_png(log):
    chw = torch.zeros(3, 5, 7)
    chw[0, 1, 2], chw[1, 4, 6], chw[2] = 1.0, 0.5, 2.0  # 2.0 clips to white
    grey16 = np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000
    with log.start_run("e", "r") as run:
        run.log_image("view", chw)
        run.log_image("raw", grey16)
    files = dict(log.sql("SELECT name, path FROM artifacts"))
    img = matplotlib.image.imread(log.artifact_dir / files["view"])  # floats in [0, 1]
    assert img.shape == (5, 7, 3)
    assert img[1, 2, 0] == 1.0 and img[4, 6, 1] == pytest.approx(128 / 255) and (img[..., 2] == 1.0).all() and img[0, 0, 0] == 0
    raw = matplotlib.image.imread(log.artifact_dir / files["raw"])
    assert np.allclose(raw * 65535, grey16)
    with log.start_run("e", "bad") as run:
        with pytest.raises(LabLogError, match=r"\(C, H, W\)"):
            run.log_image("x", np.zeros((2, 4, 4)))
        with pytest.raises(LabLogError, match="NaN"):
            run.log_image("x", np.full((1, 2, 2), np.nan))


def test_files_folders_and_names(log, tmp_path):
    (tmp_path / "report.csv").write_text("a,b\n1,2\n")
    (tmp_path / "preds").mkdir()
    (tmp_path / "preds" / "0.txt").write_text("x")
    (tmp_path / "preds" / "sub").mkdir()
    (tmp_path / "preds" / "sub" / "1.txt").write_text("y")
    with log.start_run("e", "r") as run:
        uri = run.log_artifact(tmp_path / "report.csv")
        run.log_artifact(tmp_path / "preds")
        with pytest.raises(LabLogError, match="already logged"):
            run.log_artifact(tmp_path / "report.csv")
        with pytest.raises(LabLogError, match="no such file"):
            run.log_artifact(tmp_path / "missing.csv")
        with pytest.raises(LabLogError, match="kind"):
            run.log_artifact(tmp_path / "report.csv", kind="weights", name="w")
        for bad in ("../escape", "/abs", ".hidden", "a//b", ""):
            with pytest.raises(LabLogError, match="artifact name"):
                run.log_artifact(tmp_path / "report.csv", name=bad)
    assert log.artifact_path(uri).read_text() == "a,b\n1,2\n"
    names = [r[0] for r in log.sql("SELECT name FROM artifacts ORDER BY name")]
    assert names == ["preds/0.txt", "preds/sub/1.txt", "report.csv"]
    on_disk = sorted(p.relative_to(log.artifact_dir / run.id).as_posix() for p in (log.artifact_dir / run.id).rglob("*") if p.is_file())
    assert on_disk == names  # nothing else left behind (no temporary files)
    with pytest.raises(LabLogError, match="URI"):
        lablog.load_model("runs:/abc/model", log=log)
    with pytest.raises(LabLogError, match="no artifact"):
        lablog.load_model(f"lablog:{run.id}/nothing", log=log)
