"""Secondary estimation of the adaptive coder's distribution (presets with the sse flag, format 12).

The logistic's shape is one curve for every subpixel; where the values really fall in it depends on the subpixel's
surroundings (a JPEG's block edges, text, noise). So, per context, the coder counts where each coded value fell in
the logistic's CDF (its probability integral transform, an interval of 0..TOTAL) in SSE_BINS equal bins, and codes
the next value with the logistic's CDF mapped through the mean of SSE_TABLES such histograms' CDFs (each read in its
own context), plus 1/256 of the logistic's own, so that no value's frequency is ever zero. A histogram that matches
the logistic's shape maps the CDF to itself. From format 16 a learned tile's mixture (rc_plugin.adaptive.netmix) is
mapped the same way, in the same contexts (the _mix functions): the mixer is trained offline, the tables learn the
image. Every step is integer arithmetic; the decoder runs the same functions.
"""
from __future__ import annotations

import numba
import numpy as np

from ..format import bitstream as bs
from .arith import quotient, reciprocal
from .logistic import TOTAL, below, search
from .netmix import mixture_cdf

#: The bitstream fingerprint and the compiled callees' sources this file's compiled code was written for (see
#: bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3+b9ce4a144a5b02f9"
bs.check_compiled_for(__name__, COMPILED_FOR, ("arith.py", "logistic.py", "netmix.py"))

BINS = bs.ADAPTIVE_SSE_BINS
TABLES = bs.ADAPTIVE_SSE_TABLES
UNIT = bs.ADAPTIVE_SSE_UNIT
LIMIT = bs.ADAPTIVE_SSE_LIMIT * UNIT
FREQ_BITS = bs.ADAPTIVE_FREQ_BITS
ROWS = bs.ADAPTIVE_LOGSCALE_MAX - bs.ADAPTIVE_LOGSCALE_MIN + 1
#: Each table's contexts per channel by kind (none, 1, 2), with the scale row in steps of 8: the first's, of kind 1
#: the signs of the W and N errors (3 x 3), of kind 2 the neighbours' pattern (pattern()); the second's the correction
#: stage's push in 1/64 of the scale (9 levels).
COARSE_ROWS = (ROWS + 7) >> 3
STEP = bs.ADAPTIVE_SSE_PATTERN_STEP
PATTERNS = (2 * STEP + 1) ** 3
CONTEXTS = ((0, 0), (9 * COARSE_ROWS, 9 * COARSE_ROWS), (PATTERNS * COARSE_ROWS, 9 * COARSE_ROWS))
assert 1 << (TABLES.bit_length() - 1) == TABLES == len(CONTEXTS[1])  # the tables' mean is a shift
TABLE_SHIFT = TABLES.bit_length() - 1
#: The precision of a table's reciprocal total: totals stay below 2 ** 21 (LIMIT and one value), so 2 ** 46 / total
#: keeps over 25 bits.
RECIPROCAL_BITS = 30


def new_state(channels: int, kind: int) -> tuple[np.ndarray, np.ndarray]:
    """A tile's tables for every context of secondary estimation's kind (0: none): the bins' weights (TABLES,
    channels * max(CONTEXTS[kind]), BINS), each SSE_PRIOR values' share, and their totals."""
    n = channels * max(CONTEXTS[kind])
    share = bs.ADAPTIVE_SSE_PRIOR * UNIT // BINS
    return np.full((TABLES, n, BINS), share, np.int64), np.full((TABLES, n), share * BINS, np.int64)


@numba.njit(cache=True, inline="always")
def _clamped(d):
    return min(max(d, -STEP), STEP) + STEP


@numba.njit(cache=True, inline="always")
def _less_first(img, y, x, c):
    """The coded channel c's value at (y, x), less the first coded channel's where c is not that one."""
    return np.int64(img[y, x, c]) - np.int64(img[y, x, 0]) if c > 0 else np.int64(img[y, x, 0])


