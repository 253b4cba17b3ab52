"""The learned mixer: the adaptive coder's state as features, an integer network over them, and the coded
frequencies of the mixture of logistics it outputs (format 9).

The network is trained offline (models.train_mixer) on features written by this very code (the coder's tap), so
training and decoding read the same numbers. Component 0 of the mixture is the coder's own logistic; the others
are offsets from it in mean and scale. Everything is integer: int16 weights, int32 sums, shifts, and the shipped
CDF table, so every machine decodes the same bytes.
"""
from __future__ import annotations

import numba
import numpy as np

from ..format import bitstream as bs
from .arith import quotient, reciprocal
from .indexed import SQUASH as _SQUASH  # squash(x) = 4096 / (1 + e^(-x/256)), x = -2048..2047
from .logistic import HALF, TOTAL, below, ilog8, search

#: The bitstream fingerprint and the compiled callees' sources this file's compiled code was written for (see
#: bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3+92e9a566d169a5ce"
bs.check_compiled_for(__name__, COMPILED_FOR, ("logistic.py", "indexed.py", "arith.py"))  # indexed: its squash table

FEATURES = bs.MIXER_FEATURES
COMPONENTS = bs.MIXER_COMPONENTS
ROWS = bs.ADAPTIVE_LOGSCALE_MAX - bs.ADAPTIVE_LOGSCALE_MIN + 1
_EXP = np.array(bs.MIXER_EXP_FRACTIONS, np.int64)
#: Columns of the tap after the features: the value, the coder's mean (1/8 levels) and its scale row.
TAP_COLUMNS = FEATURES + 3


@numba.njit(cache=True)
def _norm(d, mad, inverse):
    """An offset d (1/8 levels) in 1/8 of the coder's scale mad (inverse: its arith.reciprocal), clipped."""
    return min(max(quotient(d * bs.MIXER_NORM_MUL, mad, inverse), -bs.MIXER_FEATURE_LIMIT), bs.MIXER_FEATURE_LIMIT)


@numba.njit(cache=True)
def features(f, pred, valid, weights, sw, mu, mad, errors, corrected, blend, levels, row, c, x, y):
    """Fill f (FEATURES) from the coder's state at one subpixel. errors: the blend's errors at W, N, NW, NE and at
    this pixel's two earlier channels; levels: expect, local, earlier, spread (the scale's inputs)."""
    n = pred.shape[0]
    inverse = reciprocal(mad)
    for i in range(n):
        if valid[i]:
            f[i] = _norm(pred[i] - mu, mad, inverse)
            f[n + i] = (weights[i] * 64) // sw
        else:
            f[i] = 0
            f[n + i] = 0
    k = 2 * n
    for j in range(6):
        f[k + j] = _norm(errors[j], mad, inverse)
    k += 6
    f[k] = _norm(corrected - blend, mad, inverse)
    f[k + 1] = _norm(mu - corrected, mad, inverse)
    k += 2
    for j in range(4):
        f[k + j] = min(ilog8(levels[j] + 1), bs.MIXER_FEATURE_LIMIT)
    k += 4
    f[k] = row
    f[k + 1] = mu >> 4
    k += 2
    for j in range(19):
        f[k + j] = 0
    f[k + min(c, 2)] = bs.MIXER_ONE_HOT
    f[k + 3 + (x & 7)] = bs.MIXER_ONE_HOT
    f[k + 11 + (y & 7)] = bs.MIXER_ONE_HOT


def prepare(net: tuple) -> tuple:
    """The arrays code_plane should receive for a mixer's (w1, b1, w2, b2): the same numbers, laid out for forward.
    A wide network's w1 is transposed to (FEATURES, hidden), contiguous, so its first layer runs over the hidden
    units in the inner loop (vectorised) and skips the zero features (most of them: the one-hot block, invalid
    predictors); a narrow one keeps (hidden, FEATURES), its dot products being shorter than a vector pass."""
    w1, b1, w2, b2 = net
    if w1.shape[0] >= _TRANSPOSE_FROM:
        w1 = np.ascontiguousarray(w1.T)
    return w1, b1, w2, b2


#: Hidden widths from which prepare transposes w1 (measured: benchmarks.mixer_speed).
_TRANSPOSE_FROM = 48


