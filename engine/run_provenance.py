"""What the engine records about how a run was started: the command line and the git commit.

The lab log does not read ``sys.argv`` or run subprocesses (layering: only ``engine`` does), so commands
pass these to ``LabLog.start_run(**provenance(), seed=...)``. The commit is the one of the dataengine
source tree when it is a git working tree (an editable install), else of the current directory's; it ends
in ``-dirty`` when tracked files differ from it, and is ``None`` without git.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

__all__ = ["provenance", "git_commit", "command_line"]


def command_line(argv: list[str] | None = None) -> str:
    argv = sys.argv if argv is None else argv
    prog = Path(argv[0]).name if argv else "dataengine"
    if prog in ("__main__.py", "-m"):
        prog = "dataengine"
    return shlex.join([prog, *argv[1:]])


def _git(folder: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_commit(folder: Path | None = None) -> str | None:
    candidates = [folder] if folder is not None else [Path(__file__).resolve().parent.parent, Path.cwd()]
    for f in candidates:
        sha = _git(f, "rev-parse", "HEAD")
        if sha:
            dirty = _git(f, "status", "--porcelain", "--untracked-files=no")
            return f"{sha}-dirty" if dirty else sha
    return None


def provenance(argv: list[str] | None = None) -> dict[str, str | None]:
    """``{"command_line": ..., "git_commit": ...}`` for ``LabLog.start_run``."""
    return {"command_line": command_line(argv), "git_commit": git_commit()}
