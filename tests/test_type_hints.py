"""Every public callable (a function or class in a public module's ``__all__``) has type hints,
they name real types, and the package says so to type checkers (``py.typed``)."""

import ast
import importlib
import inspect
import pkgutil
import typing
from pathlib import Path

import pytest

import fastroute

#: Modules whose public callables are not all hinted yet, with the callables still lacking hints: none.  A
#: callable added without hints fails the test below.  A hint naming a class whose module imports the hinted
#: one (a Cluster in model.ipam, a Topology in bgp.sessions) is a string: test_layout counts imports under
#: TYPE_CHECKING as imports, so importing it would make a circle; CLASSES resolves the name here.
NOT_YET: dict[str, set[str]] = {}


def _public_modules():
    for info in pkgutil.walk_packages(fastroute.__path__, "fastroute."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            yield importlib.import_module(info.name)


MODULES = list(_public_modules())


def _callables(mod):
    """``(name, function)`` for each function and class constructor in ``mod.__all__`` defined in ``mod``."""
    for name in getattr(mod, "__all__", ()):
        obj = getattr(mod, name, None)
        if getattr(obj, "__module__", None) != mod.__name__:
            continue                            # a name re-exported from the module that defines it
        if inspect.isclass(obj):
            init = vars(obj).get("__init__")
            if inspect.isfunction(init):        # a class without its own __init__ takes its base's
                yield name, init
        elif inspect.isfunction(obj):
            yield name, obj


def _missing(fn):
    sig = inspect.signature(fn)
    missing = [p for p in sig.parameters if p not in ("self", "cls")
               and sig.parameters[p].annotation is inspect.Parameter.empty]
    if fn.__name__ != "__init__" and sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


#: Every public class of the package by name, for hints written as forward references.
CLASSES = {name: obj for mod in MODULES for name in getattr(mod, "__all__", ())
           if inspect.isclass(obj := getattr(mod, name, None))}


def test_the_survey_sees_the_package():
    names = {f"{m.__name__}.{n}" for m in MODULES for n, _ in _callables(m)}
    assert len(names) > 250
    assert {"fastroute.addr.parse_addresses", "fastroute.model.synth.cluster", "fastroute.planning.plan.plan",
            "fastroute.testing.assertions.assert_reachable", "fastroute.fib.Fib"} <= names


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.__name__)
def test_public_callables_have_type_hints(mod):
    lacking = {name for name, fn in _callables(mod) if _missing(fn)}
    expected = NOT_YET.get(mod.__name__, set())
    assert lacking <= expected, f"public callables without type hints: {sorted(lacking - expected)}"
    assert expected <= lacking, f"hinted now, take them off NOT_YET: {sorted(expected - lacking)}"


def _checking_only(mod):
    """The names ``mod`` imports under ``if TYPE_CHECKING:`` (for hints only), imported here."""
    names = {}
    for node in ast.parse(inspect.getsource(mod)).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            code = compile(ast.Module(body=node.body, type_ignores=[]), mod.__file__, "exec")
            exec(code, {"__name__": mod.__name__, "__package__": mod.__package__}, names)
    return names


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.__name__)
def test_type_hints_name_real_types(mod):
    names = {**CLASSES, **_checking_only(mod), **vars(mod)}
    for name, fn in _callables(mod):
        if name in NOT_YET.get(mod.__name__, ()):
            continue
        try:
            typing.get_type_hints(fn, globalns=names)
        except Exception as e:                  # noqa: BLE001 -- the hint that does not resolve, named
            pytest.fail(f"{mod.__name__}.{name}: {type(e).__name__}: {e}")


def test_the_package_is_marked_typed():
    root = Path(fastroute.__file__).parent
    assert (root / "py.typed").is_file()
    # the marker travels with the package (setuptools package data)
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"py.typed"' in text