@numba.njit(cache=True)
def forward(f, w1, b1, w2, b2, hidden, out):
    """The integer network: out = (W2 clip((W1 f + b1) >> SHIFT1, 0, HIDDEN_MAX) + b2) >> SHIFT2.

    w1 is (hidden, FEATURES) or, from prepare, (FEATURES, hidden) (told apart by b1's length: hidden <=
    HIDDEN_LIMIT < FEATURES). Every partial sum is within int32 (bitstream's MIXER_* notes), so the first layer's
    sums kept in int32 are exact and equal the int64 ones, whatever integer dtypes f and hidden have. Fastest with
    f int16 and hidden int32."""
    nh = b1.shape[0]
    if w1.shape[0] != nh:
        _layer1_transposed(f, w1, b1, hidden)
    else:
        for j in range(nh):
            acc = np.int32(b1[j])
            for i in range(w1.shape[1]):
                acc = np.int32(acc + np.int32(w1[j, i]) * np.int32(f[i]))  # int32 lanes: twice the int64 ones per vector
            hidden[j] = min(max(acc >> bs.MIXER_SHIFT1, 0), bs.MIXER_HIDDEN_MAX)
    for k in range(w2.shape[0]):
        acc = np.int64(b2[k])
        for j in range(nh):
            acc += np.int64(w2[k, j]) * hidden[j]
        out[k] = acc >> bs.MIXER_SHIFT2


@numba.njit(cache=True)
def _layer1_transposed(f, w1t, b1, hidden):
    """hidden = clip((W1 f + b1) >> SHIFT1, 0, HIDDEN_MAX) with w1t = W1 transposed: the sums accumulate in hidden,
    four features a pass over the hidden units, a pass skipped when its four features are all zero."""
    nh = b1.shape[0]
    nf = w1t.shape[0]
    for j in range(nh):
        hidden[j] = b1[j]
    i = 0
    while i + 4 <= nf:
        fa, fb, fc, fd = np.int32(f[i]), np.int32(f[i + 1]), np.int32(f[i + 2]), np.int32(f[i + 3])
        if fa != 0 or fb != 0 or fc != 0 or fd != 0:
            for j in range(nh):
                hidden[j] += (np.int32(w1t[i, j]) * fa + np.int32(w1t[i + 1, j]) * fb + np.int32(w1t[i + 2, j]) * fc
                              + np.int32(w1t[i + 3, j]) * fd)
        i += 4
    while i < nf:
        fa = np.int32(f[i])
        if fa != 0:
            for j in range(nh):
                hidden[j] += np.int32(w1t[i, j]) * fa
        i += 1
    for j in range(nh):
        hidden[j] = min(max(hidden[j] >> bs.MIXER_SHIFT1, 0), bs.MIXER_HIDDEN_MAX)


@numba.njit(cache=True, inline="always")  # inlined: 8 arrays' reference counts a subpixel (2-3 % of decoding)
def mixture(cdf, mad, out, mu, row, mus, rows, mults, clos, spans, weights):
    """The mixture's components (means, rows, weights, masses on 0..255 (spans), and each one's weight over its
    mass, mults) from the network's outputs; returns the total, the mixture's mass on 0..255 in mults' units."""
    top = -bs.MIXER_LOGIT_LIMIT
    for k in range(COMPONENTS):
        top = max(top, min(max(out[k], -bs.MIXER_LOGIT_LIMIT), bs.MIXER_LOGIT_LIMIT))
    sigma = (mad * bs.MIXER_SIGMA_MUL) >> 20  # 1/64 levels
    total = 0
    for k in range(COMPONENTS):
        if k == 0:
            mus[k], rows[k] = mu, row
        else:
            off = min(max(out[COMPONENTS + k - 1], -bs.MIXER_OFFSET_LIMIT), bs.MIXER_OFFSET_LIMIT)
            mus[k] = min(max(mu + ((off * sigma) >> 5), 0), 2040)
            dr = min(max(out[2 * COMPONENTS + k - 2], -bs.MIXER_ROW_LIMIT), bs.MIXER_ROW_LIMIT)
            rows[k] = min(max(row + dr, 0), ROWS - 1)
        d = top - min(max(out[k], -bs.MIXER_LOGIT_LIMIT), bs.MIXER_LOGIT_LIMIT)
        weights[k] = max(_EXP[d & 15] >> (d >> 4), 1)
        clos[k] = cdf[rows[k], HALF - 4 - mus[k]]
        spans[k] = cdf[rows[k], HALF + 2044 - mus[k]] - clos[k]
        mults[k] = (weights[k] << 16) // spans[k] if spans[k] > 0 else 0
        total += mults[k] * spans[k]
    return total


