"""The adaptive coder's shared integer arithmetic (rc_plugin.adaptive.arith): its quotient by a reciprocal is the
floor division it replaces, compiled and interpreted, at the edges of its fast path and away from them."""
import numba
import numpy as np

from rc_plugin.adaptive.arith import FAST_BITS, RECIPROCALS, SMALL_DIVISORS, quotient, reciprocal, small_quotient


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


@numba.njit  # not cached, as _mismatches
def _small_mismatches(numerators, limit):
    wrong = 0
    for n in range(1, limit):
        for a in numerators:
            if small_quotient(a, n) != a // n:
                wrong += 1
    return wrong


def test_the_small_divisors_quotient_is_floor_division():
    """Every divisor the shipped reciprocals cover, over numerators inside and outside the fast path."""
    numerators, _ = _cases()
    assert np.array_equal(RECIPROCALS[1:], [reciprocal.py_func(n) for n in range(1, SMALL_DIVISORS)])
    assert _small_mismatches(numerators[::3], SMALL_DIVISORS) == 0


def test_the_tabled_logarithm_and_blend_weights_are_the_functions_they_replace():
    from rc_plugin.adaptive.logistic import SMALL_LOGS, _log8_of_bits, ilog8
    from rc_plugin.adaptive.online import _WEIGHT_OF
    from rc_plugin.format.bitstream import ADAPTIVE_WEIGHT_ONE_BITS

    # (v << 16 stays within int64 up to 2**46)
    values = list(range(0, 3 * SMALL_LOGS)) + [(1 << k) + d for k in range(12, 46) for d in (-1, 0, 1)]
    assert [ilog8(v) for v in values] == [_log8_of_bits.py_func(v) for v in values]
    assert [ilog8.py_func(v) for v in values[:: 7]] == [_log8_of_bits.py_func(v) for v in values[:: 7]]
    assert all(_WEIGHT_OF[d] == (1 << ADAPTIVE_WEIGHT_ONE_BITS) // (d * d) for d in range(1, len(_WEIGHT_OF)))
