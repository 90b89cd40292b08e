"""Vectorised conversion between address/prefix text and integer arrays.

Array layouts used throughout fastroute:

* IPv4 addresses and networks: ``ndarray of uint32, shape (n,)``, host order
  (``10.0.0.1`` is ``0x0A000001``).
* IPv6 addresses and networks: ``ndarray of uint64, shape (n, 2)``: column 0
  holds the upper 64 bits, column 1 the lower 64 bits.
* Prefix lengths: ``ndarray of uint8, shape (n,)``.

Examples
--------
>>> from fastroute.addr import parse_addresses, format_addresses
>>> a = parse_addresses(["10.244.166.129", "192.168.31.202"])
>>> a
array([183805569, 3232243658], dtype=uint32)
>>> format_addresses(a)
['10.244.166.129', '192.168.31.202']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import _addr
from ._addr import ParseStatus
from .errors import InvalidAddressError, InvalidArrayError, InvalidPrefixError, choice

__all__ = [
    "parse_addresses",
    "parse_prefixes",
    "format_addresses",
    "format_prefixes",
    "as_addr_array",
    "IntColumn",
]


def _version(version):
    return choice(version, (4, 6), "IP version")


def _alloc(n, version):
    if version == 4:
        return np.empty(n, dtype=np.uint32), np.empty((0, 2), dtype=np.uint64)
    return np.empty(0, dtype=np.uint32), np.empty((n, 2), dtype=np.uint64)


def _fixed_rows(arr):
    """A numpy 'S' array as a C-contiguous (n, itemsize) uint8 view, or None."""
    if isinstance(arr, np.ndarray) and arr.ndim == 1:
        if arr.dtype.kind == "U":
            try:
                arr = arr.astype("S")
            except UnicodeEncodeError:
                return None  # non-ASCII text: the generic path reports it
        if arr.dtype.kind == "S" and arr.dtype.itemsize > 0:
            arr = np.ascontiguousarray(arr)
            return arr.view(np.uint8).reshape(len(arr), arr.dtype.itemsize)
    return None


def _items(strings):
    if isinstance(strings, (str, bytes)):
        raise InvalidArrayError(
            f"expected a sequence of strings, got a single {type(strings).__name__} {strings!r}")
    if isinstance(strings, np.ndarray):
        return strings.tolist()
    return strings if isinstance(strings, (list, tuple)) else list(strings)


def parse_addresses(strings: Sequence[str | bytes] | ArrayLike, version: int = 4) -> np.ndarray:
    """Parse address text into an integer array.

    Parameters
    ----------
    strings : sequence of str or bytes, or ndarray of str/bytes
    version : {4, 6}

    Returns
    -------
    ndarray of uint32, shape (n,) for IPv4; ndarray of uint64, shape (n, 2) for IPv6

    Raises
    ------
    InvalidAddressError
        naming the first string that is not an address, and its index.
    """
    version = _version(version)
    rows = _fixed_rows(strings)
    if rows is not None:
        out4, out6 = _alloc(rows.shape[0], version)
        bad, _ = _addr.parse_addresses_fixed(rows, version, out4, out6)
        if bad >= 0:
            raise InvalidAddressError(
                f"invalid IPv{version} address {strings[bad]!r} at index {bad}")
        return out4 if version == 4 else out6
    items = _items(strings)
    out4, out6 = _alloc(len(items), version)
    bad, _ = _addr.parse_addresses(items, version, out4, out6)
    if bad >= 0:
        raise InvalidAddressError(f"invalid IPv{version} address {items[bad]!r} at index {bad}")
    return out4 if version == 4 else out6


def parse_prefixes(strings: Sequence[str | bytes] | ArrayLike, version: int = 4,
                   strict: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Parse prefix text (``'10.244.0.0/26'``; a bare address means a host route).

    Parameters
    ----------
    strings : sequence of str or bytes, or ndarray of str/bytes
    version : {4, 6}
    strict : bool
        When true (default) a prefix with host bits set is an error; otherwise
        the host bits are cleared.

    Returns
    -------
    networks : ndarray of uint32, shape (n,) (IPv4) or uint64, shape (n, 2) (IPv6)
    lengths : ndarray of uint8, shape (n,)

    Raises
    ------
    InvalidPrefixError
        quoting the first bad prefix and its index.
    """
    version = _version(version)
    rows = _fixed_rows(strings)
    if rows is not None:
        n = rows.shape[0]
        out4, out6 = _alloc(n, version)
        lengths = np.empty(n, dtype=np.uint8)
        bad, code = _addr.parse_prefixes_fixed(rows, version, strict, out4, out6, lengths)
        text = strings[bad] if bad >= 0 else None
    else:
        items = _items(strings)
        n = len(items)
        out4, out6 = _alloc(n, version)
        lengths = np.empty(n, dtype=np.uint8)
        bad, code = _addr.parse_prefixes(items, version, strict, out4, out6, lengths)
        text = items[bad] if bad >= 0 else None
    if bad >= 0:
        raise InvalidPrefixError(_prefix_message(text, bad, code, version))
    return (out4 if version == 4 else out6), lengths


