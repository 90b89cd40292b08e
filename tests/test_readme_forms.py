"""Every command form README.md and docs/ show runs as written.

The README's command table gives each command's form with placeholders (``CLUSTER``,
``--node NAME``, ``[-o yaml|json]``); each form is run with every optional part given
and each alternative of an ``a|b`` choice, the placeholders filled with values of the
bundled example cluster.  The concrete commands quoted in the README's prose run as they
are; the ``fastroute`` lines of the docs' code blocks (clusters of their own, not
shipped) must parse: every option they show is one the command takes.
"""

import re
import shlex
from pathlib import Path

import pytest

from fastroute.cli import main
from fastroute.cli.main import build_parser, parse_args
from fastroute.model import examples

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SEED = str(examples.seed_path())

#: The command table: ``| `fastroute ...` | what it answers |``.
TABLE_FORMS = re.findall(r"^\| `(fastroute [^`]+)` \|", README, re.M)

#: Commands a form is not run for: emulate starts real BIRD daemons (root, network namespaces).
PARSE_ONLY = {"emulate"}


#: What a placeholder after an option stands for.
BY_OPTION = {"--nodes": "5", "--seeds": "2", "--node": "node1", "--down": "node2", "--reflectors": "2",
             "--pods-per-node": "4", "--racks": "1", "--timeline": "timeline.yaml", "--plot": "plot.png",
             "--out": "out", "--since": "192.168.31.202=09:32:50", "--router-id": "192.168.31.201",
             "-s": "node_crash"}

#: What a placeholder elsewhere stands for.
POSITIONAL = {"CLUSTER": SEED, "SRC": "10.244.219.66", "DST": "10.244.166.129", "N": "3",
              "PREFIX": "10.244.166.128/26", "FLOWS.csv": "flows.csv", "ROUTES": "routes.txt",
              "ADDR...": "10.244.166.129",
              "100,500,1000,5000": "5,10"}   # the documented sizes take minutes; the form is what is checked


def _fill(token, prev):
    """The value a placeholder token stands for (the token itself when it is none)."""
    if (token.isupper() or token == "N,..") and prev in BY_OPTION:
        return BY_OPTION[prev]
    return POSITIONAL.get(token, token)


def expand(form):
    """The argvs the form stands for: its required parts alone, then with each optional part in
    turn, once per alternative of an ``a|b`` choice in it."""
    text = form.replace("\\|", "|").replace("[PEER=]TIME", "TIME").replace(" ...]", "]")
    segments = [(opt.split(), True) if opt else ([req], False)
                for opt, req in re.findall(r"\[([^\]]*)\]|(\S+)", text)][1:]

    def render(chosen):
        argv, prev = [], None
        for i, (tokens, optional) in enumerate(segments):
            if optional and i not in chosen:
                continue
            for token in tokens:
                alts = token.split("|")
                token = alts[min(chosen.get(i, 0), len(alts) - 1)]
                argv.append(_fill(token, prev))
                prev = token
        return argv

    out = [render({})]
    for i, (tokens, optional) in enumerate(segments):
        n = max(len(t.split("|")) for t in tokens)
        out += [render({i: k}) for k in range(0 if optional else 1, n)]
    return out


def _inputs(tmp):
    """The files the placeholders name, in the working directory ``tmp``."""
    (tmp / "flows.csv").write_text("src,dst,bytes\n10.244.219.66,10.244.166.129,1000\n")
    (tmp / "routes.txt").write_text("default via 192.168.31.1 dev ens33\n10.244.0.0/16 via 192.168.31.202 dev ens33\n")
    (tmp / "timeline.yaml").write_text("- {at: 1, event: crash, node: node1}\n- {at: 30, event: restart, node: node1}\n")


def test_the_table_is_found():
    names = {f.split()[1] for f in TABLE_FORMS}
    assert {"trace", "plan", "compare", "converge", "verify", "export", "synth", "routes", "why", "status",
            "bird-config", "lookup"} <= names


def test_placeholders_are_filled():
    assert expand("fastroute why [CLUSTER] --node NAME PREFIX") == [
        ["why", "--node", "node1", "10.244.166.128/26"], ["why", SEED, "--node", "node1", "10.244.166.128/26"]]
    assert expand("fastroute export [-o yaml\\|json] [--out FILE]") == [
        ["export"], ["export", "-o", "yaml"], ["export", "-o", "json"], ["export", "--out", "out"]]