@numba.njit(cache=True)
def guard_share(state):
    """The network's share of the coded mixture (1/4096) from a channel's guard state (1/65536 of a logit)."""
    return _SQUASH[min(max(state >> 8, -2048), 2047) + 2048]


@numba.njit(cache=True, inline="always")  # inlined: a call passes 3 arrays, each two atomic reference counts
def guarded(share, weights, spans, mults):
    """The coded mixture's mults: share/4096 of the network's mixture, the rest the coder's own logistic
    (component 0); returns its total as mixture() does."""
    whole = 0
    for k in range(COMPONENTS):
        whole += weights[k]
    total = 0
    for k in range(COMPONENTS):
        part = share * ((weights[k] << 12) // whole)
        if k == 0:
            part += (4096 - share) << 12
        mults[k] = ((part >> 12) << 16) // spans[k] if spans[k] > 0 else 0
        total += mults[k] * spans[k]
    return total


@numba.njit(cache=True)
def guard_step(state, share, f_net, f_own, f_coded):
    """The guard state after a value with frequencies f_net (the network's mixture), f_own (the coder's logistic)
    and f_coded (what was coded): a step down the code length's gradient (half a logit per unit of it: the
    divisor's GUARD_SHIFT), clipped."""
    den = f_coded << bs.MIXER_GUARD_SHIFT
    step = ((f_net - f_own) * (share * (4096 - share)) + (den >> 1)) // den
    return min(max(state + step, -bs.MIXER_GUARD_LIMIT), bs.MIXER_GUARD_LIMIT)


@numba.njit(cache=True, inline="always")  # inlined: a call passes 7 arrays, each two atomic reference counts
def guard_after(state, share, cdf, mus, rows, mults, clos, total, row, mu, clo, per_span, v, f_coded):
    """guard_step after value v, coded with frequency f_coded: the network's mixture's frequency of v (mus .. total,
    from mixture()) against the coder's logistic's (row, mu, clo, per_span)."""
    f_net = below_mix(cdf, mus, rows, mults, clos, total, v + 1) - below_mix(cdf, mus, rows, mults, clos, total, v)
    f_own = below(cdf, row, mu, clo, per_span, v + 1) - below(cdf, row, mu, clo, per_span, v)
    return guard_step(state, share, f_net, f_own, f_coded)


@numba.njit(cache=True, inline="always")  # inlined: up to a dozen calls a subpixel, each 5 arrays' reference counts
def below_mix(cdf, mus, rows, mults, clos, total, b):
    """Frequency of the values < b (0..256) under the mixture: its mass scaled to TOTAL - 256, plus one for each
    value (as logistic.below for one component)."""
    if total <= 0:
        return b * (TOTAL >> 8)
    return (_mass_below(cdf, mus, rows, mults, clos, b) * (TOTAL - 256)) // total + b


@numba.njit(cache=True, inline="always")  # inlined: as below_mix
def mixture_cdf(cdf, mus, rows, mults, clos, total, b):
    """The mixture's CDF at the values < b (0..256) in 0..TOTAL, without below_mix's one for each value: what
    secondary estimation maps (rc_plugin.adaptive.sse, format 16), which adds its own."""
    if total <= 0:
        return b * (TOTAL >> 8)
    return (_mass_below(cdf, mus, rows, mults, clos, b) * TOTAL) // total


@numba.njit(cache=True, inline="always")
def _mass_below(cdf, mus, rows, mults, clos, b):
    """The mixture's mass at the values < b, in the units of mixture()'s total."""
    g = 0
    for k in range(COMPONENTS):
        g += mults[k] * (cdf[rows[k], HALF + 8 * b - 4 - mus[k]] - clos[k])
    return g


@numba.njit(cache=True, inline="always")
def _below_mix_of(state, b):
    cdf, mus, rows, mults, clos, total = state
    return below_mix(cdf, mus, rows, mults, clos, total, b)


@numba.njit(cache=True)
def find_mix(cdf, mus, rows, mults, clos, total, mu, target):
    """The value v with below_mix(v) <= target < below_mix(v + 1) (logistic.search: galloping from the mean, then
    bisection)."""
    return search(_below_mix_of, (cdf, mus, rows, mults, clos, total), mu, target)
