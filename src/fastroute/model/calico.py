"""Facts about Calico releases that more than one stage needs, each written once.

The template rules themselves live with the code that renders them
(:mod:`fastroute.bgp.birdcfg`, :mod:`fastroute.bgp.topology`); what is here is
what decides between releases and the defaults confd falls back on.
"""

import re

from ..errors import InvalidValueError

__all__ = [
    "CALICO_VERSIONS", "DEFAULT_CALICO_VERSION", "DEFAULT_AS", "AS_NUMBER_MAX",
    "version_tuple", "reflectors_leave_mesh", "as_number",
]

#: Calico releases whose confd template layout fastroute renders, newest first.
CALICO_VERSIONS = ("3.28", "3.20")

#: The release rendered when a cluster or a command names none.
DEFAULT_CALICO_VERSION = CALICO_VERSIONS[0]

#: The AS of every node when neither BGPConfiguration ``asNumber`` nor the Node's
#: ``bgp.asNumber`` sets one (Calico's documented BGPConfiguration default).
DEFAULT_AS = 64512


def version_tuple(version):
    """``"3.28"`` -> ``(3, 28)``."""
    major, minor = str(version).split(".")[:2]
    return int(major), int(minor)


def reflectors_leave_mesh(calico_version):
    """Whether a route reflector (a node with ``routeReflectorClusterID``) takes no
    part in the node-to-node mesh.

    From v3.22, confd's ``bird.cfg.template`` renders no ``Mesh_`` peer on a
    reflector and leaves reflectors out of every other node's mesh; v3.20 keeps
    them in the mesh in both roles.
    """
    return version_tuple(calico_version) >= (3, 22)


#: The largest AS number: Calico's ``numorstring.ASNumber`` is a uint32.
AS_NUMBER_MAX = 0xFFFFFFFF

_DECIMAL = re.compile(r"[0-9]+")


def as_number(value, where=None, bird=False):
    """The AS number `value` as an int; InvalidValueError if Calico (or BIRD) refuses it.

    Calico (projectcalico/calico ``api/pkg/lib/numorstring/asnumber.go``, v3.20 to
    v3.28): an ``ASNumber`` is a uint32, so 0..4294967295.  ``UnmarshalJSON`` takes a
    JSON number, or a string that ``ASNumberFromString`` reads as a decimal
    (``strconv.ParseUint(s, 10, 32)``: digits only) or as asdot ``"high.low"`` with
    each part 0..65535 (``"1.10"`` is 65546).  A JSON number with a fraction (YAML
    ``asNumber: 1.10``) does not unmarshal.  ``libcalico-go/lib/validator/v3/validator.go``
    adds no range check of its own.

    ``bird=True`` checks the number confd writes into bird.cfg (``local as``,
    ``neighbor ... as``) instead: an int, and not 0, which BIRD 1.6 refuses
    ("Local AS number must be set" / "Remote AS number must be set" in
    projectcalico/bird ``proto/bgp/bgp.c`` ``bgp_check_config``; the lexer in
    ``conf/cf-lex.l`` caps numbers at 4294967295).

    `where` names the field in the message (omitted when None).
    """
    at = "" if where is None else f" at {where}"
    if bird:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= AS_NUMBER_MAX:
            raise InvalidValueError(f"invalid AS number {value!r}{at}: expected an integer 1..{AS_NUMBER_MAX}")
        return value
    expected = f"expected 0..{AS_NUMBER_MAX} or asdot 'n.n'"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidValueError(f"invalid AS number {value!r}{at}: {expected}")
    if isinstance(value, int):
        num = value
    else:
        parts = value.strip().split(".")
        if len(parts) > 2 or not all(_DECIMAL.fullmatch(p) for p in parts):
            raise InvalidValueError(f"invalid AS number {value!r}{at}: {expected}")
        if len(parts) == 2:
            high, low = int(parts[0]), int(parts[1])
            if high > 0xFFFF or low > 0xFFFF:
                raise InvalidValueError(f"invalid AS number {value!r}{at}: {expected}")
            return (high << 16) | low
        num = int(parts[0])
    if not 0 <= num <= AS_NUMBER_MAX:
        raise InvalidValueError(f"invalid AS number {value!r}{at}: expected 0..{AS_NUMBER_MAX}")
    return num
