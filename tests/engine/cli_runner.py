"""Run the real ``dataengine`` command line in-process and capture what a user would see."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from engine.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: object) -> Result:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse --help / --version
            code = int(exc.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


def assert_user_error(result: Result, *fragments: str) -> None:
    """One ``error:`` line on stderr, exit code 2, no traceback."""
    assert result.code == 2, (result.code, result.err)
    lines = [l for l in result.err.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert "Traceback" not in result.err
    for f in fragments:
        assert f in lines[0], (f, lines[0])
