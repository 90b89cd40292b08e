# Text <-> integer conversion for IPv4/IPv6 addresses and prefixes.
#
# Everything here is `inline ... noexcept nogil` so every kernel that cimports it
# gets its own copy with no cross-module call.  Parsers return a status code
# (PARSE_OK or one of the PARSE_E* below) and never raise: the Python layer turns
# the code into an exception that quotes the offending text.
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cpdef enum ParseStatus:
    PARSE_OK = 0
    PARSE_EMALFORMED = 1     # not an address / prefix at all
    PARSE_ELENGTH = 2        # prefix length missing, not a number or out of range
    PARSE_EHOSTBITS = 3      # bits set beyond the prefix length


cdef inline int parse_v4(const char* s, Py_ssize_t n, uint32_t* out) noexcept nogil:
    """Strict dotted quad: four decimal octets 0..255, no leading zeros, no spaces."""
    cdef uint32_t acc = 0, octet = 0
    cdef int ndots = 0, ndigits = 0
    cdef Py_ssize_t i
    cdef char c
    if n < 7 or n > 15:
        return PARSE_EMALFORMED
    for i in range(n):
        c = s[i]
        if c >= 48 and c <= 57:   # '0'..'9'
            if ndigits > 0 and octet == 0:
                return PARSE_EMALFORMED          # leading zero
            octet = octet * 10 + <uint32_t>(c - 48)
            ndigits += 1
            if octet > 255:
                return PARSE_EMALFORMED
        elif c == 46:             # '.'
            if ndigits == 0 or ndots == 3:
                return PARSE_EMALFORMED
            acc = (acc << 8) | octet
            octet = 0
            ndigits = 0
            ndots += 1
        else:
            return PARSE_EMALFORMED
    if ndots != 3 or ndigits == 0:
        return PARSE_EMALFORMED
    out[0] = (acc << 8) | octet
    return PARSE_OK


cdef inline int _hexval(char c) noexcept nogil:
    if c >= 48 and c <= 57:
        return c - 48
    if c >= 97 and c <= 102:
        return c - 87
    if c >= 65 and c <= 70:
        return c - 55
    return -1


cdef inline int parse_v6(const char* s, Py_ssize_t n, uint64_t* hi, uint64_t* lo) noexcept nogil:
    """RFC 4291 text form: hex groups, one '::', optional trailing dotted quad."""
    cdef uint32_t groups[8]
    cdef int ngroups = 0, gap = -1, ndig, h, k
    cdef uint32_t g, v4
    cdef Py_ssize_t i = 0, start
    cdef uint64_t a = 0, b = 0
    if n < 2 or n > 45:
        return PARSE_EMALFORMED
    if s[0] == 58:                       # ':'
        if s[1] != 58:
            return PARSE_EMALFORMED
        gap = 0
        i = 2
        if i == n:
            hi[0] = 0
            lo[0] = 0
            return PARSE_OK
    while i < n:
        start = i
        g = 0
        ndig = 0
        while i < n:
            h = _hexval(s[i])
            if h < 0:
                break
            g = (g << 4) | <uint32_t>h
            ndig += 1
            i += 1
        if i < n and s[i] == 46:             # '.', an embedded IPv4 tail
            if ngroups > 6 or parse_v4(s + start, n - start, &v4) != PARSE_OK:
                return PARSE_EMALFORMED
            groups[ngroups] = v4 >> 16
            groups[ngroups + 1] = v4 & 0xFFFF
            ngroups += 2
            i = n
            break
        if ndig == 0 or ndig > 4 or ngroups == 8:
            return PARSE_EMALFORMED
        groups[ngroups] = g
        ngroups += 1
        if i == n:
            break
        if s[i] != 58:
            return PARSE_EMALFORMED
        i += 1
        if i < n and s[i] == 58:
            if gap >= 0:
                return PARSE_EMALFORMED      # two '::'
            gap = ngroups
            i += 1
            if i == n:
                break
        elif i == n:
            return PARSE_EMALFORMED          # trailing single ':'
    if gap >= 0:
        if ngroups > 7:
            return PARSE_EMALFORMED
        # move the groups after the gap to the end
        k = ngroups - 1
        while k >= gap:
            groups[k + 8 - ngroups] = groups[k]
            k -= 1
        for k in range(gap, gap + 8 - ngroups):
            groups[k] = 0
    elif ngroups != 8:
        return PARSE_EMALFORMED
    for k in range(4):
        a = (a << 16) | groups[k]
        b = (b << 16) | groups[k + 4]
    hi[0] = a
    lo[0] = b
    return PARSE_OK


cdef inline int parse_plen(const char* s, Py_ssize_t n, int maxlen, int* out) noexcept nogil:
    cdef int v = 0
    cdef Py_ssize_t i
    if n < 1 or n > 3:
        return PARSE_ELENGTH
    if n > 1 and s[0] == 48:
        return PARSE_ELENGTH
    for i in range(n):
        if s[i] < 48 or s[i] > 57:
            return PARSE_ELENGTH
        v = v * 10 + (s[i] - 48)
    if v > maxlen:
        return PARSE_ELENGTH
    out[0] = v
    return PARSE_OK


