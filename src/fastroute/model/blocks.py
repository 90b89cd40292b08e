"""IPAM blocks and pods as the cluster holds them: Calico's ``AllocationBlock`` state
(projectcalico/calico ``libcalico-go/lib/ipam/ipam_block.go``) and pods as columns,
plus the arrays the routing layer reads (:meth:`Cluster.block_arrays` and friends)."""

from __future__ import annotations

import collections
import ipaddress
from collections.abc import Sequence

import numpy as np

from . import names as _names
from ..errors import InvalidValueError, UnknownPodError

__all__ = ["Block", "Pods", "Pod", "PodNames", "BlockArrays", "NodeArrays", "PodArrays"]


def _made_on_use(name):
    """A per-ordinal list of a :class:`Block`, made (with the others) the first time it is read or set."""
    slot = "_" + name

    def get(self):
        if self._fresh is not None:
            self._materialize()
        return getattr(self, slot)

    def put(self, value):
        if self._fresh is not None:
            self._materialize()
        setattr(self, slot, value)
    return property(get, put)


class Block:
    """One IPAM block: Calico's ``AllocationBlock`` state.

    Attributes
    ----------
    cidr : IPv4Network or IPv6Network
    affinity : str or None
        Node the block is affine to (``host:<node>`` in Calico), None for an affinity-less block.
    owner : list of int
        Per ordinal: -1 when free, otherwise the owner id of the allocation
        (a pod index ``>= 0``, or ``-2 - k`` for the k-th entry of the cluster's
        ``extra_owners``: tunnel addresses and allocations of unknown pods).
    unallocated : collections.deque of int
        Free ordinals in the order IPAM hands them out (released ordinals go to the tail).
    attr_owners : list of int
        Owners in Calico's attribute order (the ``attributes`` array of the IPAMBlock).
    """

    __slots__ = ("_cidr", "_version", "_plen", "affinity", "_owner", "_unallocated", "_attr_owners", "_fresh",
                 "net", "size", "kname")

    def __init__(self, cidr: ipaddress.IPv4Network | ipaddress.IPv6Network | tuple[int, int, int],
                 affinity: str | None = None, owner: list[int] | None = None,
                 unallocated: collections.deque[int] | None = None, attr_owners: list[int] | None = None,
                 kname: str | None = None) -> None:
        # cidr: an ipaddress network, or (version, network address as int, prefix length): the
        # network object is then made only when asked for (100,000 of them cost seconds)
        if isinstance(cidr, tuple):
            self._cidr = None
            self._version, self.net, self._plen = cidr
        else:
            self._cidr = cidr
            self._version, self.net, self._plen = cidr.version, int(cidr.network_address), cidr.prefixlen
        self.size = 1 << ((32 if self._version == 4 else 128) - self._plen)    # without making addresses
        self.affinity = affinity
        self._fresh = None
        self._owner = owner if owner is not None else [-1] * self.size
        self._unallocated = collections.deque(range(self.size) if unallocated is None else unallocated)
        self._attr_owners = attr_owners if attr_owners is not None else []
        self.kname = _names.cidr_name(self.cidr) if kname is None else kname    # given: the caller formatted it

    @classmethod
    def fresh(cls, key: tuple[int, int, int], affinity: str | None, owners: tuple[int, ...], kname: str | None = None
              ) -> Block:
        """A block as IPAM leaves a new one: ordinals ``0 .. len(owners) - 1`` given, in order, to ``owners``
        (the rest free, in ordinal order), attribute order the same.

        ``key`` is (version, network address as int, prefix length).  The per-ordinal lists
        (:attr:`owner`, :attr:`unallocated`, :attr:`attr_owners`) are made together, the first
        time one of them is read: a plan of 100,000 blocks seldom reads them.
        """
        b = cls.__new__(cls)
        b._cidr = None
        b._version, b.net, b._plen = key
        b.size = 1 << ((32 if b._version == 4 else 128) - b._plen)
        b.affinity = affinity
        b._fresh = tuple(owners)
        b._owner = b._unallocated = b._attr_owners = None
        b.kname = _names.cidr_name(b.cidr) if kname is None else kname
        return b

    def _materialize(self):
        owners, self._fresh = self._fresh, None
        k = len(owners)
        self._owner = list(owners) + [-1] * (self.size - k)
        self._unallocated = collections.deque(range(k, self.size))
        self._attr_owners = list(owners)

    owner = _made_on_use("owner")
    unallocated = _made_on_use("unallocated")
    attr_owners = _made_on_use("attr_owners")

    def allocated_head(self) -> Sequence[int]:
        """Owners of ordinals ``0 .. m - 1``, where every ordinal from ``m`` on is free (-1 entries
        may lie inside): what a reader of the allocations needs, without making the per-ordinal lists."""
        return self._fresh if self._fresh is not None else self._owner

    @property
    def cidr(self):
        """The block as an ``ipaddress`` network (IPv4Network or IPv6Network)."""
        if self._cidr is None:
            kind = ipaddress.IPv4Network if self._version == 4 else ipaddress.IPv6Network
            self._cidr = kind((self.net, self._plen))
        return self._cidr

    def copy(self):
        if self._fresh is not None:
            return Block.fresh(self._key(), self.affinity, self._fresh, self.kname)
        return Block(self._key(), self.affinity, list(self.owner), list(self.unallocated), list(self.attr_owners),
                     kname=self.kname)

    def _key(self):
        return self._version, self.net, self._plen

    @property
    def version(self) -> int:
        return self._version

    @property
    def prefixlen(self) -> int:
        return self._plen

    @property
    def n_free(self):
        return self.size - self.n_used

    @property
    def n_used(self):
        if self._fresh is not None:
            return len(self._fresh)
        return self.size - len(self._unallocated)

    def is_empty(self):
        return self.n_used == 0

    def holds(self, version, value):
        """Whether the address ``value`` (an int of IP ``version``) lies in this block."""
        return self.version == version and self.net <= value < self.net + self.size

    def address(self, ordinal):
        return ipaddress.ip_address(self.net + ordinal) if self.version == 4 else ipaddress.IPv6Address(self.net + ordinal)

    def __eq__(self, other):
        if not (isinstance(other, Block) and self._key() == other._key() and self.affinity == other.affinity):
            return False
        if self._fresh is not None and other._fresh is not None:
            return self._fresh == other._fresh
        return (
            list(self.owner) == list(other.owner)
            and list(self.unallocated) == list(other.unallocated)
            and self.attr_owners == other.attr_owners
        )

    def __repr__(self):
        return f"Block({str(self.cidr)!r}, affinity={self.affinity!r}, used={self.n_used}/{self.size})"


