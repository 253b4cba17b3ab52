"""The adaptive coder's shared integer arithmetic (rc_plugin.adaptive.arith): its quotient by a reciprocal is the
floor division it replaces, compiled and interpreted, at the edges of its fast path and away from them, with its
reciprocals computed or read from a table; the logistic's frequencies by a multiply are its division's; and the
logistic's integer logarithm, whose small values come from a table."""
import numba
import numpy as np

from rc_plugin.adaptive.arith import (_SMALL_MULTIPLIERS, _SMALL_SHIFTS, DIVISOR_BITS, FAST_BITS, SMALL_DIVISORS,
                                      bit_length, quotient, reciprocal, small_quotient)
from rc_plugin.adaptive.logistic import HALF, TOTAL, below, per_span_of
from rc_plugin.format import bitstream as bs


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
        [(1 << k) + d for k in range(1, DIVISOR_BITS + 1) for d in (-1, 0, 1)],  # each bit length's edges
        rng.integers(1, 1 << 20, 200), rng.integers(1, 1 << 45, 50)])).astype(np.int64)
    numerators = np.unique(np.concatenate([
        np.arange(-300, 300), [edge - 1, edge, edge + 1, -edge + 1, -edge, -edge - 1, (1 << 55), -(1 << 55)],
        [edge - 1 - k for k in range(100)], [-edge + k for k in range(100)],  # the fast path's largest
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


def test_bit_length_is_pythons_compiled_and_interpreted():
    """reciprocal's shift rests on bit_length: Python's int.bit_length at every power of two's edges."""
    values = [0, 1, 2, 3] + [(1 << k) + d for k in range(2, 63) for d in (-1, 0, 1) if (1 << k) + d < 1 << 63]
    expected = [int(v).bit_length() for v in values]
    assert [bit_length(np.int64(v)) for v in values] == expected
    assert [int(bit_length.py_func(np.int64(v))) for v in values] == expected


@numba.njit  # not cached, as _mismatches
def _small_mismatches(numerators, limit):
    """How many (a, n), n in 1..limit, small_quotient gets other than a // n, or whose table entry is not
    reciprocal(n)'s."""
    wrong = 0
    for n in range(1, limit):
        if n < SMALL_DIVISORS and reciprocal(n) != (_SMALL_MULTIPLIERS[n], np.int64(_SMALL_SHIFTS[n])):
            wrong += 1
        for a in numerators:
            if small_quotient(a, n) != a // n:
                wrong += 1
    return wrong


def test_small_quotient_reads_the_reciprocals_from_its_table_and_is_floor_division():
    numerators, _ = _cases()
    assert _small_mismatches(numerators[::13], SMALL_DIVISORS + 50) == 0
    for n in (1, 2, 3, 255, 256, 767, SMALL_DIVISORS - 1, SMALL_DIVISORS, SMALL_DIVISORS + 1):
        for a in numerators[::97]:
            assert small_quotient.py_func(int(a), n) == int(a) // n, (a, n)


@numba.njit  # not cached, as _mismatches
def _below_mismatches(masses):
    """How many (span, mass below b) pairs, span 1..2**CDF_BITS and the mass within it, logistic.below's multiply
    by per_span_of(span) gets other than the division it replaces."""
    wrong = 0
    cdf = np.zeros((1, 2 * HALF + 1), np.int64)
    for span in range(1, (1 << bs.ADAPTIVE_CDF_BITS) + 1):
        per_span = per_span_of(span)
        for k in range(6 + masses.shape[0]):
            m = (0, 1, span // 3, span // 2, span - 1, span)[k] if k < 6 else masses[k - 6]
            if m > span:
                continue
            cdf[0, HALF + 8 - 4] = m  # the mass below b = 1 of a logistic centred at 0, whose CDF at -0.5 is 0
            if below(cdf, 0, 0, 0, per_span, 1) != (m * (TOTAL - 256)) // span + 1:
                wrong += 1
    return wrong


def test_below_multiplies_exactly_where_it_divided():
    """below()'s division by the logistic's mass over 0..255 became a multiply (its reciprocal once a subpixel): the
    same frequencies for every span and mass (format 20's bytes, the golden files', do not change)."""
    masses = np.random.default_rng(3).integers(0, 1 << bs.ADAPTIVE_CDF_BITS, 8)
    assert _below_mismatches(masses) == 0
    assert below.py_func(np.array([[0] * (HALF + 4) + [5] + [0] * HALF]), 0, 0, 0, per_span_of.py_func(7), 1) == (
        (5 * (TOTAL - 256)) // 7 + 1)
