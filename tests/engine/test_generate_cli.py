"""`dataengine generate` and `dataengine semantic train|eval` end to end, with a tiny model (16 px, 2 steps)."""

import csv
import json

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from tests.engine.cli_runner import assert_user_error, run_cli


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    out = {}
    for domain in ("microscopy", "drone"):
        path = tmp_path_factory.mktemp("ckpt") / domain
        r = run_cli("semantic", "train", "--domain", domain, "--size", 16, "--channels", "8,16", "--steps", 2,
                    "--batch-size", 2, "--out", path, "--no-lablog", "-q")
        assert r.code == 0, r.err
        out[domain] = path
    return out


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def test_train_writes_a_resumable_checkpoint(tiny_ckpt, tmp_path):
    path = tiny_ckpt["microscopy"]
    meta = json.loads((path / "semantic.json").read_text())
    assert meta["step"] == 2 and meta["config"]["size"] == 16
    assert (path / "unet" / "diffusion_pytorch_model.safetensors").is_file()
    assert (path / "training" / "optimizer.pt").is_file()
    # resume: same --out, more steps
    import shutil

    copy = tmp_path / "resumed"
    shutil.copytree(path, copy)
    r = run_cli("semantic", "train", "--domain", "microscopy", "--size", 16, "--channels", "8,16", "--steps", 3,
                "--batch-size", 2, "--out", copy, "--no-lablog", "-q")
    assert r.code == 0, r.err
    assert json.loads((copy / "semantic.json").read_text())["step"] == 3
    # other settings into the same folder are refused
    r = run_cli("semantic", "train", "--domain", "microscopy", "--size", 32, "--channels", "8,16", "--steps", 4, "--out", copy)
    assert_user_error(r, "other settings", "size")


def test_generate_with_model_is_deterministic_and_batch_invariant(tiny_ckpt, tmp_path):
    ck = tiny_ckpt["microscopy"]
    common = ("generate", "--domain", "microscopy", "-n", 3, "--balanced", "--checkpoint", ck, "--steps", 2, "--size", 32, "--seed", 5, "-q")
    assert run_cli(*common, "--out", tmp_path / "a").code == 0
    assert run_cli(*common, "--out", tmp_path / "b", "--batch-size", 1).code == 0
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert fa == fb
    assert sorted(fa) == ["contact_sheet.png", "labels.csv", "scenes/smear_00000.tiff", "scenes/smear_00001.tiff", "scenes/smear_00002.tiff"]
    rows = list(csv.reader((tmp_path / "a" / "labels.csv").read_text().splitlines()))
    assert rows == [["name", "label"], ["smear_00000", "NGS"], ["smear_00001", "NGB"], ["smear_00002", "LYT"]]
    scene = tifffile.imread(tmp_path / "a" / "scenes" / "smear_00000.tiff")
    assert scene.shape == (32, 32, 3) and scene.dtype == np.float32 and scene.min() >= 0 and scene.max() <= 1
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["source"] == "diffusion" and manifest["pixel_nm"] == pytest.approx(1300.0)


def test_generate_drone_masks(tiny_ckpt, tmp_path):
    r = run_cli("generate", "--domain", "drone", "-n", 2, "--checkpoint", tiny_ckpt["drone"], "--steps", 2, "--size", 24, "--out", tmp_path / "d", "-q")
    assert r.code == 0, r.err
    m = np.asarray(Image.open(tmp_path / "d" / "masks" / "tile_00001.png"))
    assert m.shape == (24, 24) and set(np.unique(m)) <= {0, 255}
    assert not (tmp_path / "d" / "labels.csv").exists()


