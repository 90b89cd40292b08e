"""Exit codes: 0 for a good answer, 1 when the answer is "broken", 2 for bad input;
no green light when nothing was checked."""

import pytest

from fastroute.cli import main

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec: {}
"""
POOL = """\
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool
spec:
  cidr: 10.0.0.0/16
"""
NODE = """\
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: n1
spec:
  bgp:
    ipv4Address: 192.168.0.1/24
"""


@pytest.mark.parametrize("text, message", [
    ("", "no nodes in it"),
    (DEPLOYMENT, "no nodes in it"),
    (POOL, "no nodes in it"),
    (NODE, "no IP pools in it"),
])
def test_verify_of_a_file_without_a_cluster_is_bad_input(text, message, tmp_path, capsys):
    f = tmp_path / "c.yaml"
    f.write_text(text)
    assert main(["verify", str(f)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "ok" not in err
    assert err.startswith(f"fastroute: error: {f}: {message}") and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["routes", "--node", "web"], ["trace", "a", "b"], ["status", "--node", "web"]])
def test_other_commands_refuse_a_file_without_nodes(argv, tmp_path, capsys):
    f = tmp_path / "c.yaml"
    f.write_text(DEPLOYMENT)
    assert main([argv[0], str(f)] + argv[1:]) == 2
    assert capsys.readouterr().err.startswith(f"fastroute: error: {f}: no nodes in it")


def test_trace_exits_1_when_the_packet_is_not_delivered_as_verify_does(capsys):
    assert main(["trace", "10.244.219.66", "10.244.166.129"]) == 0
    assert "delivered" in capsys.readouterr().out
    assert main(["trace", "--down", "node1", "10.244.219.66", "10.244.166.129"]) == 1
    out = capsys.readouterr().out
    assert "left cluster" in out and "delivered" not in out
    assert main(["verify", "--down", "node1"]) == 1
    assert main(["trace", "--json", "--down", "node1", "10.244.219.66", "10.244.166.129"]) == 1


def test_interrupt_bug_and_huge_messages_never_print_a_traceback(monkeypatch, capsys):
    from fastroute.cli import plan as plan_cmd

    def interrupted(args):
        raise KeyboardInterrupt

    def bug(args):
        raise KeyError("blocks_used")

    def huge(args):
        from fastroute.errors import InvalidValueError
        raise InvalidValueError("x" * 100_000)

    monkeypatch.delenv("FASTROUTE_DEBUG", raising=False)
    for run, code, text in ((interrupted, 130, "fastroute: interrupted"),
                            (bug, 70, "fastroute: internal error: KeyError: 'blocks_used'"),
                            (huge, 2, "more characters)")):
        monkeypatch.setattr(plan_cmd, "run", run)
        assert main(["plan", "--nodes", "3"]) == code
        err = capsys.readouterr().err
        assert text in err and "Traceback" not in err and len(err) < 2200
    monkeypatch.setenv("FASTROUTE_DEBUG", "1")
    monkeypatch.setattr(plan_cmd, "run", bug)
    with pytest.raises(KeyError):
        main(["plan", "--nodes", "3"])


def test_plan_beyond_every_ipv4_pool_answers(capsys):
    assert main(["plan", "--nodes", "200000", "--no-simulate"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "too small, and no IPv4 pool holds the design" in out