@numba.njit(cache=True, inline="always")
def pattern(img, y, x, c):
    """The neighbours' pattern of subpixel (y, x, c) of img (its coded channels, decoded up to it): 0..PATTERNS - 1
    (bitstream.ADAPTIVE_SSE_PATTERN_STEP). Past the tile's top row or left column a neighbour is the one beside it
    (W for N, NW and NE on the top row, so all its differences are 0; N for W and NW in the left column)."""
    side = 2 * STEP + 1
    if y == 0:
        return (STEP * side + STEP) * side + STEP
    north = _less_first(img, y - 1, x, c)
    north_east = _less_first(img, y - 1, min(x + 1, img.shape[1] - 1), c)
    if x == 0:
        west = north_west = north
    else:
        west, north_west = _less_first(img, y, x - 1, c), _less_first(img, y - 1, x - 1, c)
    return (_clamped(west - north_west) * side + _clamped(north - north_west)) * side + _clamped(north_east - north)


@numba.njit(cache=True)
def contexts(ctx, kind, c, row, first, en, dead_zone, push, mad):
    """Fill ctx (TABLES) with the subpixel's context in each table: first is, of kind 1, the blend's error at W (en
    the one at N), of kind 2 the neighbours' pattern (pattern()); push is the correction stage's change to the blend
    (1/8 levels), mad the logistic's mean deviation at this row."""
    coarse = row >> 3
    per_channel = CONTEXTS[kind]
    if kind == 2:
        ctx[0] = c * per_channel[0] + first * COARSE_ROWS + coarse
    else:
        sw = 0 if first < -dead_zone else (1 if first <= dead_zone else 2)
        sn = 0 if en < -dead_zone else (1 if en <= dead_zone else 2)
        ctx[0] = c * per_channel[0] + (3 * sw + sn) * COARSE_ROWS + coarse
    q = min(max((push * bs.MIXER_NORM_MUL) // mad, -bs.MIXER_FEATURE_LIMIT), bs.MIXER_FEATURE_LIMIT) >> 3
    ctx[1] = c * per_channel[1] + (min(max(q, -4), 4) + 4) * COARSE_ROWS + coarse


@numba.njit(cache=True, inline="always")  # inlined: a call passes 4 arrays, each two atomic reference counts
def prepare(bins, totals, ctx, knots, kind, img, y, x, c, row, ew, en, dead_zone, push, mad):
    """The subpixel's contexts (contexts(), of secondary estimation's kind: img's subpixel (y, x, c) and ew its W
    error), then knots (BINS + 1) := the tables' mean CDF at the bins' edges, in 0..TOTAL: once per subpixel, so that
    each read of the mapped CDF (mapped) is one interpolation. Each table's CDF is its running weight times a
    reciprocal of its total (RECIPROCAL_BITS), so a subpixel costs TABLES divisions."""
    contexts(ctx, kind, c, row, pattern(img, y, x, c) if kind == 2 else ew, en, dead_zone, push, mad)
    for j in range(BINS + 1):
        knots[j] = 0
    for t in range(TABLES):
        k = ctx[t]
        inverse = (1 << (RECIPROCAL_BITS + FREQ_BITS)) // totals[t, k]
        run = 0
        for j in range(BINS):
            run += bins[t, k, j]
            knots[j + 1] += (run * inverse) >> RECIPROCAL_BITS
    for j in range(1, BINS):
        knots[j] >>= TABLE_SHIFT
    knots[BINS] = TOTAL  # the whole CDF, whatever the reciprocals' rounding


@numba.njit(cache=True)
def mapped(knots, f):
    """The tables' mean CDF at f (0..TOTAL), in 0..TOTAL: linear between the knots."""
    p = f * BINS
    j = p >> FREQ_BITS
    if j >= BINS:
        return TOTAL
    return knots[j] + (((knots[j + 1] - knots[j]) * (p & (TOTAL - 1))) >> FREQ_BITS)


@numba.njit(cache=True)
def coded(f, b, knots):
    """The coded frequency of the values < b (0..256) whose logistic's frequency (logistic.below) is f: f mapped by
    the tables, with 1/256 of f itself, scaled to TOTAL - 256, plus one for each value."""
    return ((((mapped(knots, f) * 255 + f) >> 8) * (TOTAL - 256)) >> FREQ_BITS) + b


@numba.njit(cache=True)
def below_sse(cdf, row, mu, clo, per_span, b, knots):
    """coded() of the values < b under the logistic of row centred at mu."""
    return coded(below(cdf, row, mu, clo, per_span, b), b, knots)


@numba.njit(cache=True, inline="always")
def _below_sse_of(state, b):
    cdf, row, mu, clo, per_span, knots = state
    return below_sse(cdf, row, mu, clo, per_span, b, knots)


@numba.njit(cache=True)
def find_sse(cdf, row, mu, clo, per_span, target, knots):
    """The value v with below_sse(v) <= target < below_sse(v + 1) (the decoder's search, logistic.search's)."""
    return search(_below_sse_of, (cdf, row, mu, clo, per_span, knots), mu, target)


@numba.njit(cache=True, inline="always")
def below_sse_mix(cdf, mus, rows, mults, clos, total, b, knots):
    """coded() of the values < b under a learned tile's mixture (netmix.mixture_cdf; format 16)."""
    return coded(mixture_cdf(cdf, mus, rows, mults, clos, total, b), b, knots)


@numba.njit(cache=True, inline="always")
def _below_sse_mix_of(state, b):
    cdf, mus, rows, mults, clos, total, knots = state
    return below_sse_mix(cdf, mus, rows, mults, clos, total, b, knots)


@numba.njit(cache=True)
def find_sse_mix(cdf, mus, rows, mults, clos, total, mu, target, knots):
    """find_sse for a learned tile's mixture: the value v with below_sse_mix(v) <= target < below_sse_mix(v + 1)."""
    return search(_below_sse_mix_of, (cdf, mus, rows, mults, clos, total, knots), mu, target)


@numba.njit(cache=True)
def learn(bins, totals, ctx, lo, hi):
    """Count a value whose interval of the logistic's CDF was lo..hi (0 <= lo < hi <= TOTAL) in each table's
    histogram of its context: UNIT spread over the bins by how much of the interval each covers. A histogram past
    LIMIT is halved, every bin rounded up, so none empties."""
    a0, a1 = lo * BINS, hi * BINS
    j0, j1 = a0 >> FREQ_BITS, (a1 - 1) >> FREQ_BITS  # (a1 <= TOTAL * BINS: j1 < BINS)
    # bin j's share is UNIT * (its overlap with a0..a1) // (a1 - a0): the whole UNIT for an interval inside one bin,
    # else the same for every bin between the first and the last, which it covers whole (the same numbers, fewer
    # divisions)
    first = last = inner = UNIT
    if j1 > j0:  # one division for the three (arith.quotient)
        width = a1 - a0
        inverse = reciprocal(width)
        first = quotient(UNIT * (((j0 + 1) << FREQ_BITS) - a0), width, inverse)
        last = quotient(UNIT * (a1 - (j1 << FREQ_BITS)), width, inverse)
        inner = quotient(UNIT << FREQ_BITS, width, inverse)
    for t in range(TABLES):
        k = ctx[t]
        bins[t, k, j0] += first
        added = first
        for j in range(j0 + 1, j1):
            bins[t, k, j] += inner
            added += inner
        if j1 > j0:
            bins[t, k, j1] += last
            added += last
        totals[t, k] += added
        if totals[t, k] > LIMIT:
            totals[t, k] = 0
            for j in range(BINS):
                bins[t, k, j] = (bins[t, k, j] + 1) >> 1
                totals[t, k] += bins[t, k, j]


@numba.njit(cache=True, inline="always")  # inlined: a call passes 5 arrays, each two atomic reference counts
def code(cdf, row, mu, clo, per_span, v, bins, totals, ctx, knots):
    """(cumulative frequency, frequency) of value v, then v counted (learn)."""
    f_lo, f_hi = below(cdf, row, mu, clo, per_span, v), below(cdf, row, mu, clo, per_span, v + 1)
    start = coded(f_lo, v, knots)
    learn(bins, totals, ctx, f_lo, f_hi)
    return start, coded(f_hi, v + 1, knots) - start


@numba.njit(cache=True, inline="always")  # inlined: a call passes 8 arrays, each two atomic reference counts
def code_mix(cdf, mus, rows, mults, clos, total, v, bins, totals, ctx, knots):
    """code for a learned tile's mixture. A value to which the mixture's rounding gives no mass is counted as the
    narrowest interval at its place."""
    f_lo = mixture_cdf(cdf, mus, rows, mults, clos, total, v)
    f_hi = mixture_cdf(cdf, mus, rows, mults, clos, total, v + 1)
    start = coded(f_lo, v, knots)
    lo = min(f_lo, TOTAL - 1)
    learn(bins, totals, ctx, lo, max(f_hi, lo + 1))
    return start, coded(f_hi, v + 1, knots) - start
