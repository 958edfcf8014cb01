"""The command line as a whole: version, help on every command, fast start."""

import subprocess
import sys

import pytest

COMMANDS = ["init", "segment", "label", "labels", "agreement", "adjudicate", "export", "import", "train", "evaluate", "tag",
            "distill", "profile", "report"]


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "stance", *args], capture_output=True, text=True, env=env)


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("stance ")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    r = run(command, "--help")
    assert r.returncode == 0, r.stderr
    assert "Usage:" in r.stdout and len(r.stdout) > 200


@pytest.mark.parametrize("command", ["", *COMMANDS, "labels stats"])
def test_help_fits_80_columns_and_says_what_it_means(command):
    import os
    r = run(*command.split(), "--help", env={**os.environ, "COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert max(map(len, text.splitlines())) <= 80
    assert "<bool>" not in text and "<path>" not in text and "<int" not in text
    assert "{" not in text.splitlines()[0]  # usage line: INPUTS..., not {inputs}...
    if command in ("", "distill"):
        assert "stance[distill]" in text  # square brackets are text, not markup


def test_help_does_not_import_heavy_libraries():
    probe = ("import sys; sys.argv = ['stance', '--help']\n"
             "from stance.cli.main import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "heavy = [m for m in sys.modules if m.split('.')[0] in "
             "('sklearn', 'datasets', 'matplotlib', 'pyarrow', 'model2vec', 'numpy', 'scipy', 'skops', 'termios')]\n"
             "print('HEAVY', sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout
    assert "HEAVY []" in out


def test_errors_are_one_line_with_nonzero_exit(tmp_path):
    r = run("tag", str(tmp_path / "missing.txt"), "--model", str(tmp_path))
    assert r.returncode != 0
    assert r.stderr.strip().startswith("stance: error:") and "stance train" in r.stderr
    assert "Traceback" not in r.stderr
