"""The adaptive coder's shared integer arithmetic (rc_plugin.adaptive.arith): its quotient by a reciprocal is the
floor division it replaces, compiled and interpreted, at the edges of its fast path and away from them; and the
logistic's integer logarithm, whose small values come from a table."""
import numba
import numpy as np

from rc_plugin.adaptive.arith import FAST_BITS, quotient, reciprocal


@numba.njit  # not cached: numba would not see a change to arith.py
def _mismatches(numerators, divisors):
    """How many (a, n) pairs the compiled quotient gets other than a // n."""
    wrong = 0
    for n in divisors:
        inverse = reciprocal(n)
        for a in numerators:
            if quotient(a, n, inverse) != a // n:
                wrong += 1
    return wrong


def _cases() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    edge = 1 << FAST_BITS
    divisors = np.unique(np.concatenate([
        np.arange(1, 70), [64, 355, 1 << 16, (1 << 16) + 1, 1453635, (1 << 31) - 1, 1 << 31, (1 << 40) + 3],
        rng.integers(1, 1 << 20, 200), rng.integers(1, 1 << 45, 50)])).astype(np.int64)
    numerators = np.unique(np.concatenate([
        np.arange(-300, 300), [edge - 1, edge, edge + 1, -edge + 1, -edge, -edge - 1, (1 << 55), -(1 << 55)],
        rng.integers(-edge, edge, 2000), rng.integers(-(1 << 50), 1 << 50, 200)])).astype(np.int64)
    # exact multiples and their neighbours, where a wrong correction would show
    q = rng.integers(-(1 << 12), 1 << 12, 300)
    n = rng.integers(1, 1 << 17, 300)
    numerators = np.concatenate([numerators, q * n, q * n - 1, q * n + 1]).astype(np.int64)
    return numerators, divisors


def test_quotient_is_floor_division_compiled():
    numerators, divisors = _cases()
    assert _mismatches(numerators, divisors) == 0


def test_quotient_is_floor_division_interpreted():
    numerators, divisors = _cases()
    for n in divisors[::7]:
        inverse = reciprocal.py_func(int(n))
        for a in numerators[::5]:
            assert quotient.py_func(int(a), int(n), inverse) == int(a) // int(n), (a, n)


def test_the_logistic_logarithm_is_floor_of_eight_log2_from_its_table_and_beyond():
    """ilog8 reads its values below SMALL_LOGS from a table built from its loop: both, compiled and interpreted, are
    floor(8 log2 v), decided on Python integers (v**8 >= 2**k)."""
    from rc_plugin.adaptive.logistic import SMALL_LOGS, _log8_of_bits, ilog8

    # around the table's end and at powers of two (v << 16 stays within int64 up to 2**46)
    values = list(range(1, 3 * SMALL_LOGS, 5)) + [(1 << k) + d for k in range(12, 46) for d in (-1, 0, 1)]
    expected = [max(k for k in range(8 * 47) if v ** 8 >= 1 << k) for v in values]
    assert [ilog8(v) for v in values] == expected
    assert [ilog8.py_func(v) for v in values] == expected == [_log8_of_bits.py_func(v) for v in values]
