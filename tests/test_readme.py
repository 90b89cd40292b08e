"""The Python examples in README.md run as written."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


# A block that defines tests runs them as a reader's own script would: in a fresh
# interpreter, with hypothesis' default settings (its deadline included), not this
# suite's profile.
_RUN_TESTS = """
import sys
namespace = {}
exec(compile(sys.stdin.read(), "README.md", "exec"), namespace)
for name, fn in list(namespace.items()):
    if name.startswith("test_") and callable(fn):
        fn()
"""


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(code, tmp_path):
    if re.search(r"^def test_", code, re.M):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOTHESIS")}
        env["PYTHONPATH"] = os.pathsep.join(sys.path)
        # hypothesis' 200 ms deadline and its 1 s for the first inputs (the too_slow health check, which
        # also pays its own one-time scan of the source) are wall-clock: on a loaded 2-core CI machine one
        # stalled example can miss them, so a run that fails on timing alone (and on nothing else) gets two
        # more tries
        for _ in range(3):
            run = subprocess.run([sys.executable, "-c", _RUN_TESTS], input=code, text=True, cwd=tmp_path,
                                 env=env, capture_output=True, timeout=600)
            timing = any(t in run.stderr for t in ("DeadlineExceeded", "Unreliable test timings",
                                                   "Input generation is slow"))
            if run.returncode == 0 or not timing:
                break
        assert run.returncode == 0, run.stderr[-3000:]
        return
    exec(compile(code, "README.md", "exec"), {})


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


# ---------------------------------------------------------------------------- the CLI lines

def _console_examples():
    """``(command argv, shown output)`` for every ``$ fastroute ...`` line of the README's console blocks."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(), re.S):
        for chunk in re.split(r"^(?=\$ )", block, flags=re.M):
            if not chunk.startswith("$ "):
                continue
            line, _, shown = chunk.partition("\n")
            argv = shlex.split(line[2:].split("  #")[0])
            out.append((argv, shown.rstrip("\n") + "\n" if shown.strip() else None))
    return out


EXAMPLES = _console_examples()


def test_readme_has_console_examples():
    assert len(EXAMPLES) >= 6 and all(argv[0] == "fastroute" for argv, _ in EXAMPLES)


@pytest.mark.parametrize("argv, shown", [e for e in EXAMPLES if e[1] is not None],
                         ids=[" ".join(a[1:3]) for a, s in EXAMPLES if s is not None])
def test_readme_console_line_prints_what_the_readme_shows(argv, shown, capsys):
    from fastroute.cli import main
    assert main(argv[1:]) == 0
    # (a blank line ends each output in the README: trailing newlines are not compared)
    assert capsys.readouterr().out.rstrip("\n") == shown.rstrip("\n")


@pytest.mark.parametrize("argv", [a for a, s in EXAMPLES if s is None], ids=lambda a: " ".join(a[1:4]))
def test_readme_console_line_without_output_parses(argv):
    """Lines that need a Dask cluster or the grid file: every argument is one the command takes."""
    from fastroute.cli.main import build_parser, parse_args
    args = parse_args(build_parser(), argv[1:])
    assert args.command == argv[1]


def test_the_first_commands_are_the_demo_then_the_tests():
    """A new user's first command is the demo (fastroute alone, no root); the tests (everything) come second."""
    first = re.search(r"```(?:bash|sh|console)?\n(.*?)```", README.read_text(), re.S).group(1).splitlines()
    commands = [line.split("#")[0].strip() for line in first if line.strip() and not line.startswith("#")]
    assert commands[:2] == ["bash ci/demo.sh", "bash ci/test.sh"]
