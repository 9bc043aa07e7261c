"""What every run records about where it ran: host, process id, package versions.

The lab log does not read ``sys.argv`` or run ``git`` (only ``engine`` touches the command line and
subprocesses): the command line, the git commit of the working tree and the seed are passed to
``start_run`` by the caller — ``engine.run_provenance.provenance()`` gives the first two.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import socket
from importlib import metadata

__all__ = ["host", "package_versions_json", "PACKAGES"]

PACKAGES = (
    "dataengine", "torch", "torchvision", "numpy", "duckdb", "safetensors", "kornia", "diffusers", "accelerate",
    "segmentation-models-pytorch", "timm", "tifffile",
)


def host() -> str:
    return socket.gethostname()


def pid() -> int:
    return os.getpid()


@functools.lru_cache(maxsize=1)
def package_versions_json() -> str:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return json.dumps(versions, sort_keys=True)
