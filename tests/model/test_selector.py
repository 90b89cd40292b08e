"""fastroute.model.selector: Calico's label selector subset used by BGPPeers."""

import pytest

from fastroute.errors import FastrouteError, SelectorError
from fastroute.model.selector import Selector, matches, parse

RR = {"route-reflector": "true", "zone": "a"}
PLAIN = {"zone": "b", "kubernetes.io/hostname": "n1"}
BARE = {}


@pytest.mark.parametrize(
    "text, rr, plain, bare",
    [
        ("all()", True, True, True),
        ("global()", True, True, True),
        ("", True, True, True),
        ("   ", True, True, True),
        ("has(route-reflector)", True, False, False),
        ("!has(route-reflector)", False, True, True),
        ("route-reflector == 'true'", True, False, False),
        ('route-reflector == "true"', True, False, False),
        ("route-reflector != 'true'", False, True, True),  # absent counts as different
        ("zone in {'a', 'b'}", True, True, False),
        ("zone in {}", False, False, False),
        ("zone not in {'a'}", False, True, True),  # absent is "not in"
        ("zone == 'a' && has(route-reflector)", True, False, False),
        ("zone == 'a' || zone == 'b'", True, True, False),
        ("zone == 'b' || zone == 'a' && has(route-reflector)", True, True, False),  # && binds tighter
        ("(zone == 'b' || zone == 'a') && has(route-reflector)", True, False, False),
        ("!(zone == 'a')", False, True, True),
        ("!!has(zone)", True, True, False),
        ("kubernetes.io/hostname == 'n1'", False, True, False),
        ("zone contains 'a'", True, False, False),
        ("kubernetes.io/hostname starts with 'n'", False, True, False),
        ("kubernetes.io/hostname ends with '1'", False, True, False),
    ],
)
def test_selector_semantics(text, rr, plain, bare):
    s = parse(text)
    assert (s.matches(RR), s.matches(PLAIN), s.matches(BARE)) == (rr, plain, bare)


def test_none_labels_and_helpers():
    assert parse("!has(a)").matches(None)
    assert matches("a == 'b'", {"a": "b"})
    assert Selector("a == 'b'") == Selector("a == 'b'")
    assert len({Selector("all()"), Selector("all()")}) == 1
    assert repr(Selector("all()")) == "Selector('all()')"
    assert parse("x == 'y'") is parse("x == 'y'")  # cached


@pytest.mark.parametrize(
    "text, message",
    [
        ("a ==", r"'a ==': expected a quoted value after '==', got the end at character 4"),
        ("has(a", r"expected '\)' closing has\(, got the end at character 5"),
        ("a = 'b'", r"cannot read \"= 'b'\" at character 2"),
        ("(a == 'b'", r"expected '\)', got the end at character 9"),
        ("a in {'x' 'y'}", r"expected ',' or '}', got the string 'y' at character 10"),
        ("&& a == 'b'", r"expected a label name, has\(\), all\(\) or '\(', got '&&' at character 0"),
        ("all(", r"expected '\)' after all\(, got the end at character 4"),
        ("a == 'b' c", r"unexpected 'c' at character 9"),
        ("a", r"expected an operator \(==, !=, in, not in, contains\) after 'a', got the end"),
        ("a not {'x'}", r"expected 'in' after 'not', got '\{'"),
        ("a == b", r"expected a quoted value after '==', got 'b' at character 5"),
    ],
)
def test_errors_quote_the_selector_and_position(text, message):
    with pytest.raises(SelectorError, match=message) as e:
        Selector(text)
    assert isinstance(e.value, FastrouteError) and isinstance(e.value, ValueError)


def test_errors_say_where_the_selector_came_from():
    with pytest.raises(SelectorError, match=r"^invalid selector 'a ==' at BGPPeer 'p' spec.nodeSelector: "):
        parse("a ==", where="BGPPeer 'p' spec.nodeSelector")
    with pytest.raises(SelectorError, match=r"invalid selector 5: expected a string"):
        Selector(5)