@pytest.mark.parametrize("form", TABLE_FORMS, ids=[" ".join(f.split()[1:2]) for f in TABLE_FORMS])
def test_readme_table_form_runs(form, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _inputs(tmp_path)
    for argv in expand(form):
        args = parse_args(build_parser(), argv)         # every option shown is one the command takes
        assert args.command == argv[0]
        if argv[0] in PARSE_ONLY:
            continue
        status = main(argv)
        err = capsys.readouterr().err
        # 1 is an answer too ("broken": a dropped packet, verify findings); 2 is bad input, 70 a bug
        assert status in (0, 1), f"{argv}: exit {status}: {err[-2000:]}"


#: Commands the README's prose quotes, run as they are (several on one line: one after the other).
PROSE = [c for c in re.findall(r"`((?:fastroute )?(?:synth|converge) [^`]+)`", README) if "[" not in c]


def test_prose_examples_are_found():
    assert "fastroute synth 200 --reflectors 2 --out c.yaml; fastroute verify c.yaml" in PROSE
    assert "converge -s calico_node_restart --node node2 --down node1" in PROSE


@pytest.mark.parametrize("line", PROSE)
def test_readme_prose_command_runs(line, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for command in line.split(";"):
        argv = shlex.split(command)
        argv = argv[1:] if argv[0] == "fastroute" else argv
        assert main(argv) == 0, capsys.readouterr().err[-2000:]


def _docs_lines():
    out = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        for block in re.findall(r"```[a-z]*\n(.*?)```", path.read_text(), re.S):
            for line in block.splitlines():
                if line.startswith(("fastroute ", "$ fastroute ")):
                    out.append((path.name, line.removeprefix("$ ").split("  #")[0].strip()))
    return out


DOCS = _docs_lines()


def test_docs_lines_are_found():
    assert ("confd.md", "fastroute bird-config cluster.yaml --node kube-master -o json") in DOCS


@pytest.mark.parametrize("where, line", DOCS, ids=[f"{w}:{line[10:40]}" for w, line in DOCS])
def test_docs_command_line_parses(where, line):
    argv = shlex.split(line)[1:]
    args = parse_args(build_parser(), argv)
    assert args.command == argv[0]


def test_a_form_with_an_unknown_option_fails(capsys):
    """The checks above are real: a form with an option no command has is refused."""
    (argv,) = expand("fastroute why --node NAME --no-such-flag PREFIX")
    assert main(argv) == 2
    assert "unrecognized arguments: --no-such-flag" in capsys.readouterr().err


def _inline_forms():
    """``(file, text)`` of every inline ``fastroute CMD ...`` or ``CMD --option ...`` the README and docs quote."""
    commands = set(build_parser().commands)
    out = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        spans = [s for line in path.read_text().splitlines() for s in line.split("`")[1::2]]
        for text in spans:
            words = text.split()
            if words and words[0] == "fastroute":
                words = words[1:]
            if len(words) >= 2 and words[0] in commands and any(w.lstrip("[").startswith("-") for w in words[1:]):
                out.append((path.name, " ".join(words)))
    return out


INLINE = _inline_forms()


def test_inline_forms_are_found():
    assert ("README.md", "routes --all") in INLINE
    assert ("convergence.md", "converge --timeline FILE") in INLINE


def _unknown_options(text):
    """The options an inline form names that its command does not take."""
    command, *words = text.split()
    options = {o for a in build_parser().commands[command]._actions for o in a.option_strings}
    return {w.split("=")[0].strip("[]|") for w in words if w.lstrip("[").startswith("-")} - options


def test_an_inline_form_with_an_option_its_command_lacks_is_caught():
    assert _unknown_options("routes [--all] [--bogus N]") == {"--bogus"}
    assert _unknown_options("routes [--all] --node NAME") == set()


@pytest.mark.parametrize("where, text", INLINE, ids=[f"{w}:{t[:40]}" for w, t in INLINE])
def test_inline_form_names_only_options_the_command_takes(where, text):
    assert not _unknown_options(text), f"{where}: `{text}` names options {text.split()[0]} does not take"


def _help_examples():
    """``(command, example)`` for every ``fastroute ...`` command a ``--help`` text quotes."""
    out = []
    for name, sub in build_parser().commands.items():
        text = " ".join(sub.format_help().split())          # argparse wraps the text anywhere
        out += [(name, m) for m in re.findall(r"`(fastroute [^`]+)`", text)]
    return out


HELP = _help_examples()


def test_help_examples_are_found():
    assert ("synth", "fastroute synth 200 --reflectors 2 --out c.yaml; fastroute verify c.yaml") in HELP


@pytest.mark.parametrize("where, line", HELP, ids=[f"{w}:{line[10:40]}" for w, line in HELP])
def test_help_example_runs(where, line, tmp_path, monkeypatch, capsys):
    """A whole command a ``--help`` text quotes runs as written; a bare command name (``fastroute plan``,
    a pointer to another command) must be one."""
    monkeypatch.chdir(tmp_path)
    for command in line.split(";"):
        argv = shlex.split(command)[1:]
        if len(argv) == 1:
            assert argv[0] in build_parser().commands
            continue
        assert main(argv) == 0, capsys.readouterr().err[-2000:]