Pod = collections.namedtuple("Pod", "namespace name node ipv4 ipv6 interface_name")
Pod.__doc__ = "One pod: namespace, name, node name, IPv4/IPv6 address (or None), host interface name."

BlockArrays = collections.namedtuple("BlockArrays", "net plen node_idx")
NodeArrays = collections.namedtuple("NodeArrays", "ipv4 ipv4_plen asn rr_cluster_id")
PodArrays = collections.namedtuple("PodArrays", "node_idx ipv4 has_ipv4")


class PodNames(Sequence):
    """Pod names of a pattern, ``heads[node] + tails[k]`` for pod ``i`` (``node = node_of[i]``,
    ``k = k_of[i]``), made one by one when indexed and all at once (as a list) only when iterated:
    a synthetic plan of millions of pods seldom reads them.  Compares equal to the list of its names.
    """

    __slots__ = ("_heads", "_tails", "_node_of", "_k_of", "_list")

    def __init__(self, heads: Sequence[str], tails: Sequence[str], node_of: np.ndarray, k_of: np.ndarray) -> None:
        self._heads, self._tails = heads, tails
        self._node_of, self._k_of = np.asarray(node_of), np.asarray(k_of)
        if self._node_of.shape != self._k_of.shape:
            raise InvalidValueError("pod name columns differ in length")
        self._list = None

    def _names(self):
        if self._list is None:
            heads, tails = self._heads, self._tails
            self._list = [heads[a] + tails[b] for a, b in zip(self._node_of.tolist(), self._k_of.tolist())]
        return self._list

    def __len__(self):
        return self._node_of.shape[0]

    def __getitem__(self, i):
        if self._list is not None or isinstance(i, slice):
            return self._names()[i]
        return self._heads[int(self._node_of[i])] + self._tails[int(self._k_of[i])]

    def __iter__(self):
        return iter(self._names())

    def __eq__(self, other):
        if isinstance(other, PodNames):
            other = other._names()
        return self._names() == other if isinstance(other, list) else NotImplemented

    __hash__ = None

    def __repr__(self):
        return f"PodNames({self._names()!r})"


