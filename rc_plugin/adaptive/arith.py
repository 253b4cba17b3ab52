"""Integer arithmetic the adaptive coder's compiled loops share: the quotient of many numerators by one divisor.

A subpixel divides by the same number many times (each LMS step by its norm, the learned mixer's features by the
scale). A signed floor division is the dearest integer operation there, so these take a reciprocal once and give
each quotient by a multiply and one correction: the same integer as ``a // n``, exactly, on every machine.
"""
import numba

from ..format import bitstream as bs

#: The bitstream fingerprint this file's compiled code was written for (see bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3"
bs.check_compiled_for(__name__, COMPILED_FOR)

#: reciprocal()'s precision: 2**RECIPROCAL_BITS // n.
RECIPROCAL_BITS = 32
#: quotient()'s numerators below 2**FAST_BITS in magnitude take the multiply: the reciprocal then errs by under
#: 2**(FAST_BITS - RECIPROCAL_BITS) = 1/4, and |a| x reciprocal stays below 2**62.
FAST_BITS = 30


@numba.njit(cache=True, inline="always")
def reciprocal(n):
    """2**RECIPROCAL_BITS // n, for n >= 1: what quotient() multiplies by."""
    return (1 << RECIPROCAL_BITS) // n


@numba.njit(cache=True, inline="always")
def quotient(a, n, inverse):
    """floor(a / n) for n >= 1, given inverse = reciprocal(n). Where |a| < 2**FAST_BITS, a x inverse / 2**32 lies
    within 1/4 of a / n (below it for a >= 0, above for a < 0), so its floor is the quotient or one from it, which
    one comparison tells; other numerators are divided."""
    if -(1 << FAST_BITS) < a < (1 << FAST_BITS):
        q = (a * inverse) >> RECIPROCAL_BITS
        if q * n > a:
            return q - 1
        if (q + 1) * n <= a:
            return q + 1
        return q
    return a // n
