"""Every documented command form works: CLUSTER first, options anywhere among the positionals."""

import pytest

from fastroute.cli import main
from fastroute.cli.main import build_parser
from fastroute.model import examples

SEED = str(examples.seed_path())


@pytest.mark.parametrize("argv", [
    ["why", SEED, "--node", "node2", "10.244.166.129"],
    ["why", "--node", "node2", SEED, "10.244.166.129"],
    ["why", SEED, "10.244.166.129", "--node", "node2"],
])
def test_why_takes_the_cluster_first_and_the_node_anywhere(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("node2: 10.244.166.129\n")
    assert "kernel: 10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird" in out


def test_trace_with_an_option_between_its_positionals(capsys):
    assert main(["trace", SEED, "10.244.219.66", "10.244.166.129"]) == 0
    whole = capsys.readouterr().out
    main(["trace", SEED, "--down", "node2", "10.244.219.66", "10.244.166.129"])
    assert capsys.readouterr().out == whole
    main(["trace", SEED, "10.244.219.66", "--host-mtu", "1500", "10.244.166.129"])
    assert capsys.readouterr().out == whole


def test_every_command_parses_options_between_positionals():
    """No command declares what argparse's intermixed parsing cannot take (a positional
    in a mutually exclusive group, REMAINDER): each parses ``--help`` that way."""
    parser = build_parser()
    for name, sub in parser.commands.items():
        with pytest.raises(SystemExit) as e:
            sub.parse_intermixed_args(["--help"])
        assert e.value.code == 0, name


def test_plan_reflectors_alone_means_a_reflector_design(capsys):
    """README: ``plan --nodes N --pods-per-node P [--topology mesh|rr] [--reflectors K]``."""
    import json

    assert main(["plan", "--nodes", "5", "--pods-per-node", "4", "--reflectors", "2", "--no-simulate", "--json"]) == 0
    p = json.loads(capsys.readouterr().out)
    assert (p["topology"], p["reflectors"], p["sessions_per_node"]) == ("rr", 2, 2)
    assert main(["plan", "--nodes", "5", "--pods-per-node", "4", "--no-simulate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["topology"] == "mesh"
    # a mesh named with reflectors is still a contradiction
    assert main(["plan", "--nodes", "5", "--topology", "mesh", "--reflectors", "2", "--no-simulate"]) == 2
    assert "invalid reflectors 2 with topology 'mesh'" in capsys.readouterr().err