class Pods:
    """Pods as columns: names only at the edges, ``node_idx`` and addresses as arrays.

    Indexing returns a :class:`Pod`; ``len()`` and iteration work as for a list.
    """

    __slots__ = ("namespace", "name", "node_idx", "ipv4", "ipv6", "iface", "_node_names", "prefix")

    def __init__(self, namespace: Sequence[str], name: Sequence[str], node_idx: Sequence[int] | np.ndarray,
                 node_names: Sequence[str], ipv4: Sequence[str | None] | None = None,
                 ipv6: Sequence[str | None] | None = None, iface: Sequence[str] | None = None, prefix: str = "cali"
                ) -> None:
        n = len(name)
        self.namespace = namespace if isinstance(namespace, list) else list(namespace)
        self.name = name if isinstance(name, (list, PodNames)) else list(name)     # PodNames: made when read
        self.node_idx = np.asarray(node_idx, dtype=np.int32)
        # IPv4 as int64 with -1 for "no address"; IPv6 as Python ints or None.
        self.ipv4 = np.full(n, -1, dtype=np.int64) if ipv4 is None else np.asarray(ipv4, dtype=np.int64)
        self.ipv6 = [None] * n if ipv6 is None else list(ipv6)
        self.iface = [None] * n if iface is None else list(iface)
        self._node_names = node_names
        self.prefix = prefix
        if not (len(self.namespace) == n == self.node_idx.shape[0] == self.ipv4.shape[0] == len(self.ipv6) == len(self.iface)):
            raise InvalidValueError("pod columns differ in length")

    def __len__(self):
        return len(self.name)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, i):
        v4 = int(self.ipv4[i])
        v6 = self.ipv6[i]
        return Pod(
            self.namespace[i],
            self.name[i],
            self._node_names[int(self.node_idx[i])],
            ipaddress.IPv4Address(v4) if v4 >= 0 else None,
            ipaddress.IPv6Address(v6) if v6 is not None else None,
            self.interface_name(i),
        )

    def interface_name(self, i):
        """Host-side interface of pod ``i``: as given, else ``cali`` + sha1 of ``<ns>.<pod>``."""
        return self.iface[i] or _names.interface_name(self.namespace[i], self.name[i], self.prefix)

    def index(self, namespace, name):
        """Index of the pod ``namespace/name``; UnknownPodError (a KeyError) if absent."""
        for i, (ns, nm) in enumerate(zip(self.namespace, self.name)):
            if ns == namespace and nm == name:
                return i
        raise UnknownPodError(f"no pod {namespace}/{name}")

    def copy(self):
        return Pods(
            list(self.namespace), self.name if isinstance(self.name, PodNames) else list(self.name),
            self.node_idx.copy(), self._node_names,
            self.ipv4.copy(), list(self.ipv6), list(self.iface), self.prefix,
        )