def test_generate_procedural_label(tmp_path):
    r = run_cli("generate", "--domain", "microscopy", "-n", 2, "--label", "EOS", "--procedural", "--size", 64, "--seed", 1, "--out", tmp_path / "p", "-q")
    assert r.code == 0, r.err
    assert (tmp_path / "p" / "labels.csv").read_text().splitlines()[1:] == ["smear_00000,EOS", "smear_00001,EOS"]
    r2 = run_cli("generate", "--domain", "microscopy", "-n", 2, "--label", "EOS", "--procedural", "--size", 64, "--seed", 1, "--out", tmp_path / "q", "-q")
    assert r2.code == 0 and _files(tmp_path / "p") == _files(tmp_path / "q")


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("--domain", "mars", "-n", 1), ("unknown domain 'mars'", "drone, microscopy")),
        (("--domain", "microscopy", "-n", 1, "--label", "XYZ"), ("unknown class 'XYZ'", "NGS")),
        (("--domain", "microscopy", "-n", 0), ("-n > 0",)),
        (("--domain", "microscopy", "-n", 1, "--guidance", -1), ("--guidance >= 0",)),
        (("--domain", "drone", "-n", 1, "--label", "LYT"), ("apply to microscopy",)),
        (("--domain", "drone", "-n", 1, "--checkpoint", "/nonexistent/ckpt"), ("no checkpoint folder",)),
        (("--domain", "drone", "-n", 1, "--size", 31), ("even --size",)),
    ],
)
def test_generate_bad_input(tmp_path, args, fragments):
    r = run_cli("generate", *args, "--out", tmp_path / "o")
    assert_user_error(r, *fragments)
    assert not (tmp_path / "o").exists()


