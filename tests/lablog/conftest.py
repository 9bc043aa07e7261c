import pytest

import lablog


@pytest.fixture
def log(tmp_path):
    return lablog.LabLog(tmp_path / "lab.duckdb")
