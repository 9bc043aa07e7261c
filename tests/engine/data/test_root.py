"""The data root: --root DIR, else $DATAENGINE_DATA, else ~/.cache/dataengine."""

from pathlib import Path

from engine.data import data_root


def test_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("DATAENGINE_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "flag") == tmp_path / "flag"
    assert data_root(None) == tmp_path / "env"
    monkeypatch.setenv("DATAENGINE_DATA", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_root(None) == tmp_path / "home" / ".cache" / "dataengine"
    assert not (tmp_path / "home").exists()  # naming a path creates nothing
    assert isinstance(data_root("~/x"), Path) and "~" not in str(data_root("~/x"))
