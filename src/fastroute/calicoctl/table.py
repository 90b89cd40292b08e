"""The tables calicoctl prints, as olekukonko/tablewriter v0.0.5 renders them.

calicoctl builds ``calicoctl node status`` and ``calicoctl ipam show``
(projectcalico/calico ``calicoctl/calicoctl/commands/node/status.go``,
``calicoctl/calicoctl/commands/ipam/show.go``) with
tablewriter's defaults: borders, centred upper-case headers, cells wider than
30 columns word-wrapped, numbers right-aligned.  :func:`render_table` is that
renderer, used by :mod:`fastroute.calicoctl.status` and :mod:`fastroute.calicoctl.ipam`.
"""

from __future__ import annotations

from collections.abc import Sequence
import re

__all__ = ["render_table", "wrap_words"]


def _title(h):
    return h.replace("_", " ").strip().upper()


def wrap_words(text: str, limit: int) -> list[str]:
    """Split ``text`` into lines the way tablewriter's ``WrapString`` does.

    Words are split on single spaces; a word longer than ``limit`` raises the limit.
    Line breaks minimise the sum of squared slack over every line but the last
    (too-long lines cost an extra 1e5), as in ``WrapWords``.
    """
    words = text.replace("\n", " ").split(" ")
    for w in words:
        if len(w) > limit:
            limit = len(w)
    n = len(words)
    length = [[0] * n for _ in range(n)]
    for i in range(n):
        length[i][i] = len(words[i])
        for j in range(i + 1, n):
            length[i][j] = length[i][j - 1] + 1 + len(words[j])
    nbrk = [0] * n
    cost = [2**31 - 1] * n
    for i in range(n - 1, -1, -1):
        if length[i][n - 1] <= limit:
            cost[i] = 0
            nbrk[i] = n
            continue
        for j in range(i + 1, n):
            d = limit - length[i][j - 1]
            c = d * d + cost[j]
            if length[i][j - 1] > limit:
                c += 100000
            if c < cost[i]:
                cost[i] = c
                nbrk[i] = j
    lines, i = [], 0
    while i < n:
        lines.append(" ".join(words[i:nbrk[i]]))
        i = nbrk[i]
    return lines


_NUMBER = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$")
_PERCENT = re.compile(r"^-?\d+\.?\d*$%$")
_MAX_WIDTH = 30


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table as olekukonko/tablewriter v0.0.5 renders it with calicoctl's settings.

    Headers are upper-cased and centred; a cell wider than 30 columns is
    word-wrapped (:func:`wrap_words`) and its column is then at least 30 wide;
    short rows of a wrapped row are padded with blank lines; a cell that is a plain
    number is right-aligned, anything else left-aligned.
    """
    cells = [[_cell_lines(c) for c in row] for row in rows]
    heads = [_cell_lines(_title(h)) for h in header]
    widths = []
    for k in range(len(header)):
        w = heads[k][1]
        for row in cells:
            w = max(w, row[k][1])
        widths.append(w)
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def centre(text, w):
        gap = w - len(text)
        left = gap // 2
        return " " * left + text + " " * (gap - left)

    def align(text, w):
        t = text.strip()
        return text.rjust(w) if (_NUMBER.match(t) or _PERCENT.match(t)) else text.ljust(w)

    out = [line]
    height = max(len(h[0]) for h in heads)
    for x in range(height):
        out.append("| " + " | ".join(centre(h[0][x] if x < len(h[0]) else "", w) for h, w in zip(heads, widths))
                   + " |")
    out.append(line)
    for row in cells:
        height = max(len(c[0]) for c in row)
        for x in range(height):
            out.append("| " + " | ".join(align(c[0][x] if x < len(c[0]) else "  ", w) for c, w in zip(row, widths))
                       + " |")
    out.append(line)
    return "\n".join(out) + "\n"


def _cell_lines(text):
    # tablewriter's parseDimension with autoWrap: the cell's own width capped at 30,
    # each paragraph wrapped to it, the width then raised by any longer word.
    paras = text.split("\n")
    width = min(max(len(p) for p in paras), _MAX_WIDTH)
    lines = []
    new_width = width
    for k, p in enumerate(paras):
        wrapped = wrap_words(p, width)
        new_width = max([new_width] + [len(x) for x in wrapped])
        if k:
            lines.append(" ")
        lines += wrapped
    return lines, new_width
