"""The AS-number rule, held to upstream.

Calico: projectcalico/calico ``api/pkg/lib/numorstring/asnumber.go`` (``ASNumber`` is a
uint32; ``ASNumberFromString`` reads decimal or asdot) and its table test
``api/pkg/lib/numorstring/numorstring_test.go`` ("should accept 0 AS number as int",
"should accept 65535.65535", "should reject 65536.65535", "should reject 1.1.1", ...).
BIRD 1.6: projectcalico/bird ``proto/bgp/bgp.c`` ``bgp_check_config`` refuses AS 0
("Local AS number must be set").
"""

import pytest

from fastroute.errors import InvalidValueError, ResourceError
from fastroute.model import resources
from fastroute.model.calico import AS_NUMBER_MAX, as_number


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, 0),                          # "should accept 0 AS number as int"
        (4294967295, 4294967295),        # "should accept 4294967295 AS number as int"
        ("0", 0),                        # "should accept 0 AS number as string"
        ("4294967295", 4294967295),      # "should accept 4294967295 AS number as string"
        ("1.10", 65546),                 # "should accept 1.10 AS number as string"
        ("00.00", 0),                    # "should accept 00.00 AS number as string"
        ("00.01", 1),                    # "should accept 00.01 AS number as string"
        ("65535.65535", 4294967295),     # "should accept 65535.65535 AS number as string"
        (64512, 64512),
    ],
)
def test_calico_accepts(value, expected):
    assert as_number(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "1.1.1",            # "should reject 1.1.1 AS number as string"
        "65536.65535",      # "should reject 65536.65535 AS number as string"
        "65535.65536",      # "should reject 65535.65536 AS number as string"
        "0.-1",             # "should reject 0.-1 AS number as string"
        -1,                 # "should reject -1 AS number as int"
        4294967296,         # "should reject 4294967296 AS number as int"
        "4294967296",
        "1_000",            # strconv.ParseUint takes digits only
        "+5",
        1.1,                # a JSON number with a fraction does not unmarshal into a uint32
        True,
        None,
        "x.y",
    ],
)
def test_calico_rejects(value):
    with pytest.raises(InvalidValueError, match="invalid AS number"):
        as_number(value)


def test_where_is_quoted():
    with pytest.raises(InvalidValueError, match=r"invalid AS number -1 at spec\.asNumber: expected 0\.\.4294967295$"):
        as_number(-1, "spec.asNumber")


@pytest.mark.parametrize("value", [0, -1, AS_NUMBER_MAX + 1, "64512", True, 1.0])
def test_bird_rejects(value):
    # AS 0 is "not set" to BIRD; bird.cfg is written from an int
    with pytest.raises(InvalidValueError, match=r"expected an integer 1\.\.4294967295"):
        as_number(value, "x", bird=True)


@pytest.mark.parametrize("value", [1, 64512, AS_NUMBER_MAX])
def test_bird_accepts(value):
    assert as_number(value, "x", bird=True) == value


def _peer(asn):
    return resources.loads(
        f"apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {{name: p}}\n"
        f"spec: {{peerIP: 10.0.0.1, asNumber: {asn}}}\n").bgp_peers[0]


def test_documents_use_the_calico_rule():
    assert _peer("'65535.65535'").as_number == AS_NUMBER_MAX
    assert _peer("'64512'").as_number == 64512
    with pytest.raises(ResourceError, match=r"spec\.asNumber.*invalid AS number 1\.1: expected"):
        _peer("1.1")  # unquoted asdot is a YAML float: Calico refuses it too
