"""fastroute demo: the seed article's captures come out of the computation."""

import shutil
import subprocess
from importlib import resources
from pathlib import Path

from fastroute.cli import main

# The article's captures on master, verbatim, as package data.
ARTICLE_STATUS = resources.files("fastroute").joinpath("data/seed-master-node-status.txt").read_text()

ARTICLE_IP_ROUTE = resources.files("fastroute").joinpath("data/seed-master-ip-route.txt").read_text()


def _indented(text):
    return "\n".join(("  " + line).rstrip() for line in text.splitlines())


def test_demo_tells_the_articles_story(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    lines = "\n".join(line.rstrip() for line in out.splitlines())
    assert _indented(ARTICLE_STATUS) in lines
    assert _indented(ARTICLE_IP_ROUTE) in lines
    # the article's pods: master holds .64-.66 of 10.244.219.64/26, node1 .129/.130 of 10.244.166.128/26
    assert "10.244.219.64/26" in out and "10.244.219.66" in out and "10.244.166.130" in out
    # the ping's path and ttl
    assert "route 10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird" in out
    assert "in calic88c1a5fc6d" in out and "ee:ee:ee:ee:ee:ee" in out
    assert "delivered: ttl=62 on arrival" in out
    # the article: 10.244.166.130 matches the same route
    i = out.index("10.244.166.130  the other echo pod")
    assert "-> 10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird" in out[i:i + 200]
    assert "\x1b[" not in out               # plain text when stdout is not a terminal


# ---------------------------------------------------------------------------- ci/demo.sh

REPO = Path(__file__).resolve().parents[2]

_FAKE_PYTHON = """#!/bin/sh
echo "python $*" >> "$FAKE_LOG"
if [ "$1 $2" = "-m venv" ]; then
    mkdir -p "$3/bin"
    cp "$0" "$3/bin/python"
    printf '#!/bin/sh\\necho "fastroute $*" >> "$FAKE_LOG"\\n' > "$3/bin/fastroute"
    chmod +x "$3/bin/fastroute"
fi
"""


def _fake_tools(tmp_path):
    """A copy of ci/ and a PATH whose python3, apt-get and id (root) only log what they are asked."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "ci", repo / "ci")
    fake = tmp_path / "bin"
    fake.mkdir()
    scripts = {
        "python3": _FAKE_PYTHON,
        "apt-get": '#!/bin/sh\necho "apt-get $*" >> "$FAKE_LOG"\n',
        "id": "#!/bin/sh\necho 0\n",          # as root: the case where apt-get could run
    }
    for name, text in scripts.items():
        (fake / name).write_text(text)
        (fake / name).chmod(0o755)
    log = tmp_path / "log"
    env = {"PATH": f"{fake}:/usr/bin:/bin", "FAKE_LOG": str(log), "HOME": str(tmp_path)}
    return repo, env, log


def test_demo_script_installs_fastroute_alone(tmp_path):
    repo, env, log = _fake_tools(tmp_path)
    subprocess.run(["bash", str(repo / "ci" / "demo.sh")], env=env, check=True)
    calls = log.read_text().splitlines()
    assert not [c for c in calls if c.startswith("apt-get")], calls     # no BIRD for the demo
    installs = [c for c in calls if "pip install" in c and "--upgrade pip" not in c]
    assert installs == ["python -m pip install -q -e ."], calls        # no test or bench extras
    assert calls[-1] == "fastroute demo"


def test_install_script_without_argument_installs_everything(tmp_path):
    """ci/test.sh and ci/bench.sh call it bare: the extras and, as root, BIRD."""
    repo, env, log = _fake_tools(tmp_path)
    subprocess.run(["bash", str(repo / "ci" / "install.sh")], env=env, check=True)
    calls = log.read_text().splitlines()
    assert "python -m pip install -q -e .[test,bench]" in calls
    assert any(c.startswith("apt-get install") for c in calls), calls


def test_demo_output_cites_nothing_outside_the_project(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for note in ("shared/", "seed/", "bgp-notes", "calico-semantics", "/work/"):
        assert note not in out


#: What ci/install.sh demo does not install: the test, bench and optional extras.
EXTRAS = ("hypothesis", "pytest", "matplotlib", "pandas", "pyarrow", "dask", "distributed", "pytricia", "radix")

_WITHOUT_EXTRAS = """
import importlib.abc, sys
class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {extras!r}:
            raise ImportError(f"{{name}} is not installed")
sys.meta_path.insert(0, _NotInstalled())
from fastroute.cli import main
sys.exit(main(["demo"]))
"""


def test_demo_runs_without_any_extra():
    """`bash ci/demo.sh` installs fastroute alone: the demo imports nothing else."""
    import os
    import sys

    code = _WITHOUT_EXTRAS.format(extras=EXTRAS)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "delivered: ttl=62 on arrival" in run.stdout
    # the blocker works: importing an extra fails under it
    probe = subprocess.run([sys.executable, "-c", code.replace('main(["demo"])', '__import__("pandas")')],
                           capture_output=True, text=True, env=env, timeout=300)
    assert probe.returncode != 0 and "pandas is not installed" in probe.stderr


def test_the_commands_the_demo_suggests_run(capsys):
    """Its "Next" lines: the ones on the example cluster run; the planning ones (minutes of work at the
    sizes shown) parse, every option one the command takes."""
    import re
    import shlex

    from fastroute.cli.main import build_parser, parse_args

    assert main(["demo"]) == 0
    lines = re.findall(r"^\s+(fastroute .*?)\s{2,}\S", capsys.readouterr().out, re.M)
    assert len(lines) == 4
    for line in lines:
        argv = shlex.split(line)[1:]
        assert parse_args(build_parser(), argv).command == argv[0]
        if argv[0] in ("routes", "trace"):
            assert main(argv) == 0, capsys.readouterr().err
            assert capsys.readouterr().out
