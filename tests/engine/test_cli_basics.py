import subprocess
import sys

from tests.engine.cli_runner import assert_user_error, run_cli


def test_help_lists_commands():
    r = run_cli("--help")
    assert r.code == 0
    assert "capture" in r.out and "devices" in r.out


def test_every_subcommand_has_help():
    from engine.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:
        r = run_cli(name, "--help")
        assert r.code == 0 and "--quiet" in r.out, name


def test_unknown_flag_is_one_error_line():
    assert_user_error(run_cli("devices", "--nope"), "unrecognized arguments")


def test_unknown_command_is_one_error_line():
    assert_user_error(run_cli("frobnicate"), "invalid choice")


def test_python_dash_m_engine_is_the_same_command():
    r = subprocess.run([sys.executable, "-m", "engine", "devices", "--json"], capture_output=True, text=True)
    assert r.returncode == 0
    assert '"drone-l1d-20c"' in r.stdout


def test_quiet_before_or_after_the_subcommand():
    from engine.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["--quiet", "devices"]).quiet is True
    assert parser.parse_args(["devices", "--quiet"]).quiet is True
    assert parser.parse_args(["devices"]).quiet is False