def test_corrupt_or_wrong_checkpoint(tiny_ckpt, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(tiny_ckpt["drone"], bad)
    (bad / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"not a safetensors file")
    r = run_cli("generate", "--domain", "drone", "-n", 1, "--checkpoint", bad, "--out", tmp_path / "o")
    assert_user_error(r, "corrupt checkpoint weights")
    assert not (tmp_path / "o").exists()
    (bad / "semantic.json").write_text("{")
    assert_user_error(run_cli("generate", "--domain", "drone", "-n", 1, "--checkpoint", bad, "--out", tmp_path / "o"), "corrupt checkpoint file")
    r = run_cli("generate", "--domain", "microscopy", "-n", 1, "--checkpoint", tiny_ckpt["drone"], "--out", tmp_path / "o")
    assert_user_error(r, "is a drone model, expected microscopy")


def test_a_checkpoints_recommended_sampling_is_the_default(tiny_ckpt, tmp_path):
    import shutil

    ck = tmp_path / "rec"
    shutil.copytree(tiny_ckpt["drone"], ck)
    meta = json.loads((ck / "semantic.json").read_text())
    base = ("generate", "--domain", "drone", "-n", 2, "--checkpoint", ck, "--size", 16, "-q")
    assert run_cli(*base, "--out", tmp_path / "plain").code == 0
    plain = json.loads((tmp_path / "plain" / "manifest.json").read_text())
    assert (plain["sampler"], plain["steps"]) == ("dpmsolver++", 25)  # no recommendation: the library defaults
    (ck / "semantic.json").write_text(json.dumps({**meta, "sampling": {"sampler": "sde-dpmsolver++", "steps": 3}}))
    assert run_cli(*base, "--out", tmp_path / "rec").code == 0
    rec = json.loads((tmp_path / "rec" / "manifest.json").read_text())
    assert (rec["sampler"], rec["steps"]) == ("sde-dpmsolver++", 3)
    assert _files(tmp_path / "rec") != _files(tmp_path / "plain")
    # the user's flags win; the recommended steps go with the recommended sampler only
    assert run_cli(*base, "--sampler", "ddim", "--out", tmp_path / "ddim").code == 0
    m = json.loads((tmp_path / "ddim" / "manifest.json").read_text())
    assert (m["sampler"], m["steps"]) == ("ddim", 25)
    assert run_cli(*base, "--steps", 2, "--out", tmp_path / "two").code == 0
    m = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert (m["sampler"], m["steps"]) == ("sde-dpmsolver++", 2)
    for bad in ({"sampler": "euler"}, {"sampler": "ddim", "steps": 0}, "ddim"):
        (ck / "semantic.json").write_text(json.dumps({**meta, "sampling": bad}))
        assert_user_error(run_cli(*base, "--out", tmp_path / "bad"), "corrupt checkpoint file")
        assert not (tmp_path / "bad").exists()


def test_semantic_eval_prints_figures(tiny_ckpt):
    r = run_cli("semantic", "eval", "--checkpoint", tiny_ckpt["drone"], "-n", 4, "--steps", 2, "--evaluator-steps", 2, "--json", "-q")
    assert r.code == 0, r.err
    f = json.loads(r.out)
    for key in ("mask_iou", "evaluator_iou", "fid_like", "fid_like_floor", "fid_like_ratio"):
        assert key in f
    assert f["fid_like_floor"] > 0 and f["n_reference_sets"] == 8 and f["fid_like_sd"] >= 0
    r = run_cli("semantic", "eval", "--checkpoint", tiny_ckpt["drone"], "-n", 4, "--steps", 1, "--evaluator-steps", 2, "--references", 3, "--json", "-q")
    assert r.code == 0, r.err
    assert json.loads(r.out)["n_reference_sets"] == 3
    assert_user_error(run_cli("semantic", "eval", "--checkpoint", tiny_ckpt["drone"], "--references", 1), "expected an integer >= 2")
    r = run_cli("semantic", "eval", "--checkpoint", tiny_ckpt["microscopy"], "-n", 13, "--steps", 1, "--evaluator-steps", 2, "-q")
    assert r.code == 0, r.err
    assert "class consistency" in r.out and "FID-like floor" in r.out


def test_semantic_evaluator_is_stored(tiny_ckpt, tmp_path):
    import shutil

    ck = tmp_path / "ck"
    shutil.copytree(tiny_ckpt["drone"], ck)
    r = run_cli("semantic", "evaluator", "--checkpoint", ck, "--steps", 2, "-n", 4, "--pool", 16, "-q")
    assert r.code == 0, r.err
    assert (ck / "evaluator" / "model.safetensors").is_file()
    meta = json.loads((ck / "evaluator" / "evaluator.json").read_text())
    assert meta["config"]["size"] == 16 and "evaluator_iou" in meta
    # eval uses the stored evaluator (float16 on disk, float32 in memory)
    r = run_cli("semantic", "eval", "--checkpoint", ck, "-n", 3, "--steps", 1, "--json", "-q")
    assert r.code == 0, r.err
    assert json.loads(r.out)["evaluator_trained_here"] is False
    from engine.semantic_checkpoints import load_evaluator

    model, _ = load_evaluator(ck / "evaluator")
    assert next(model.parameters()).dtype.is_floating_point and next(model.parameters()).dtype.itemsize == 4


def test_semantic_bad_input(tmp_path):
    assert_user_error(run_cli("semantic", "train", "--domain", "microscopy", "--steps", 0, "--out", tmp_path / "x"), "positive integer")
    assert_user_error(run_cli("semantic", "eval", "--checkpoint", tmp_path / "none", "--domain", "drone"), "no checkpoint folder")
    assert_user_error(run_cli("semantic", "eval", "--checkpoint", "default", "--domain", "drone", "--guidance", "-2"), "--guidance >= 0")


def test_train_on_generated_folder(tmp_path):
    data = tmp_path / "data"
    assert run_cli("generate", "--domain", "drone", "-n", 3, "--procedural", "--size", 32, "--out", data, "-q").code == 0
    ck = tmp_path / "ck"
    r = run_cli("semantic", "train", "--domain", "drone", "--data", data, "--size", 16, "--channels", "8,16",
                "--steps", 1, "--batch-size", 2, "--out", ck, "--no-lablog", "-q")
    assert r.code == 0, r.err
    assert json.loads((ck / "semantic.json").read_text())["data"] == str(data)
    # a cell model refuses a folder without labels.csv
    r = run_cli("semantic", "train", "--domain", "microscopy", "--data", data, "--size", 16, "--channels", "8,16",
                "--steps", 1, "--out", tmp_path / "ck2", "--no-lablog")
    assert_user_error(r, "labels.csv")


def test_train_is_recorded_in_the_lab_log(tmp_path):
    import lablog

    db = tmp_path / "lab.duckdb"
    r = run_cli("semantic", "train", "--domain", "drone", "--size", 16, "--channels", "8,16", "--steps", 1,
                "--batch-size", 2, "--out", tmp_path / "ck", "--lablog", db, "-q")
    assert r.code == 0, r.err
    log = lablog.LabLog(db, create=False)
    runs = log.runs(experiment="semantic")
    log.close()
    assert len(runs) == 1 and runs[0]["status"] == "finished"


def test_default_checkpoints_run_offline(tmp_path):
    """The shipped checkpoints load (safetensors + config, no network) and generate; same seed, same files."""
    for domain, extra in (("microscopy", ("--label", "EOS")), ("drone", ())):
        args = ("generate", "--domain", domain, "-n", 2, *extra, "--steps", 2, "--size", 64, "--seed", 4, "-q")
        assert run_cli(*args, "--out", tmp_path / f"{domain}-a").code == 0
        assert run_cli(*args, "--out", tmp_path / f"{domain}-b").code == 0
        assert _files(tmp_path / f"{domain}-a") == _files(tmp_path / f"{domain}-b")
        manifest = json.loads((tmp_path / f"{domain}-a" / "manifest.json").read_text())
        assert manifest["checkpoint"] == "default" and manifest["checkpoint_step"] > 0
    from engine.semantic_checkpoints import DEFAULT_ROOT, load_checkpoint

    for domain in ("microscopy", "drone"):
        ck = load_checkpoint(DEFAULT_ROOT / domain, domain)
        assert ck.evaluator is not None and (DEFAULT_ROOT / domain / "README.md").is_file()
    total = sum(p.stat().st_size for p in DEFAULT_ROOT.rglob("*") if p.is_file())
    assert total <= 20e6  # the budget for both


def test_train_from_another_checkpoints_weights(tiny_ckpt, tmp_path):
    """--init starts from another checkpoint's EMA weights (here an ε-model fine-tuned to v-prediction)."""
    from engine.semantic_checkpoints import load_checkpoint

    eps = tmp_path / "eps"
    r = run_cli("semantic", "train", "--domain", "drone", "--size", 16, "--channels", "8,16", "--steps", 1, "--batch-size", 2,
                "--prediction", "epsilon", "--out", eps, "--no-lablog", "-q")
    assert r.code == 0, r.err
    v = tmp_path / "v"
    r = run_cli("semantic", "train", "--domain", "drone", "--size", 16, "--channels", "8,16", "--steps", 1, "--batch-size", 2,
                "--lr", "1e-12", "--init", eps, "--out", v, "--no-lablog", "-q")
    assert r.code == 0, r.err
    meta = json.loads((v / "semantic.json").read_text())
    assert meta["config"]["prediction_type"] == "v_prediction" and f"--init {eps}" in meta["command"]
    assert json.loads((eps / "semantic.json").read_text())["config"]["prediction_type"] == "epsilon"
    # a learning rate of 1e-12: the weights are still those of --init (a fresh start would differ everywhere)
    a, b = load_checkpoint(eps).unet.state_dict(), load_checkpoint(v).unet.state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    r = run_cli("semantic", "train", "--domain", "drone", "--size", 16, "--channels", "8,32", "--steps", 1,
                "--init", eps, "--out", tmp_path / "other", "--no-lablog")
    assert_user_error(r, "another architecture")
    assert not (tmp_path / "other").exists()


def test_cosine_run_resumes_only_to_its_own_end(tmp_path):
    """A cosine-decayed run records where its rate reaches 0; resuming it to another end would bend the curve."""
    base = ("semantic", "train", "--domain", "drone", "--size", 16, "--channels", "8,16", "--batch-size", 2, "--no-lablog", "-q")
    out = tmp_path / "cos"
    r = run_cli(*base, "--lr-schedule", "cosine", "--out", out, "--steps", 2)
    assert r.code == 0, r.err
    meta = json.loads((out / "semantic.json").read_text())
    assert meta["config"]["cosine_decay_steps"] == 2 and "--lr-schedule cosine" in meta["command"]
    before = (out / "semantic.json").read_bytes()
    assert_user_error(run_cli(*base, "--lr-schedule", "cosine", "--out", out, "--steps", 5), "decays to 0 at step 2")
    assert (out / "semantic.json").read_bytes() == before
    r = run_cli(*base, "--lr-schedule", "cosine", "--out", out, "--steps", 2)  # the same command: already done
    assert r.code == 0, r.err
    # a constant-rate run cannot be resumed as a cosine one either
    const = tmp_path / "const"
    assert run_cli(*base, "--out", const, "--steps", 1).code == 0
    assert_user_error(run_cli(*base, "--lr-schedule", "cosine", "--out", const, "--steps", 2), "other settings (cosine_decay_steps)")
