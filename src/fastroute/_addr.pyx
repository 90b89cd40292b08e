"""Vectorised conversion between address/prefix text and integer arrays.

The loops walk Python strings (or the rows of a numpy bytes array) and parse
their ASCII text in C; a parse failure stops the loop and reports the index,
which the Python wrapper (fastroute.addr) turns into an exception quoting the
text.
"""

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memchr
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from cpython.bytes cimport PyBytes_AsStringAndSize

import numpy as np


cdef inline int _text(object item, const char** s, Py_ssize_t* n) except -1:
    if type(item) is str:
        s[0] = PyUnicode_AsUTF8AndSize(item, n)
        return 0
    if type(item) is bytes:
        PyBytes_AsStringAndSize(item, <char**>s, n)
        return 0
    return 1


cdef inline int _parse_addr(const char* s, Py_ssize_t n, int version, uint32_t[::1] out4,
                            uint64_t[:, ::1] out6, Py_ssize_t i) noexcept nogil:
    if version == 4:
        return parse_v4(s, n, &out4[i])
    return parse_v6(s, n, &out6[i, 0], &out6[i, 1])


cdef inline int _parse_prefix(const char* s, Py_ssize_t n, int version, bint strict,
                              uint32_t[::1] out4, uint64_t[:, ::1] out6, uint8_t[::1] lengths,
                              Py_ssize_t i) noexcept nogil:
    cdef int rc, plen = 0
    if version == 4:
        rc = parse_prefix_v4(s, n, strict, &out4[i], &plen)
    else:
        rc = parse_prefix_v6(s, n, strict, &out6[i, 0], &out6[i, 1], &plen)
    if rc == PARSE_OK:
        lengths[i] = <uint8_t>plen
    return rc


cdef inline Py_ssize_t _row(const uint8_t[:, ::1] raw, Py_ssize_t i, const char** s) noexcept nogil:
    """Row i of a NUL-padded 'S' array: its text in s[0], its length returned."""
    s[0] = <const char*>&raw[i, 0]
    cdef const void* z = memchr(s[0], 0, raw.shape[1])
    return raw.shape[1] if z == NULL else <const char*>z - s[0]


def parse_addresses(seq, int version, uint32_t[::1] out4, uint64_t[:, ::1] out6):
    """Parse a sequence of str/bytes into out4 (IPv4) or out6 (IPv6, (hi, lo)).
    Returns (-1, 0) on success or (index, code) of the first failure; code 0
    means the item was not text."""
    cdef Py_ssize_t i = 0, n
    cdef const char* s
    cdef int rc
    for item in seq:
        if _text(item, &s, &n):
            return i, 0
        rc = _parse_addr(s, n, version, out4, out6, i)
        if rc != PARSE_OK:
            return i, rc
        i += 1
    return -1, 0


def parse_addresses_fixed(const uint8_t[:, ::1] raw, int version,
                          uint32_t[::1] out4, uint64_t[:, ::1] out6):
    """Same as parse_addresses for the rows of a numpy 'S' array viewed as bytes
    (NUL padded)."""
    cdef Py_ssize_t i, n
    cdef const char* s
    cdef int rc = PARSE_OK
    with nogil:
        for i in range(raw.shape[0]):
            n = _row(raw, i, &s)
            rc = _parse_addr(s, n, version, out4, out6, i)
            if rc != PARSE_OK:
                break
    if rc != PARSE_OK:
        return i, rc
    return -1, 0


def parse_prefixes(seq, int version, bint strict, uint32_t[::1] out4,
                   uint64_t[:, ::1] out6, uint8_t[::1] lengths):
    """Parse prefix text ('net/len', or a bare address = full length)."""
    cdef Py_ssize_t i = 0, n
    cdef const char* s
    cdef int rc
    for item in seq:
        if _text(item, &s, &n):
            return i, 0
        rc = _parse_prefix(s, n, version, strict, out4, out6, lengths, i)
        if rc != PARSE_OK:
            return i, rc
        i += 1
    return -1, 0


def parse_prefixes_fixed(const uint8_t[:, ::1] raw, int version, bint strict,
                         uint32_t[::1] out4, uint64_t[:, ::1] out6, uint8_t[::1] lengths):
    """Same as parse_prefixes for the rows of a numpy 'S' array."""
    cdef Py_ssize_t i, n
    cdef const char* s
    cdef int rc = PARSE_OK
    with nogil:
        for i in range(raw.shape[0]):
            n = _row(raw, i, &s)
            rc = _parse_prefix(s, n, version, strict, out4, out6, lengths, i)
            if rc != PARSE_OK:
                break
    if rc != PARSE_OK:
        return i, rc
    return -1, 0


def format_addresses4(const uint32_t[:] addrs):
    cdef Py_ssize_t i, k, n = addrs.shape[0]
    cdef char buf[16]
    out = [None] * n
    for i in range(n):
        k = format_v4(addrs[i], buf)
        out[i] = buf[:k].decode("ascii")
    return out


def format_addresses6(const uint64_t[:, :] addrs):
    cdef Py_ssize_t i, k, n = addrs.shape[0]
    cdef char buf[48]
    out = [None] * n
    for i in range(n):
        k = format_v6(addrs[i, 0], addrs[i, 1], buf)
        out[i] = buf[:k].decode("ascii")
    return out


def format_prefixes4(const uint32_t[:] nets, const uint8_t[:] lengths):
    cdef Py_ssize_t i, k, n = nets.shape[0]
    cdef char buf[24]
    out = [None] * n
    for i in range(n):
        k = format_prefix_text(32, (<uint64_t>nets[i]) << 32, 0, lengths[i], buf)
        out[i] = buf[:k].decode("ascii")
    return out


def format_prefixes6(const uint64_t[:, :] nets, const uint8_t[:] lengths):
    cdef Py_ssize_t i, k, n = nets.shape[0]
    cdef char buf[56]
    out = [None] * n
    for i in range(n):
        k = format_prefix_text(128, nets[i, 0], nets[i, 1], lengths[i], buf)
        out[i] = buf[:k].decode("ascii")
    return out
