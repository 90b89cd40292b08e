"""Facts about Calico releases that more than one stage needs, each written once.

The template rules themselves live with the code that renders them
(:mod:`fastroute.bgp.birdcfg`, :mod:`fastroute.bgp.topology`); what is here is
what decides between releases and the defaults confd falls back on.
"""

__all__ = ["CALICO_VERSIONS", "DEFAULT_CALICO_VERSION", "DEFAULT_AS", "version_tuple", "reflectors_leave_mesh"]

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
