"""A short seeded differential fuzz of the LPM table (the long run: bench/test_lpm_fuzz.py)."""

import pytest

import lpm_fuzz


@pytest.mark.parametrize("path_min", [None, 0])
@pytest.mark.parametrize("version", [4, 6])
def test_random_operations_agree_with_pytricia_and_brute_force(version, path_min):
    # path_min=0: every update rebuilds only its path below the slot's root
    ops = lpm_fuzz.run(version, 15_000, seed=18, path_min=path_min)
    # every kind of operation ran, /0 and host routes among them (the generator favours them)
    assert all(ops[kind] > 0 for kind in ops), ops


def test_the_reference_finds_the_longest_match():
    ref = lpm_fuzz.Reference(4)
    ref.prefixes = {(0, 0): 1, (10 << 24, 8): 2, ((10 << 24) | 5, 32): 3}
    assert ref.lookup((10 << 24) | 5)[2] == 3
    assert ref.lookup((10 << 24) | 6)[2] == 2
    assert ref.lookup(11 << 24)[2] == 1
    ref.prefixes = {}
    assert ref.lookup(0) is None


def test_a_wrong_answer_is_caught():
    fuzz = lpm_fuzz.Fuzzer(4, seed=1)
    for _ in range(50):
        fuzz.insert()
    # corrupt the table behind the fuzzer's back: some lookup must now disagree
    fuzz.fib.clear()
    with pytest.raises(AssertionError):
        for _ in range(500):
            fuzz.lookup()
