"""The timers emulate_incidents sets in a rendered bird.cfg (no BIRD needed)."""

import pytest

from fastroute.bgp.birdcfg import render_files
from fastroute.bgp.topology import compute
from fastroute.errors import EmulationError, InvalidValueError
from fastroute.model import examples
from fastroute.testing.emulate_incidents import with_timers


@pytest.fixture(scope="module")
def cfg():
    topo = compute(examples.seed())
    return render_files(topo.views[0])["bird.cfg"]


def test_timers_go_where_bird_reads_them(cfg):
    out = with_timers(cfg, gr_wait=20, restart_time=10)
    lines = out.splitlines()
    rid = next(i for i, x in enumerate(lines) if x.startswith("router id "))
    assert lines[rid + 1] == "graceful restart wait 20;"
    template = out[out.index("template bgp bgp_template {"):]
    template = template[:template.index("\n}")]
    assert "  graceful restart;\n  graceful restart time 10;" in template
    # the kernel protocol's own "graceful restart;" is left alone
    assert out.count("graceful restart time") == 1
    assert with_timers(cfg) == cfg


@pytest.mark.parametrize("kw", [dict(gr_wait=0), dict(gr_wait=2.5), dict(restart_time=True), dict(restart_time=70000)])
def test_bad_timers_are_refused(cfg, kw):
    with pytest.raises(InvalidValueError, match="whole seconds"):
        with_timers(cfg, **kw)


def test_a_configuration_without_a_template_is_refused():
    with pytest.raises(EmulationError, match="bgp_template"):
        with_timers("router id 1.2.3.4;\n", restart_time=10)
    with pytest.raises(EmulationError, match="router id"):
        with_timers("protocol device {}\n", gr_wait=10)
