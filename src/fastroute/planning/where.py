"""The ``where`` filters of a sweep grid: expressions over a point's parameters.

``nodes * pods_per_node <= 50000``, ``topology == 'rr' and reflectors in (2, 3)``:
comparisons, ``and``/``or``/``not``, arithmetic, numbers, strings and tuples of
them.  The text is parsed into Python's syntax tree, checked against that
grammar, and computed by a small interpreter over the tree: it is never run as
code, and its numbers are bounded, so no filter can hang a sweep or fill memory.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import GridError, shown

__all__ = ["compile_where", "holds", "MAX_WHERE_CHARS", "MAX_WHERE_BITS"]

#: A ``where`` expression is at most this long, and its numbers stay this small (in bits), so that no
#: filter can hang the expansion (``9**9**9``) or fill memory (``'x' * 10**9`` is refused outright).
MAX_WHERE_CHARS = 1_000
MAX_WHERE_BITS = 256

_BINOPS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a ** b,
}
_CMPOPS = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_CONSTANTS = {"true": True, "false": False}


class _WhereFailed(Exception):
    """A filter that cannot be computed on one point (the message says why)."""


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _binop(op, a, b):
    if not (_number(a) and _number(b)):
        raise _WhereFailed(f"arithmetic needs numbers, got {shown(a)} and {shown(b)}")
    if type(op) is ast.Pow and isinstance(a, int) and isinstance(b, int) and b > 0 \
            and max(abs(a), 1).bit_length() * b > MAX_WHERE_BITS:
        raise _WhereFailed(f"{a} ** {b} is too large (numbers are limited to {MAX_WHERE_BITS} bits)")
    try:
        out = _BINOPS[type(op)](a, b)
    except (ArithmeticError, ValueError) as e:
        raise _WhereFailed(f"{type(e).__name__}: {e}") from None
    if isinstance(out, int) and out.bit_length() > MAX_WHERE_BITS:
        raise _WhereFailed(f"a number is too large (numbers are limited to {MAX_WHERE_BITS} bits)")
    if isinstance(out, complex):
        raise _WhereFailed(f"{a} ** {b} is not a real number")
    return out


def _interpret(node, point):
    """The value of a checked ``where`` expression on one point: a small interpreter over the
    expression's syntax tree (the text is never run as Python)."""
    if isinstance(node, ast.Expression):
        return _interpret(node.body, point)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return point[node.id] if node.id in point else _CONSTANTS[node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_interpret(e, point) for e in node.elts)
    if isinstance(node, ast.BoolOp):
        first_false = isinstance(node.op, ast.And)
        for e in node.values:
            if bool(_interpret(e, point)) is not first_false:
                return not first_false
        return first_false
    if isinstance(node, ast.UnaryOp):
        v = _interpret(node.operand, point)
        if isinstance(node.op, ast.Not):
            return not v
        if not _number(v):
            raise _WhereFailed(f"'-' needs a number, got {shown(v)}")
        return -v
    if isinstance(node, ast.BinOp):
        return _binop(node.op, _interpret(node.left, point), _interpret(node.right, point))
    if isinstance(node, ast.Compare):
        left = _interpret(node.left, point)
        for op, right_node in zip(node.ops, node.comparators):
            right = _interpret(right_node, point)
            try:
                ok = _CMPOPS[type(op)](left, right)
            except TypeError as e:
                raise _WhereFailed(f"TypeError: {e}") from None
            if not ok:
                return False
            left = right
        return True
    raise _WhereFailed(f"{type(node).__name__} not allowed")  # unreachable: _compile_where checked


_ALLOWED_AST = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.BinOp,
                *_BINOPS, *_CMPOPS, ast.Compare, ast.Name, ast.Load, ast.Constant, ast.Tuple, ast.List)


def compile_where(text: str, names: Iterable[str], where: str) -> tuple[str, str, ast.AST]:
    """A filter expression over the parameters: comparisons, and/or/not, arithmetic, literals.

    The text is parsed, never run: :func:`_interpret` computes it from the syntax tree, with
    numbers bounded to :data:`MAX_WHERE_BITS` bits.
    """
    if len(text) > MAX_WHERE_CHARS:
        raise GridError(f"invalid expression {shown(text)} at {where}: longer than {MAX_WHERE_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        raise GridError(f"invalid expression {shown(text)} at {where}: {getattr(e, 'msg', None) or e}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_AST):
            raise GridError(f"invalid expression {shown(text)} at {where}: {type(node).__name__} not allowed "
                            "(parameters, literals, arithmetic, comparisons, and/or/not)")
        if isinstance(node, ast.Name) and node.id not in names and node.id not in _CONSTANTS:
            raise GridError(f"invalid expression {shown(text)} at {where}: unknown name {node.id!r} (parameters: "
                            + ", ".join(sorted(names)) + ")")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)) \
                and node.value is not None:
            raise GridError(f"invalid expression {shown(text)} at {where}: literal {shown(node.value)} not allowed "
                            "(numbers and strings)")
        if isinstance(node, ast.Constant) and isinstance(node.value, int) \
                and node.value.bit_length() > MAX_WHERE_BITS:
            raise GridError(f"invalid expression {shown(text)} at {where}: a number is too large "
                            f"(numbers are limited to {MAX_WHERE_BITS} bits)")
    return (text, where, tree)


def holds(cond: tuple[str, str, ast.AST], point: Mapping[str, Any]) -> bool:
    text, where, tree = cond
    try:
        return bool(_interpret(tree, point))
    except (_WhereFailed, RecursionError) as e:
        raise GridError(f"expression {shown(text)} at {where} failed on point {shown(point, 300)}: "
                        f"{e or 'too deeply nested'}") from None
