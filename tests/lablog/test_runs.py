"""Runs, params, metrics, tags, statuses and the views, through the public API."""

import json
import math
import socket

import numpy as np
import pytest
import torch

import lablog
from lablog import LabLogError


def test_run_records_everything_and_finishes(log):
    with log.start_run("drift", "fold-0", config={"lr": 1e-5, "aug": ("weak",)}, seed=7,
                       command_line=["dataengine", "train", "--n_splits", "5"], git_commit="abc123") as run:
        assert isinstance(run.id, str) and len(run.id) == 32
        run.log_params({"lr": 1e-5, "batch": 32, "model": "resnet18", "frozen": False, "views": [1, 2], "none": None})
        run.log_metric("loss", 0.5, step=0, epoch=0)
        run.log_metrics({"loss": 0.25, "acc": 0.75}, step=1, epoch=0)
        run.set_tag("note", "first")
    (r,) = log.runs()
    assert r["run_id"] == run.id and r["status"] == "finished" and r["end_time"] >= r["start_time"]
    assert r["config"] == {"lr": 1e-5, "aug": ["weak"]}
    assert r["seed"] == 7 and r["git_commit"] == "abc123" and r["command_line"] == "dataengine train --n_splits 5"
    assert r["host"] == socket.gethostname() and r["pid"] > 0
    assert r["params"] == {"lr": 1e-5, "batch": 32, "model": "resnet18", "frozen": False, "views": [1, 2], "none": None}
    assert r["metrics"] == {"loss": 0.25, "acc": 0.75}
    assert r["tags"] == {"note": "first"}
    versions = json.loads(log.sql("SELECT package_versions FROM runs")[0][0])
    assert versions["duckdb"] == "2.0.1" and "python" in versions
    types = dict(log.sql("SELECT key, type FROM params"))
    assert types == {"lr": "float", "batch": "int", "model": "str", "frozen": "bool", "views": "json", "none": "null"}


def test_metric_history_steps_and_latest_view(log):
    with log.start_run("e", "r") as run:
        for v in (3.0, 2.0, 1.0):
            run.log_metric("loss", v)  # auto steps 0, 1, 2
        run.log_metric("loss", 9.0, step=1)  # a late point at an old step is history, not the latest
        run.log_metrics({"acc": np.float32(0.5), "t": torch.tensor(2.5)}, step=10, epoch=3)
        run.log_metric("acc", 0.6)  # auto step after an explicit one: 11
        run.log_metric("nan", float("nan"))
        run.log_metric("inf", float("-inf"))
    hist = log.sql("SELECT step, value FROM metrics WHERE key = 'loss' ORDER BY step, timestamp")
    assert hist == [(0, 3.0), (1, 2.0), (1, 9.0), (2, 1.0)]
    latest = {k: (v, s, n) for k, v, s, n in log.sql("SELECT key, value, step, n_points FROM latest_metrics")}
    assert latest["loss"] == (1.0, 2, 4) and latest["acc"] == (pytest.approx(0.6), 11, 2) and latest["t"] == (2.5, 10, 1)
    assert math.isnan(latest["nan"][0]) and latest["inf"][0] == float("-inf")
    assert log.sql("SELECT epoch FROM metrics WHERE key = 't'") == [(3,)]
    assert log.metric_history(run.id, "acc")[0][:3] == (10, 3, 0.5)


def test_runs_with_params_has_typed_columns(log):
    for lr, model in ((0.1, "a"), (0.01, "b")):
        with log.start_run("sweep", f"lr{lr}") as run:
            run.log_params({"lr": lr, "epochs": 3, "model": model, "name": "clash", "flag": True})
    rows = log.query("SELECT name, lr, epochs, model, flag, \"param.name\" FROM runs_with_params ORDER BY lr")[0]
    assert rows[1] == [("lr0.01", 0.01, 3, "b", True, "clash"), ("lr0.1", 0.1, 3, "a", True, "clash")]
    types = dict(log.sql("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'runs_with_params'"))
    assert types["lr"] == "DOUBLE" and types["epochs"] == "BIGINT" and types["flag"] == "BOOLEAN" and types["model"] == "VARCHAR"


