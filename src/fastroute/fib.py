"""The longest-prefix-match table every routing computation in fastroute looks up in.

:class:`Fib` maps IPv4 or IPv6 prefixes to non-negative integer values (next-hop
ids).  Single operations take prefix text (``'10.244.166.128/26'``), a
``(network, length)`` tuple, an int (a host route) or an ``ipaddress`` object;
batch operations take integer arrays in the layouts of :mod:`fastroute.addr`.

Examples
--------
>>> from fastroute import Fib
>>> fib = Fib()
>>> fib["10.244.0.0/16"] = 0
>>> fib["10.244.166.128/26"] = 2
>>> fib.lookup("10.244.166.129"), fib.lookup("10.244.219.66"), fib.lookup("8.8.8.8")
(2, 0, None)
>>> fib.lookup_prefix("10.244.166.129")
('10.244.166.128/26', 2)
>>> fib.lookup_batch(["10.244.166.129", "8.8.8.8"])
array([ 2, -1], dtype=int32)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import os

import numpy as np
from numpy.typing import ArrayLike

from . import addr as _addrmod
from ._lpm import MAX_VALUE, LpmTable, Status, format_prefix, validate_batch
from .errors import (
    InvalidAddressError, InvalidArgumentError, InvalidArrayError, InvalidPrefixError, InvalidValueError,
    TableBusyError, UnknownPrefixError,
)

__all__ = ["Fib"]

# What each kernel status (fastroute/_lpm.pxd) means to the caller.  Fields:
# {s} the offending key, address or value, {d} a detail, {i} a batch index,
# {v} the IP version, {w} the address width, {m} the largest value.
_STATUS = {
    Status.ST_NOMEM: (MemoryError, "out of memory in the lookup table"),
    Status.ST_PLEN: (InvalidPrefixError, "invalid prefix length {s} at index {i}: must be 0..{w}"),
    Status.ST_HOSTBITS: (InvalidPrefixError, "invalid prefix '{s}' at index {i}: host bits set"),
    Status.ST_VALUE: (InvalidValueError, "invalid value {s} for prefix {d!r} at index {i}: expected an int in 0..{m}"),
    Status.ST_BATCH_SHAPE: (InvalidArrayError, "networks, lengths and values must have one entry each per "
                                               "prefix, got {s} networks and {d} lengths"),
    Status.ST_ADDR_ARRAY: (InvalidArrayError, "invalid address array ({s}): expected uint32 of shape (n,) "
                                              "for IPv4 or uint64 of shape (n, 2) for IPv6"),
    Status.ST_OUT_ARRAY: (InvalidArrayError, "invalid out array ({s}): expected a writable, C-contiguous "
                                             "int32 array of shape (n,)"),
    Status.ST_OUT_LENGTH: (InvalidArrayError, "out has {s} slots for {d} addresses: it needs exactly one per address"),
    Status.ST_VERSION: (InvalidValueError, "invalid IP version {s!r}: expected 4 or 6"),
    Status.ST_BUSY: (TableBusyError, "cannot modify a Fib while a batch lookup on it runs in another thread"),
    Status.ST_REENTRANT: (TableBusyError, "a Fib was used from inside one of its own operations "
                                          "(a callback in the same thread)"),
    Status.ST_MISSING: (UnknownPrefixError, None),
    Status.ST_KEY_VALUE: (InvalidValueError, "invalid value {s!r} for prefix {d!r}: expected an int in 0..{m}"),
    Status.ST_PREFIX_SYNTAX: (InvalidPrefixError, "invalid IPv{v} prefix {s!r}"),
    Status.ST_PREFIX_LENGTH: (InvalidPrefixError, "invalid prefix {s!r}: length must be an integer 0..{w}"),
    Status.ST_PREFIX_HOSTBITS: (InvalidPrefixError, "invalid prefix {s!r}: host bits set"),
    Status.ST_TUPLE_ARITY: (InvalidPrefixError, "invalid prefix {s!r}: a tuple key must be (network, length)"),
    Status.ST_TUPLE_LENGTH: (InvalidPrefixError, "invalid prefix length {d!r} in {s!r}: expected an int"),
    Status.ST_TUPLE_RANGE: (InvalidPrefixError, "invalid prefix {s!r}: length must be 0..{w}"),
    Status.ST_TUPLE_HOSTBITS: (InvalidPrefixError, "invalid prefix {s!r}: host bits set beyond /{d}"),
    Status.ST_KEY_FAMILY: (InvalidPrefixError, "invalid prefix {s!r}: an IPv{d} key in an IPv{v} table"),
    Status.ST_KEY_TYPE: (InvalidPrefixError, "invalid prefix {s!r}: expected a string like {example}, "
                                             "a (network, length) tuple, an int or an ipaddress object"),
    Status.ST_ADDR_SYNTAX: (InvalidAddressError, "invalid IPv{v} address {s!r}"),
    Status.ST_ADDR_RANGE: (InvalidAddressError, "invalid IPv{v} address {s!r}: integer must be in 0..2**{w}-1"),
    Status.ST_ADDR_FAMILY: (InvalidAddressError, "invalid address {s!r}: an IPv{d} address in an IPv{v} table"),
    Status.ST_ADDR_TYPE: (InvalidAddressError, "invalid IPv{v} address {s!r}: expected a string, an int, "
                                               "packed bytes or an ipaddress object"),
}


def raise_status(status, version, subject=None, detail=None, index=None):
    """Raise the exception a kernel status code stands for (the one place that does)."""
    cls, template = _STATUS[status]
    if template is None:
        raise cls(subject)
    raise cls(template.format(
        s=subject, d=detail, i=index, v=version, w=32 if version == 4 else 128, m=MAX_VALUE,
        example="10.244.0.0/26" if version == 4 else "2001:db8::/64"))


def _default_threads():
    return max(1, min(os.cpu_count() or 1, 8))


class Fib(LpmTable):
    """A longest-prefix-match table of IPv4 or IPv6 prefixes to int values.

    Parameters
    ----------
    version : {4, 6}

    Notes
    -----
    Lookups use a poptrie: a 2**16-entry direct-pointing array, then 6-bit
    nodes with popcount-indexed children and run-length-compressed leaves.
    Updates edit a sorted control plane and the next lookup rebuilds only what
    they changed: the affected /16 slots, or in a slot of many prefixes just
    the path below a changed longer prefix, so any mix of single and batch
    updates keeps lookups exact.  Values are ints in ``0..2**31-2``; lookups return -1 (batch) or
    None (single) where no prefix matches.

    Threads
    -------
    Any method may be called from any thread.  Each change (an assignment, a
    deletion, a batch insert or delete) is seen whole or not at all: a lookup
    or :meth:`to_arrays` sees the table as it was before it or after it.  Lookups
    (:meth:`lookup`, :meth:`lookup_in`, :meth:`lookup_batch`) read the lookup
    structure without a lock.  The first lookup after a change rebuilds it
    under the table's lock with the GIL released; lookups arriving meanwhile
    wait for that rebuild instead of repeating it.  Changes, exact-match
    queries and :meth:`to_arrays` take the lock and wait for one another.  A
    change while a batch lookup on the table runs in another thread does not
    wait: it raises :class:`~fastroute.errors.TableBusyError` and changes
    nothing (a batch can take seconds; retry when it is done).
    """

    __slots__ = ()

    def __init__(self, version: int = 4) -> None:
        pass  # the kernel's __cinit__ did the work

    def _raise_status(self, status, subject=None, detail=None):
        # the kernel's hook for its failures
        raise_status(status, self.version, subject, detail)

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_arrays(cls, networks: ArrayLike, lengths: ArrayLike, values: ArrayLike, version: int | None = None,
                    strict: bool = True) -> Fib:
        """Build a table from arrays in one pass.

        Parameters
        ----------
        networks : ndarray of uint32, shape (n,), or uint64, shape (n, 2); or a
            sequence of prefix text (then `lengths` must be None)
        lengths : ndarray of int, shape (n,), or None
        values : ndarray of int, shape (n,), each in 0..2**31-2
        version : {4, 6}, optional
            Inferred from the shape of `networks` when omitted.
        strict : bool
            Reject prefixes with host bits set (default); otherwise clear them.

        Later duplicates of a prefix win, as with repeated assignment.
        """
        nets, lens, vals, version = _batch_args(networks, lengths, values, version, strict)
        fib = cls(version)
        fib._bulk_load(nets, lens, vals)
        return fib

    @classmethod
    def from_prefixes(cls, prefixes: Sequence[str] | ArrayLike, values: ArrayLike, version: int = 4,
                      strict: bool = True) -> Fib:
        """Build a table from prefix text and values."""
        return cls.from_arrays(prefixes, None, values, version=version, strict=strict)

    def copy(self) -> Fib:
        nets, lens, vals = self.to_arrays()
        fib = type(self)(self.version)
        fib._bulk_load(nets, lens, vals)
        return fib

    def __reduce__(self):
        nets, lens, vals = self.to_arrays()
        return (_rebuild, (type(self), self.version, nets, lens, vals))

    # ---------------------------------------------------------------- batch updates

    def insert_batch(self, networks: ArrayLike, lengths: ArrayLike, values: ArrayLike, strict: bool = True) -> None:
        """Insert or replace many prefixes (later duplicates win).

        On a bad prefix or value nothing is inserted.
        """
        nets, lens, vals, _ = _batch_args(networks, lengths, values, self.version, strict)
        if len(lens) > 65536 and len(lens) * 4 > len(self):
            # a large batch: rebuild once from the merged arrays
            self._bulk_load(nets, lens, vals, merge=True)
        else:
            self._insert_batch(nets, lens, vals)

    def delete_batch(self, networks: ArrayLike, lengths: ArrayLike | None = None, strict: bool = False) -> int:
        """Delete many prefixes; return how many were present.

        With ``strict=True`` a prefix that is not in the table raises KeyError
        and nothing is deleted.
        """
        nets, lens, _, _ = _batch_args(networks, lengths, None, self.version, True)
        return self._delete_batch(nets, lens, strict)

    def update(self, other: Mapping[str, int] | Iterable[tuple[str, int]] = (), **kw: int) -> None:
        """dict.update: insert ``(prefix, value)`` pairs or a mapping."""
        if kw:
            raise InvalidArgumentError("Fib.update takes prefixes as a mapping or pairs, not keywords")
        items = other.items() if hasattr(other, "items") else other
        for key, value in items:
            self[key] = value

    def clear(self) -> None:
        self._bulk_load(*_empty(self.version))

    # ---------------------------------------------------------------- batch lookups

    def lookup_batch(self, addrs: ArrayLike | Sequence[str], n_threads: int | None = None) -> np.ndarray:
        """Longest-prefix match for many addresses.

        Parameters
        ----------
        addrs : ndarray of uint32, shape (n,) (IPv4) or uint64, shape (n, 2) (IPv6),
            any strides, read-only allowed; or a sequence of address text
        n_threads : int, optional
            Threads to split the batch over (default: all cores, at most 8).
            Batches under 65,536 addresses run on one thread.

        Returns
        -------
        ndarray of int32, shape (n,)
            The matched value, or -1 where no prefix covers the address.
        """
        a = _addrmod.as_addr_array(addrs, self.version)
        out = np.empty(a.shape[0], dtype=np.int32)
        if n_threads is None:
            n_threads = _default_threads()
        self.lookup_into(a, out, int(n_threads))
        return out

    # ---------------------------------------------------------------- mapping protocol

    def __iter__(self):
        nets, lens, _ = self.to_arrays()
        return iter(_addrmod.format_prefixes(nets, lens))

    def keys(self) -> list[str]:
        return list(self)

    def values(self) -> list[int]:
        return self.to_arrays()[2].tolist()

    def items(self) -> list[tuple[str, int]]:
        nets, lens, vals = self.to_arrays()
        return list(zip(_addrmod.format_prefixes(nets, lens), vals.tolist()))

    def prefixes_within(self, prefix: str, include_self: bool = True) -> list[tuple[str, int]]:
        """``(prefix, value)`` for each stored prefix inside `prefix`, in address order."""
        nets, lens, vals = self._covered_arrays(prefix, not include_self)
        return list(zip(_addrmod.format_prefixes(nets, lens), vals.tolist()))

    @property
    def bytes_per_prefix(self):
        return self.nbytes / max(1, len(self))

    def __repr__(self):
        return (f"Fib(version={self.version}, {len(self)} prefixes, "
                f"{self.nbytes / 2**20:.1f} MiB)")

    def __eq__(self, other):
        if not isinstance(other, LpmTable):
            return NotImplemented
        if other.version != self.version or len(other) != len(self):
            return False
        a, b = self.to_arrays(), other.to_arrays()
        return all(np.array_equal(x, y) for x, y in zip(a, b))

    __hash__ = None


def _rebuild(cls, version, nets, lens, vals):
    fib = cls(version)
    fib._bulk_load(nets, lens, vals)
    return fib


def _empty(version):
    nets = np.empty(0, np.uint32) if version == 4 else np.empty((0, 2), np.uint64)
    return nets, np.empty(0, np.uint8), np.empty(0, np.int64)


def _batch_args(networks, lengths, values, version, strict):
    """Validate batch arguments; return C-ready (nets, lengths, values, version)."""
    if lengths is None:
        # prefix text
        if isinstance(networks, np.ndarray) and networks.dtype.kind in "iu":
            raise InvalidArrayError("lengths are required when networks is an integer array")
        version = 4 if version is None else version
        nets, lens = _addrmod.parse_prefixes(networks, version, strict)
    else:
        net_arr = np.asarray(networks)
        if version is None:
            version = 6 if net_arr.ndim == 2 else 4
        nets = _addrmod.as_addr_array(net_arr, version)
        lens = np.asarray(lengths)
        if lens.shape != (nets.shape[0],):
            raise InvalidArrayError(
                f"lengths must have shape ({nets.shape[0]},), got shape {lens.shape}")
        if lens.size and lens.dtype.kind not in "iu":
            raise InvalidArrayError(f"lengths must be integers, got dtype {lens.dtype}")
        width = 32 if version == 4 else 128
        if lens.size and (lens.min() < 0 or lens.max() > width):
            bad = int(np.flatnonzero((lens < 0) | (lens > width))[0])
            raise_status(Status.ST_PLEN, version, int(lens[bad]), index=bad)
        lens = lens.astype(np.uint8)
    n = lens.shape[0]
    if values is None:
        vals = np.empty(0, dtype=np.int64)
    else:
        vals = np.asarray(values)
        if vals.ndim == 0:
            vals = np.full(n, vals)
        if vals.shape != (n,):
            raise InvalidArrayError(f"values must have shape ({n},), got shape {vals.shape}")
        if n and vals.dtype.kind not in "iu":
            raise InvalidArrayError(f"values must be integers, got dtype {vals.dtype}")
        if vals.dtype == np.uint64 and n and vals.max() > MAX_VALUE:
            bad = int(np.argmax(vals > MAX_VALUE))
            raise_status(Status.ST_VALUE, version, int(vals[bad]), _prefix_text(nets, lens, bad), bad)
        vals = vals.astype(np.int64)
    status, bad = validate_batch(version, nets, lens, vals, strict)
    if status == Status.ST_BATCH_SHAPE:
        raise_status(status, version, nets.shape[0], n)
    if status == Status.ST_VALUE:
        raise_status(status, version, int(vals[bad]), _prefix_text(nets, lens, bad), bad)
    if status:
        raise_status(status, version, _prefix_text(nets, lens, bad), index=bad)
    return nets, lens, vals, version


def _prefix_text(nets, lens, i):
    return format_prefix(nets[i] if nets.ndim == 1 else tuple(nets[i]), int(lens[i]))