cdef inline Py_ssize_t _find_slash(const char* s, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if s[i] == 47:
            return i
    return -1


cdef inline uint64_t mask_hi(int plen) noexcept nogil:
    """The upper 64 bits of a /plen netmask (the top `plen` bits set, plen clipped to 0..64)."""
    if plen <= 0:
        return 0
    if plen >= 64:
        return 0xFFFFFFFFFFFFFFFF
    return ~((<uint64_t>1 << (64 - plen)) - 1)


cdef inline uint64_t mask_lo(int plen) noexcept nogil:
    """The lower 64 bits of a /plen IPv6 netmask."""
    return mask_hi(plen - 64)


cdef inline int parse_prefix_v4(const char* s, Py_ssize_t n, int strict,
                                uint32_t* net, int* plen) noexcept nogil:
    """'a.b.c.d/len' (or a bare address = /32).  strict: host bits must be zero;
    otherwise they are cleared."""
    cdef Py_ssize_t sl = _find_slash(s, n)
    cdef int rc
    cdef uint32_t a, m
    if sl < 0:
        rc = parse_v4(s, n, &a)
        if rc != PARSE_OK:
            return rc
        net[0] = a
        plen[0] = 32
        return PARSE_OK
    rc = parse_v4(s, sl, &a)
    if rc != PARSE_OK:
        return rc
    rc = parse_plen(s + sl + 1, n - sl - 1, 32, plen)
    if rc != PARSE_OK:
        return rc
    m = <uint32_t>(mask_hi(plen[0]) >> 32)
    if a & ~m:
        if strict:
            return PARSE_EHOSTBITS
        a &= m
    net[0] = a
    return PARSE_OK


cdef inline int parse_prefix_v6(const char* s, Py_ssize_t n, int strict,
                                uint64_t* hi, uint64_t* lo, int* plen) noexcept nogil:
    cdef Py_ssize_t sl = _find_slash(s, n)
    cdef int rc
    cdef uint64_t a, b, mh, ml
    if sl < 0:
        rc = parse_v6(s, n, &a, &b)
        if rc != PARSE_OK:
            return rc
        hi[0] = a
        lo[0] = b
        plen[0] = 128
        return PARSE_OK
    rc = parse_v6(s, sl, &a, &b)
    if rc != PARSE_OK:
        return rc
    rc = parse_plen(s + sl + 1, n - sl - 1, 128, plen)
    if rc != PARSE_OK:
        return rc
    mh = mask_hi(plen[0])
    ml = mask_lo(plen[0])
    if (a & ~mh) or (b & ~ml):
        if strict:
            return PARSE_EHOSTBITS
        a &= mh
        b &= ml
    hi[0] = a
    lo[0] = b
    return PARSE_OK


cdef inline Py_ssize_t format_small(int x, char* buf) noexcept nogil:
    """Write the decimal text of x (0..999) into buf; return its length."""
    cdef Py_ssize_t p = 0
    if x >= 100:
        buf[p] = 48 + x // 100
        p += 1
    if x >= 10:
        buf[p] = 48 + (x // 10) % 10
        p += 1
    buf[p] = 48 + x % 10
    return p + 1


cdef inline Py_ssize_t format_v4(uint32_t a, char* buf) noexcept nogil:
    """Write dotted-quad text into buf (at least 16 bytes); return its length."""
    cdef Py_ssize_t p = 0
    cdef int k
    for k in range(4):
        p += format_small((a >> (24 - 8 * k)) & 0xFF, buf + p)
        if k < 3:
            buf[p] = 46
            p += 1
    return p


cdef inline Py_ssize_t format_v6(uint64_t hi, uint64_t lo, char* buf) noexcept nogil:
    """RFC 5952 text (lowercase, longest zero run of 2+ groups as '::'); buf >= 40 bytes."""
    cdef uint32_t g[8]
    cdef int k, best = -1, bestlen = 1, run = 0, runstart = 0, d, started
    cdef Py_ssize_t p = 0
    cdef const char* hexd = b"0123456789abcdef"
    for k in range(4):
        g[k] = (hi >> (48 - 16 * k)) & 0xFFFF
        g[k + 4] = (lo >> (48 - 16 * k)) & 0xFFFF
    for k in range(8):
        if g[k] == 0:
            if run == 0:
                runstart = k
            run += 1
            if run > bestlen:
                bestlen = run
                best = runstart
        else:
            run = 0
    k = 0
    while k < 8:
        if k == best:
            buf[p] = 58
            p += 1
            if k == 0:
                buf[p] = 58
                p += 1
            k += bestlen
            if k == 8:
                return p
            continue
        started = 0
        for d in range(3, -1, -1):
            if (g[k] >> (4 * d)) & 0xF or started or d == 0:
                buf[p] = hexd[(g[k] >> (4 * d)) & 0xF]
                p += 1
                started = 1
        if k < 7:
            buf[p] = 58
            p += 1
        k += 1
    return p


cdef inline Py_ssize_t format_prefix_text(int width, uint64_t hi, uint64_t lo, int plen,
                                          char* buf) noexcept nogil:
    """Write 'net/len' into buf (at least 48 bytes; an IPv4 network sits in the top
    32 bits of `hi`); return its length."""
    cdef Py_ssize_t p
    if width == 32:
        p = format_v4(<uint32_t>(hi >> 32), buf)
    else:
        p = format_v6(hi, lo, buf)
    buf[p] = 47
    return p + 1 + format_small(plen, buf + p + 1)