def _prefix_message(text, index, code, version):
    width = 32 if version == 4 else 128
    where = f" at index {index}"
    if code == ParseStatus.PARSE_ELENGTH:
        return f"invalid prefix {text!r}{where}: length must be an integer 0..{width}"
    if code == ParseStatus.PARSE_EHOSTBITS:
        return f"invalid prefix {text!r}{where}: host bits set"
    return f"invalid IPv{version} prefix {text!r}{where}"


def as_addr_array(addrs: ArrayLike | Sequence[str | bytes], version: int = 4) -> np.ndarray:
    """Validate and coerce an address array for the lookup kernels.

    Accepts integer arrays of any layout (read-only and non-contiguous too) or
    sequences of address strings.  IPv4: shape (n,), values in 0..2**32-1.
    IPv6: shape (n, 2) of uint64 (hi, lo).
    """
    version = _version(version)
    if not isinstance(addrs, np.ndarray):
        if isinstance(addrs, (list, tuple)) and addrs and isinstance(addrs[0], (str, bytes)):
            return parse_addresses(addrs, version)
        addrs = np.asarray(addrs)
        if addrs.size == 0:
            addrs = addrs.astype(np.uint32 if version == 4 else np.uint64)
    if addrs.dtype.kind in "US":
        return parse_addresses(addrs, version)
    if addrs.dtype == object and addrs.ndim == 1 and addrs.size and isinstance(addrs[0], (str, bytes)):
        # address text in an object array: a pandas Series or Index of strings, a column read from a table
        return parse_addresses(addrs.tolist(), version)
    if version == 4 and addrs.ndim != 1:
        raise InvalidArrayError(
            f"IPv4 addresses must have shape (n,), got shape {addrs.shape}")
    if version == 6 and (addrs.ndim != 2 or addrs.shape[1] != 2):
        raise InvalidArrayError(
            f"IPv6 addresses must have shape (n, 2) (high and low 64 bits), got shape {addrs.shape}")
    word = np.uint32 if version == 4 else np.uint64
    if addrs.dtype == word:
        return addrs
    if addrs.dtype.kind not in "iu":
        raise InvalidArrayError(
            f"IPv4 addresses must be an integer array (uint32), got dtype {addrs.dtype}" if version == 4 else
            f"IPv6 addresses must be a uint64 array of shape (n, 2), got dtype {addrs.dtype}")
    if version == 4 and addrs.size and (addrs.min() < 0 or addrs.max() > 0xFFFFFFFF):
        bad = int(np.flatnonzero((addrs < 0) | (addrs > 0xFFFFFFFF))[0])
        raise InvalidAddressError(
            f"invalid IPv4 address {addrs[bad]!r} at index {bad}: must be in 0..2**32-1")
    if version == 6 and addrs.dtype.kind == "i" and addrs.size and addrs.min() < 0:
        raise InvalidArrayError("IPv6 address words must be non-negative (use uint64)")
    return addrs.astype(word)


def format_addresses(addrs: ArrayLike) -> list[str]:
    """Text of each address in an array (uint32 (n,) or uint64 (n, 2)); a list of str."""
    addrs = np.asarray(addrs)
    if addrs.ndim == 2:
        return _addr.format_addresses6(as_addr_array(addrs, 6))
    return _addr.format_addresses4(as_addr_array(addrs, 4))


def format_prefixes(networks: ArrayLike, lengths: ArrayLike) -> list[str]:
    """Text of each prefix (``'net/len'``); a list of str."""
    networks = np.asarray(networks)
    lengths = np.asarray(lengths)
    if lengths.shape != (len(networks),):
        raise InvalidArrayError(
            f"lengths must have shape ({len(networks)},), got shape {lengths.shape}")
    lengths = lengths.astype(np.uint8)
    if networks.ndim == 2:
        return _addr.format_prefixes6(as_addr_array(networks, 6), lengths)
    return _addr.format_prefixes4(as_addr_array(networks, 4), lengths)


class IntColumn(Sequence):
    """IPv4 addresses (or other integers) held as one int64 array and read as a list of
    Python ints: ``col[i]`` is an ``int``, ``col[a:b]`` and iteration give ints,
    ``np.asarray(col)`` is the array itself (no copy).  Millions of addresses cost 8 bytes
    each instead of a Python int and a list slot each."""

    __slots__ = ("values",)

    def __init__(self, values: ArrayLike):
        self.values = np.asarray(values, np.int64)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.values[i].tolist()
        return int(self.values[i])

    def __iter__(self):
        return iter(self.values.tolist())

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def __add__(self, other) -> "IntColumn":
        return IntColumn(np.concatenate([self.values, np.asarray(other, np.int64)]))

    def __eq__(self, other):
        return list(self) == list(other) if isinstance(other, (IntColumn, list, tuple)) else NotImplemented

    def __repr__(self) -> str:
        return f"IntColumn({len(self)} values)"
