"""Export to Parquet partitioned by experiment, and import (merge by run id, idempotent)."""

import duckdb
import pytest
import torch

import lablog
from lablog import LabLogError

QUERIES = [
    "SELECT run_id, experiment, name, parent_run_id, status, start_time, end_time, config, seed, error FROM runs ORDER BY run_id",
    "SELECT * FROM params ORDER BY ALL",
    "SELECT * FROM metrics ORDER BY ALL",
    "SELECT * FROM tags ORDER BY ALL",
    "SELECT * FROM artifacts ORDER BY ALL",
    "SELECT * FROM latest_metrics ORDER BY ALL",
    "SELECT * FROM runs_with_params ORDER BY ALL",
    "SELECT * FROM experiments ORDER BY ALL",
]


def _fill(log, experiment="exp a/b", n=2):
    ids = []
    for i in range(n):
        with log.start_run(experiment, f"r{i}", config={"i": i}, seed=i) as run:
            run.log_params({"lr": 10.0 ** -i, "model": "m"})
            run.log_metrics({"loss": 1.0 / (i + 1), "nan": float("nan")}, step=0, epoch=0)
            run.log_metric("loss", 0.1, step=1)
            run.set_tag("t", "v")
            run.log_model("w", {"w": torch.full((2,), float(i))})
        ids.append(run.id)
    return ids


def _results(log):
    return [repr(log.sql(q)) for q in QUERIES]  # repr: NaN == NaN


def test_export_import_reproduces_query_results(tmp_path):
    src = lablog.LabLog(tmp_path / "src.duckdb")
    ids = _fill(src) + _fill(src, "2024", 1)
    counts = src.export_parquet(tmp_path / "export")
    assert counts["runs"] == 3 and counts["metrics"] == 9
    parts = sorted(p.name for p in (tmp_path / "export" / "metrics").iterdir())
    assert parts == ["experiment=2024", "experiment=exp%20a%2Fb"]
    # any engine reads it: plain DuckDB over the Parquet files
    n = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{tmp_path}/export/metrics/*/*.parquet', hive_partitioning = true)").fetchone()[0]
    assert n == 9
    dst = lablog.LabLog(tmp_path / "dst.duckdb")
    got = dst.import_from(tmp_path / "export")
    assert got["runs"] == 3 and got["metrics"] == 9 and got["artifacts"] == 3
    assert _results(dst) == _results(src)
    for run_id in ids:
        assert torch.equal(lablog.load_model(f"lablog:{run_id}/w", log=dst)["w"], lablog.load_model(f"lablog:{run_id}/w", log=src)["w"])
    again = dst.import_from(tmp_path / "export")
    assert again["runs"] == 0 and again["runs_already_present"] == 3
    assert _results(dst) == _results(src)
    # re-export over an earlier export replaces it
    src.export_parquet(tmp_path / "export")


def test_import_merges_lablogs_by_run_id(tmp_path):
    a, b = lablog.LabLog(tmp_path / "a.duckdb"), lablog.LabLog(tmp_path / "b.duckdb")
    ids_a, ids_b = _fill(a, "shard"), _fill(b, "shard", 3)
    got = a.import_from(b.path)
    assert got["runs"] == 3 and got["runs_already_present"] == 0
    assert a.import_from(b.path)["runs"] == 0
    assert {r[0] for r in a.sql("SELECT run_id FROM runs")} == set(ids_a + ids_b)
    assert a.sql("SELECT count(*) FROM metrics") == [(15,)]
    assert lablog.load_model(f"lablog:{ids_b[2]}/w", log=a)["w"].tolist() == [2.0, 2.0]
    with pytest.raises(LabLogError, match="into itself"):
        a.import_from(a.path)


def test_import_refuses_tampered_artifacts_and_imports_nothing(tmp_path):
    src = lablog.LabLog(tmp_path / "src.duckdb")
    (run_id,) = _fill(src, n=1)
    (src.artifact_dir / run_id / "w.safetensors").write_bytes(b"tampered")
    dst = lablog.LabLog(tmp_path / "dst.duckdb")
    with pytest.raises(LabLogError, match="sha256"):
        dst.import_from(src.path)
    assert dst.sql("SELECT count(*) FROM runs") == [(0,)]
    assert not (dst.artifact_dir / run_id).exists() or not any((dst.artifact_dir / run_id).iterdir())


def test_running_runs_are_not_imported(tmp_path):
    src = lablog.LabLog(tmp_path / "src.duckdb")
    run = src.start_run("e", "live")
    run.log_metric("m", 1.0)
    src.flush()
    dst = lablog.LabLog(tmp_path / "dst.duckdb")
    assert dst.import_from(src.path)["runs_still_running"] == 1
    run.end()
    assert dst.import_from(src.path)["runs"] == 1


def test_export_refuses_a_foreign_folder(tmp_path, log):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(LabLogError, match="not an earlier lab log export"):
        log.export_parquet(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
    with pytest.raises(LabLogError, match="not a lab log export"):
        log.import_from(tmp_path / "mine")
