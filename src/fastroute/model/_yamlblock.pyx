# cython: language_level=3
"""Fast reader for the block-style YAML that ``kubectl get -o yaml``, ``calicoctl get -o yaml``
and ``fastroute export`` print.

It reads the subset such dumps use -- block mappings and sequences (also the compact
``key:\\n- item`` form), plain, single-quoted and escape-free double-quoted scalars on one
line, ``{}`` / ``[]``, comments, ``---`` between documents -- and builds exactly what PyYAML's
SafeLoader builds: plain scalars are resolved by the ``resolve`` callable it is given
(PyYAML's own YAML 1.1 resolver).  Anything else (flow collections, anchors and aliases,
tags, block or multi-line scalars, escapes, tabs, CR line ends, directives) raises
:class:`Unsupported` and the caller reads the text with PyYAML instead, so the subset only
decides speed, never the result.
"""

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdlib cimport free, malloc


class Unsupported(Exception):
    """The text uses YAML beyond the block subset: read it with PyYAML."""


cdef class _Reader:
    cdef const unsigned char[:] buf
    cdef Py_ssize_t n
    # per significant line: start offset (first non-space char), end offset (before newline), indent
    cdef Py_ssize_t *starts
    cdef Py_ssize_t *ends
    cdef Py_ssize_t *indents
    cdef Py_ssize_t nlines
    cdef object resolve
    cdef dict keys
    cdef dict plain_cache
    cdef int max_depth
    cdef Py_ssize_t pos          # the line after the collection just read

    def __init__(self, data, resolve, int max_depth):
        self.buf = data
        self.n = len(data)
        self.resolve = resolve
        self.keys = {}
        self.plain_cache = {}
        self.max_depth = max_depth
        cdef Py_ssize_t lines = 1, i
        for i in range(self.n):
            if self.buf[i] == 10:
                lines += 1
        self.starts = <Py_ssize_t *>malloc(lines * sizeof(Py_ssize_t))
        self.ends = <Py_ssize_t *>malloc(lines * sizeof(Py_ssize_t))
        self.indents = <Py_ssize_t *>malloc(lines * sizeof(Py_ssize_t))
        if not self.starts or not self.ends or not self.indents:
            raise MemoryError()

    def __dealloc__(self):
        free(self.starts)
        free(self.ends)
        free(self.indents)

    cdef str text(self, Py_ssize_t a, Py_ssize_t b):
        return PyUnicode_DecodeUTF8(<const char*>&self.buf[a], b - a, NULL)

    cdef list documents(self):
        """Split into lines and documents; parse each document."""
        cdef Py_ssize_t i = 0, ls, le, k, ind, count = 0, first = 0
        cdef unsigned char c
        cdef list bounds = []
        cdef bint seen_start = False
        while i < self.n:
            ls = i
            while i < self.n and self.buf[i] != 10:
                if self.buf[i] == 13 or self.buf[i] == 9:
                    raise Unsupported("CR or tab")
                i += 1
            le = i
            i += 1
            k = ls
            while k < le and self.buf[k] == 32:
                k += 1
            if k == le or self.buf[k] == 35:          # blank or comment line
                continue
            ind = k - ls
            if ind == 0 and le - ls >= 3 and self.buf[ls] == 45 and self.buf[ls + 1] == 45 and self.buf[ls + 2] == 45 \
                    and (le - ls == 3 or self.buf[ls + 3] == 32):
                k = ls + 3
                while k < le and self.buf[k] == 32:
                    k += 1
                if k < le and self.buf[k] != 35:
                    raise Unsupported("content after ---")
                if count > first or seen_start:
                    bounds.append((first, count))
                first = count
                seen_start = True
                continue
            c = self.buf[k]
            if ind == 0 and (c == 37 or (c == 46 and le - ls >= 3 and self.buf[ls + 1] == 46 and self.buf[ls + 2] == 46)):
                raise Unsupported("directive or document end")
            while le > k and self.buf[le - 1] == 32:
                le -= 1
            self.starts[count] = k
            self.ends[count] = le
            self.indents[count] = ind
            count += 1
        if count > first or seen_start:
            bounds.append((first, count))
        return [self.document(lo, hi) for lo, hi in bounds]

    cdef object document(self, Py_ssize_t lo, Py_ssize_t hi):
        self.nlines = hi
        if lo == hi:
            return None
        if self.indents[lo] != 0:
            raise Unsupported("indented document")
        value = self.block(lo, 0, -1, 0)
        if self.pos != hi:
            raise Unsupported("trailing lines")
        return value

    cdef object block(self, Py_ssize_t line, Py_ssize_t ind, Py_ssize_t first, int depth):
        """The collection whose first entry is on ``line`` at column ``ind`` (``first``: the
        entry's start offset when it follows ``- `` on the line, else -1)."""
        cdef Py_ssize_t s
        if depth > self.max_depth:
            raise Unsupported("deep nesting")
        s = first if first >= 0 else self.starts[line]
        if self.buf[s] == 45 and (s + 1 == self.ends[line] or self.buf[s + 1] == 32):
            if first >= 0:
                raise Unsupported("compact nested sequence")
            return self.sequence(line, ind, depth)
        return self.mapping(line, ind, first, depth)

    cdef Py_ssize_t key_end(self, Py_ssize_t s, Py_ssize_t e):
        """Offset of the ':' ending a plain key on [s, e), or -1."""
        cdef Py_ssize_t k = s
        cdef unsigned char c = self.buf[s]
        if c in b"\"'[]{}&*!|>%@`?#,":
            return -1
        while k < e:
            if self.buf[k] == 58 and (k + 1 == e or self.buf[k + 1] == 32):
                return k
            if self.buf[k] == 35 and self.buf[k - 1] == 32:
                return -1
            k += 1
        return -1

    cdef dict mapping(self, Py_ssize_t line, Py_ssize_t ind, Py_ssize_t first, int depth):
        cdef dict out = {}
        cdef Py_ssize_t s, e, colon, v, j
        cdef str ktext
        while line < self.nlines:
            if first < 0:
                if self.indents[line] != ind:
                    break
                s = self.starts[line]
            else:
                s = first
                first = -1
            e = self.ends[line]
            colon = self.key_end(s, e)
            if colon < 0:
                raise Unsupported("not a key")
            j = colon
            while j > s and self.buf[j - 1] == 32:
                j -= 1
            if j == s:
                raise Unsupported("empty key")
            ktext = self.text(s, j)
            key = self.keys.get(ktext)
            if key is None:
                key = self.plain(ktext, s, j)
                if key == "<<" or not isinstance(key, (str, int, bool, float)) and key is not None:
                    raise Unsupported("merge or odd key")
                self.keys[ktext] = key
            if key in out:
                raise Unsupported("a key given twice")   # PyYAML's reader names it
            v = colon + 1
            while v < e and self.buf[v] == 32:
                v += 1
            if v < e and self.buf[v] != 35:
                out[key] = self.scalar(v, e)
                line += 1
                if line < self.nlines and self.indents[line] > ind:
                    raise Unsupported("continuation line")
                continue
            line += 1
            if line < self.nlines and self.indents[line] > ind:
                out[key] = self.block(line, self.indents[line], -1, depth + 1)
                line = self.pos
            elif (line < self.nlines and self.indents[line] == ind and self.is_dash(line)):
                out[key] = self.sequence(line, ind, depth + 1)
                line = self.pos
            else:
                out[key] = None
        self.pos = line
        return out

    cdef bint is_dash(self, Py_ssize_t line):
        cdef Py_ssize_t s = self.starts[line]
        return self.buf[s] == 45 and (s + 1 == self.ends[line] or self.buf[s + 1] == 32)

    cdef list sequence(self, Py_ssize_t line, Py_ssize_t ind, int depth):
        cdef list out = []
        cdef Py_ssize_t s, e, v
        if depth > self.max_depth:
            raise Unsupported("deep nesting")
        while line < self.nlines and self.indents[line] == ind and self.is_dash(line):
            s = self.starts[line]
            e = self.ends[line]
            v = s + 1
            while v < e and self.buf[v] == 32:
                v += 1
            if v >= e or self.buf[v] == 35:
                line += 1
                if line < self.nlines and self.indents[line] > ind:
                    out.append(self.block(line, self.indents[line], -1, depth + 1))
                    line = self.pos
                else:
                    out.append(None)
                continue
            if self.buf[v] == 45 and (v + 1 == e or self.buf[v + 1] == 32):
                raise Unsupported("compact nested sequence")
            if self.key_end(v, e) >= 0:
                out.append(self.mapping(line, v - s + ind, v, depth + 1))
                line = self.pos
                continue
            out.append(self.scalar(v, e))
            line += 1
            if line < self.nlines and self.indents[line] > ind:
                raise Unsupported("continuation line")
        self.pos = line
        return out

    cdef object scalar(self, Py_ssize_t s, Py_ssize_t e):
        """The value on [s, e) (a whole line's rest, trailing spaces removed)."""
        cdef unsigned char c = self.buf[s]
        cdef Py_ssize_t k, q
        if c == 39:                                   # 'single quoted'
            k = s + 1
            parts = []
            q = k
            while True:
                while k < e and self.buf[k] != 39:
                    k += 1
                if k >= e:
                    raise Unsupported("multi-line quoted scalar")
                if k + 1 < e and self.buf[k + 1] == 39:
                    parts.append(self.text(q, k + 1))
                    k += 2
                    q = k
                    continue
                parts.append(self.text(q, k))
                break
            self.after_quote(k + 1, e)
            return "".join(parts)
        if c == 34:                                   # "double quoted", no escapes
            k = s + 1
            while k < e and self.buf[k] != 34:
                if self.buf[k] == 92:
                    raise Unsupported("escape")
                k += 1
            if k >= e:
                raise Unsupported("multi-line quoted scalar")
            self.after_quote(k + 1, e)
            return self.text(s + 1, k)
        if c == 123 or c == 91:                       # {} or [] only
            if e - s == 2 and self.buf[s + 1] == (125 if c == 123 else 93):
                return {} if c == 123 else []
            raise Unsupported("flow collection")
        if c in b"&*!|>%@`?#,]}":
            raise Unsupported("indicator")
        if c == 45 and s + 1 < e and self.buf[s + 1] == 32:
            raise Unsupported("sequence in a value")
        k = s
        while k < e:
            if self.buf[k] == 35 and self.buf[k - 1] == 32:
                e = k - 1
                while self.buf[e - 1] == 32:
                    e -= 1
                break
            if self.buf[k] == 58 and (k + 1 == e or self.buf[k + 1] == 32):
                raise Unsupported("': ' in a plain scalar")
            k += 1
        return self.plain(None, s, e)

    cdef after_quote(self, Py_ssize_t k, Py_ssize_t e):
        while k < e and self.buf[k] == 32:
            k += 1
        if k < e and not (self.buf[k] == 35 and self.buf[k - 1] == 32):
            raise Unsupported("text after a quoted scalar")

    cdef object plain(self, str text, Py_ssize_t s, Py_ssize_t e):
        """The plain scalar on [s, e) (``text`` when already decoded) as PyYAML's resolver
        and SafeConstructor read it."""
        cdef Py_ssize_t k
        cdef unsigned char c = self.buf[s]
        # the characters PyYAML's implicit resolvers (bool, int, float, null, timestamp,
        # merge, value) key on: a plain scalar starting with another one, or holding a '/',
        # is a string
        if not (c in b"0123456789+-.~nNtTfFyYoO<="):
            return self.text(s, e) if text is None else text
        for k in range(s, e):
            if self.buf[k] == 47:
                return self.text(s, e) if text is None else text
        if text is None:
            text = self.text(s, e)
        try:
            return self.plain_cache[text]
        except KeyError:
            pass
        value = self.resolve(text)
        if len(self.plain_cache) < 65536:
            self.plain_cache[text] = value
        return value


def load_block_yaml(data, resolve, int max_depth=64):
    """The documents of UTF-8 ``data`` (bytes) in the block subset, as PyYAML's SafeLoader
    reads them; raises :class:`Unsupported` for anything outside the subset.

    ``resolve(text)`` turns a plain scalar that may not be a string into its value.
    ``max_depth`` bounds nesting (deeper input is Unsupported, for the careful reader).
    """
    return _Reader(data, resolve, max_depth).documents()
