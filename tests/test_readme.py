"""The Python examples in README.md run as written."""

import os
import re
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
        run = subprocess.run([sys.executable, "-c", _RUN_TESTS], input=code, text=True, cwd=tmp_path,
                             env=env, capture_output=True, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        return
    exec(compile(code, "README.md", "exec"), {})


def test_readme_has_examples():
    assert len(BLOCKS) >= 3