def test_exception_marks_failed_and_ctrl_c_killed(log):
    with pytest.raises(RuntimeError, match="boom"):
        with log.start_run("e", "bad") as run:
            run.log_metric("loss", 1.0)
            raise RuntimeError("boom")
    with pytest.raises(KeyboardInterrupt):
        with log.start_run("e", "interrupted") as run2:
            raise KeyboardInterrupt
    status = {n: (s, e) for n, s, e in log.sql("SELECT name, status, error FROM runs")}
    assert status["bad"] == ("failed", "RuntimeError: boom")
    assert status["interrupted"][0] == "killed" and "KeyboardInterrupt" in status["interrupted"][1]
    assert log.sql("SELECT count(*) FROM metrics WHERE run_id = ?", [run.id]) == [(1,)]
    with pytest.raises(LabLogError, match="is failed"):
        run.log_metric("loss", 2.0)
    assert run2.status == "killed"


def test_parent_children_and_filters(log):
    with log.start_run("kfold", "train") as parent:
        for k in range(2):
            with log.start_run("kfold", f"fold-{k}", parent=parent) as child:
                child.log_metric("acc", 0.5 + k)
    info = log.run_info(parent.id[:8])
    assert [c["name"] for c in info["children"]] == ["fold-0", "fold-1"]
    assert {r["name"] for r in log.runs(experiment="kfold", status="finished")} == {"train", "fold-0", "fold-1"}
    assert log.runs(experiment="other") == []
    assert log.sql("SELECT count(*) FROM runs WHERE parent_run_id = ?", [parent.id]) == [(2,)]
    with pytest.raises(LabLogError, match="not in lab log"):
        log.start_run("kfold", "orphan", parent="f" * 32)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda r: r.log_metric("loss", "high"), "expected a number"),
        (lambda r: r.log_metric("loss", torch.ones(3)), "one-element tensor"),
        (lambda r: r.log_metric("", 1.0), "metric key"),
        (lambda r: r.log_metric("loss", 1.0, step=1.5), "step"),
        (lambda r: r.log_metric("loss", 1.0, epoch="1"), "epoch"),
        (lambda r: r.log_metrics([("loss", 1.0)]), "dict"),
        (lambda r: r.log_params({"p": object()}), "cannot record"),
    ],
)
def test_bad_input_is_refused_with_a_message(log, call, message):
    with log.start_run("e", "r") as run:
        with pytest.raises(LabLogError, match=message):
            call(run)
    assert log.sql("SELECT count(*) FROM metrics") == [(0,)]


def test_params_are_immutable(log):
    with log.start_run("e", "r") as run:
        run.log_params({"lr": 0.1})
        run.log_params({"lr": 0.1})  # same value: fine
        with pytest.raises(LabLogError, match="immutable"):
            run.log_params({"lr": 0.2})
    assert log.sql("SELECT key, value FROM params") == [("lr", "0.1")]


def test_bad_start_arguments(log):
    with pytest.raises(LabLogError, match="experiment name"):
        log.start_run("", "r")
    with pytest.raises(LabLogError, match="config"):
        log.start_run("e", "r", config=["not", "a", "dict"])
    with pytest.raises(LabLogError, match="seed"):
        log.start_run("e", "r", seed="1")
    with pytest.raises(LabLogError, match="unknown run status"):
        log.runs(status="done")


def test_default_location_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATAENGINE_LABLOG", raising=False)
    assert lablog.LabLog().path == lablog.default_path() and (tmp_path / "lablog.duckdb").is_file()
    monkeypatch.setenv("DATAENGINE_LABLOG", str(tmp_path / "elsewhere.duckdb"))
    assert lablog.LabLog().path == tmp_path / "elsewhere.duckdb"
    assert lablog.artifact_dir(tmp_path / "elsewhere.duckdb") == tmp_path / "elsewhere.artifacts"
    with pytest.raises(LabLogError, match="no lab log"):
        lablog.LabLog(tmp_path / "missing.duckdb", create=False)


def test_read_only_lablog_refuses_runs(log):
    with log.start_run("e", "r") as run:
        run.log_metric("m", 1.0)
    ro = lablog.LabLog(log.path, read_only=True)
    assert ro.sql("SELECT count(*) FROM metrics") == [(1,)]
    with pytest.raises(LabLogError, match="read-only"):
        ro.start_run("e", "r2")
