"""Integer arithmetic the adaptive coder's compiled loops share: the quotient of many numerators by one divisor.

A subpixel divides by the same number many times (each LMS step by its norm, the learned mixer's features by the
scale). A signed floor division is the dearest integer operation there, so these take a reciprocal once and give
each quotient by one multiply and a shift (Granlund and Montgomery's division by invariant integers): the same
integer as ``a // n``, exactly, on every machine.
"""
import numba
import numpy as np

from ..format import bitstream as bs

#: The bitstream fingerprint this file's compiled code was written for (see bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3"
bs.check_compiled_for(__name__, COMPILED_FOR)

#: quotient()'s fast path: numerators below 2**FAST_BITS in magnitude and divisors below 2**DIVISOR_BITS.
FAST_BITS, DIVISOR_BITS = 30, 31


@numba.njit(cache=True, inline="always")
def bit_length(n):
    """The bits of n (0 <= n < 2**63), without a branch: six halvings of the range."""
    bits = 0
    for half in (32, 16, 8, 4, 2, 1):
        more = np.int64(n >= (1 << half)) * half
        n >>= more
        bits += more
    return bits + n  # n is 0 or 1 now


@numba.njit(cache=True, inline="always")
def reciprocal(n):
    """What quotient() multiplies by for the divisor n >= 1: (ceil(2**shift / n), shift), shift = FAST_BITS + 1 +
    bit_length(n), so that the product of a fast-path numerator and the first stays below 2**63; (0, 63) where n is
    beyond the fast path."""
    shift = FAST_BITS + 1 + bit_length(n)
    if n >= (1 << DIVISOR_BITS):
        return np.int64(0), np.int64(63)
    return ((1 << shift) + n - 1) // n, shift


@numba.njit(cache=True, inline="always")
def fast_quotient(a, inverse):
    """quotient(a, n, inverse) where a and n are known to be on its fast path: no test, so that a loop of them
    vectorises."""
    multiplier, shift = inverse
    sign = a >> 63
    return (((a ^ sign) * multiplier) >> shift) ^ sign


@numba.njit(cache=True, inline="always")
def on_fast_path(largest, inverse):
    """Whether every numerator of magnitude up to largest, divided by the divisor of inverse (its reciprocal()),
    takes quotient()'s fast path."""
    return largest < (1 << FAST_BITS) and inverse[1] < 63


@numba.njit(cache=True, inline="always")
def quotient(a, n, inverse):
    """floor(a / n) for n >= 1, given inverse = reciprocal(n). On the fast path (-2**FAST_BITS <= a < 2**FAST_BITS,
    n below 2**DIVISOR_BITS) u = a, or -a - 1 for a < 0 (a xor its sign), is below 2**FAST_BITS, and u x ceil(2**shift
    / n) / 2**shift exceeds u / n by less than u x n / 2**shift / n < 1 / (2 n), too little to reach the next
    integer: its floor is floor(u / n), with no correction to compute or branch on; for a < 0, floor(a / n) = -1 -
    floor(u / n), the same xor. Other numerators are divided."""
    if on_fast_path(a ^ (a >> 63), inverse):
        return fast_quotient(a, inverse)
    return a // n


#: small_quotient's divisors below SMALL_DIVISORS (the counts of the coder's running means, below
#: ADAPTIVE_COUNT_LIMIT, and the bias's shrunk counts) read their reciprocal() from a table: 9 KiB.
SMALL_DIVISORS = 1 << 10
_SMALL_SHIFTS = np.array([63] + [FAST_BITS + 1 + n.bit_length() for n in range(1, SMALL_DIVISORS)], np.int8)
_SMALL_MULTIPLIERS = np.array([0] + [((1 << int(_SMALL_SHIFTS[n])) + n - 1) // n for n in range(1, SMALL_DIVISORS)],
                              np.int64)


@numba.njit(cache=True, inline="always")
def small_quotient(a, n):
    """floor(a / n) for n >= 1, by quotient() with n's reciprocal from the table where it has it (no division)."""
    if n < SMALL_DIVISORS:
        return quotient(a, n, (_SMALL_MULTIPLIERS[n], np.int64(_SMALL_SHIFTS[n])))
    return a // n
