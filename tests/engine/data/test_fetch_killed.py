"""A fetch killed with SIGKILL mid-download completes when run again, every SHA-1 matching."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from engine.data import fetch, verify
from engine.data.file_index import load_index
from tests.engine.data.conftest import make_bucket, upload_microscopy

REPO = Path(__file__).resolve().parents[3]

CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
from tests.engine.data.conftest import CountingSimulator, make_bucket, upload_microscopy

class Stalling(CountingSimulator):
    def download_file_from_url(self, *args, **kwargs):
        if self.downloads == 1:  # the second object: stall inside the download, then get killed
            print("STALLED", flush=True)
            time.sleep(120)
        return super().download_file_from_url(*args, **kwargs)

bucket, sim = make_bucket(Stalling)
upload_microscopy(bucket)
from engine.data import fetch
fetch("microscopy", sys.argv[1], bucket)
"""


def test_killed_fetch_completes_when_run_again(tmp_path):
    root = tmp_path / "root"
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(repo=str(REPO)), str(root)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        line = child.stdout.readline()
        assert line.strip() == "STALLED", child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    folder = root / "microscopy"
    temps = [p for p in folder.rglob("*") if ".tmp" in p.name]
    assert temps, "the kill should leave the in-flight temporary file behind"
    assert len(load_index(folder).remote) == 1

    # The same bucket content (uploads are byte-identical), fetched again in this process.
    bucket, sim = make_bucket()
    upload_microscopy(bucket)
    r = fetch("microscopy", root, bucket)
    assert len(r.current) == 1 and len(r.downloaded) == 2
    assert not [p for p in folder.rglob("*") if ".tmp" in p.name]
    (report,) = verify(root)
    assert report.ok and report.checked == 31
