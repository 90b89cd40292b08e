"""Calico label selectors, as BGPPeer ``nodeSelector``/``peerSelector`` use them.

The subset of libcalico-go's selector language that BGP topologies need:

=====================  ======================================================
``all()``              every node (``global()`` is accepted as a synonym)
``has(k)``             the label ``k`` is present
``k == 'v'``           present and equal to ``v``
``k != 'v'``           absent, or present with another value
``k in {'a', 'b'}``    present and one of the values
``k not in {...}``     absent, or present with none of the values
``k contains 'x'``     present and containing ``x`` (also ``starts with``, ``ends with``)
``!e``                 negation (``!has(k)``, ``!(a == 'b')``)
``e && e``, ``e || e`` conjunction binds tighter than disjunction
``( e )``              grouping
=====================  ======================================================

Values are quoted with ``'`` or ``"``.  An empty selector means ``all()``.

Examples
--------
>>> s = parse("route-reflector == 'true'")
>>> s.matches({"route-reflector": "true"}), s.matches({})
(True, False)
>>> parse("!has(edge) && zone in {'a', 'b'}").matches({"zone": "a"})
True
>>> parse("zone != 'a'").matches({})
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import SelectorError

__all__ = ["Selector", "parse", "matches"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"[^"]*"|'[^']*')
      | (?P<op>==|!=|&&|\|\||!|\(|\)|\{|\}|,)
      | (?P<word>[A-Za-z0-9_][A-Za-z0-9_./\-]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # "str", "op", "word", "end"
    value: str
    pos: int


def _describe(tok):
    if tok.kind == "end":
        return "the end"
    if tok.kind == "str":
        return f"the string {tok.value!r}"
    return repr(tok.value)


class Selector:
    """A parsed selector; call :meth:`matches` with a node's labels.

    Parameters
    ----------
    text : str
        The selector expression.
    where : str, optional
        Where the selector came from, for error messages
        (e.g. ``"BGPPeer 'rr' spec.peerSelector"``).

    Raises
    ------
    SelectorError
        The text does not parse; the message quotes it and gives the character position.
    """

    __slots__ = ("text", "_fn", "_toks", "_i", "_where")

    def __init__(self, text: str | None, where: str | None = None) -> None:
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise SelectorError(f"invalid selector {text!r}{_at(where)}: expected a string")
        self.text = text
        self._where = where
        self._toks = self._tokenize(text)
        self._i = 0
        if self._toks[0].kind == "end":
            self._fn = _true
        else:
            self._fn = self._or()
            if self._peek().kind != "end":
                self._fail(f"unexpected {_describe(self._peek())}", self._peek())
        del self._toks, self._i

    def __repr__(self):
        return f"Selector({self.text!r})"

    def __eq__(self, other):
        return isinstance(other, Selector) and other.text == self.text

    def __hash__(self):
        return hash(self.text)

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether a resource with ``labels`` (a mapping of str to str) is selected."""
        return bool(self._fn(labels or {}))

    # ------------------------------------------------------------------ parsing

    def _fail(self, what, tok):
        raise SelectorError(f"invalid selector {self.text!r}{_at(self._where)}: {what} at character {tok.pos}")

    def _tokenize(self, text):
        out, pos = [], 0
        end = len(text.rstrip())
        while pos < end:
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                at = pos + len(text[pos:]) - len(text[pos:].lstrip())
                raise SelectorError(
                    f"invalid selector {text!r}{_at(self._where)}: cannot read {text[at:at + 10]!r} at character {at}"
                )
            for kind in ("str", "op", "word"):
                if m.group(kind) is not None:
                    start = m.start(kind)
                    val = m.group(kind)[1:-1] if kind == "str" else m.group(kind)
                    out.append(_Tok(kind, val, start))
                    break
            pos = m.end()
        out.append(_Tok("end", "", end))
        return out

    def _peek(self, k=0):
        return self._toks[min(self._i + k, len(self._toks) - 1)]

    def _next(self):
        tok = self._peek()
        self._i += 1
        return tok

    def _expect(self, kind, value=None, what=None):
        tok = self._peek()
        if tok.kind != kind or (value is not None and tok.value != value):
            want = what or (repr(value) if value is not None else kind)
            self._fail(f"expected {want}, got {_describe(tok)}", tok)
        return self._next()

    def _or(self):
        return self._chain("||", self._and, _either)

    def _and(self):
        return self._chain("&&", self._not, _both)

    def _chain(self, op, operand, combine):
        # operand (op operand)*, folded left
        left = operand()
        while self._peek().kind == "op" and self._peek().value == op:
            self._next()
            left = combine(left, operand())
        return left

    def _not(self):
        if self._peek().kind == "op" and self._peek().value == "!":
            self._next()
            inner = self._not()
            return lambda lab: not inner(lab)
        return self._atom()

    def _atom(self):
        tok = self._peek()
        if tok.kind == "op" and tok.value == "(":
            self._next()
            inner = self._or()
            self._expect("op", ")", "')'")
            return inner
        if tok.kind != "word":
            self._fail(f"expected a label name, has(), all() or '(', got {_describe(tok)}", tok)
        self._next()
        nxt = self._peek()
        if tok.value in ("all", "global") and nxt.kind == "op" and nxt.value == "(":
            self._next()
            self._expect("op", ")", f"')' after {tok.value}(")
            return _true
        if tok.value == "has" and nxt.kind == "op" and nxt.value == "(":
            self._next()
            key = self._expect("word", what="a label name inside has()").value
            self._expect("op", ")", "')' closing has(")
            return lambda lab: key in lab
        key = tok.value
        op = self._peek()
        if op.kind == "op" and op.value in ("==", "!="):
            self._next()
            rhs = self._expect("str", what=f"a quoted value after {op.value!r}").value
            if op.value == "==":
                return lambda lab: lab.get(key) == rhs
            return lambda lab: lab.get(key) != rhs
        if op.kind == "word" and op.value in ("in", "not"):
            self._next()
            negate = op.value == "not"
            if negate:
                self._expect("word", "in", "'in' after 'not'")
            values = self._set()
            if negate:
                return lambda lab: lab.get(key) not in values
            return lambda lab: key in lab and lab[key] in values
        if op.kind == "word" and op.value in ("contains", "starts", "ends"):
            self._next()
            if op.value != "contains":
                self._expect("word", "with", f"'with' after {op.value!r}")
            rhs = self._expect("str", what=f"a quoted value after {op.value!r}").value
            test = {"contains": str.__contains__, "starts": str.startswith, "ends": str.endswith}[op.value]
            return lambda lab: key in lab and test(lab[key], rhs)
        self._fail(f"expected an operator (==, !=, in, not in, contains) after {key!r}, got {_describe(op)}", op)

    def _set(self):
        self._expect("op", "{", "'{'")
        values = set()
        if self._peek().kind == "op" and self._peek().value == "}":
            self._next()
            return frozenset()
        while True:
            values.add(self._expect("str", what="a quoted value in the set").value)
            tok = self._peek()
            if tok.kind == "op" and tok.value == ",":
                self._next()
                continue
            self._expect("op", "}", "',' or '}'")
            return frozenset(values)


def _at(where):
    return f" at {where}" if where else ""


def _true(lab):
    return True


def _either(a, b):
    return lambda lab: a(lab) or b(lab)


def _both(a, b):
    return lambda lab: a(lab) and b(lab)


_CACHE = {}


def parse(text: str | None, where: str | None = None) -> Selector:
    """Parse ``text`` into a :class:`Selector` (cached by text when ``where`` is None)."""
    if where is None and isinstance(text, str):
        sel = _CACHE.get(text)
        if sel is None:
            sel = _CACHE[text] = Selector(text)
        return sel
    return Selector(text, where)


def matches(text: str | None, labels: Mapping[str, str] | None, where: str | None = None) -> bool:
    """Shorthand for ``parse(text, where).matches(labels)``."""
    return parse(text, where).matches(labels)
