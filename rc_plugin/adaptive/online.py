"""What the adaptive coder learns as it goes (rc_plugin.adaptive.plane_coder): the blend of its predictions by their
recent errors, the running means its contexts keep, and the normalised-LMS step of its linear predictors.

Integers only; the encoder and the decoder run the same functions, so their models agree by construction.
"""
import numba
import numpy as np

from ..format import bitstream as bs
from .arith import fast_quotient, on_fast_path, quotient, reciprocal, small_quotient

#: The blend's weights 2**WEIGHT_ONE_BITS // d**2 for d below WEIGHT_TABLE (d: a prediction's nearby errors plus
#: WEIGHT_BIAS, nearly always small): a table read where each was a division.
WEIGHT_TABLE = 1024
_WEIGHTS = np.array([0] + [(1 << bs.ADAPTIVE_WEIGHT_ONE_BITS) // (d * d) for d in range(1, WEIGHT_TABLE)], np.int64)

#: The bitstream fingerprint and the compiled callees' sources this file's compiled code was written for (see
#: bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3+2def63dade5f7068"
bs.check_compiled_for(__name__, COMPILED_FOR, ("arith.py",))


@numba.njit(cache=True, inline="always")  # inlined: a call per subpixel cost 5 % of encoding
def blend_predictions(perr, r0, r1, r2, y, x, c, pred, valid, weights, shift, clip):
    """(blend, its error estimate, the predictions' spread, the weights' sum) of the valid predictions (each
    clipped to 0..clip here), weighted by 1 / (s + bias)**2, s a prediction's absolute errors at the nearby decoded
    subpixels (perr: 3 rows of the ring r0, r1, r2 = y, y - 1, y - 2, x offset 2); weights receives each weight.
    A wide sample's errors count >> shift, so ((s >> shift) + bias)**2 stays below 2**40."""
    sw, swp, sws = 0, 0, 0
    for i in range(pred.shape[0]):
        if valid[i] == 0:
            continue
        pred[i] = min(max(pred[i], 0), clip)
        s = 0
        if x >= 1:
            s += perr[r0, x + 1, c, i]
        if x >= 2:
            s += perr[r0, x, c, i]
        if y >= 1:
            s += perr[r1, x + 2, c, i] + perr[r1, x + 1, c, i] + perr[r1, x + 3, c, i]
        if y >= 2:
            s += perr[r2, x + 2, c, i]
        if c > 0:
            s += perr[r0, x + 2, c - 1, i]
        d = (s >> shift) + bs.ADAPTIVE_WEIGHT_BIAS
        wt = _WEIGHTS[d] if d < WEIGHT_TABLE else (1 << bs.ADAPTIVE_WEIGHT_ONE_BITS) // (d * d)
        weights[i] = wt
        sw += wt
        swp += wt * pred[i]
        sws += wt * s
    mean = (swp + (sw >> 1)) // sw
    spread = 0
    for i in range(pred.shape[0]):
        if valid[i]:
            spread += weights[i] * abs(pred[i] - mean)
    return mean, sws // sw, spread // sw, sw


@numba.njit(cache=True, inline="always")
def shrunk_mean(total, count, c, k, prior):
    """Context k of channel c's mean, rounded, as if it had also seen `prior` values of 0; 0 before its first."""
    n = count[c, k]
    return small_quotient(2 * total[c, k] + n + prior, 2 * (n + prior) + 1) if n > 0 else 0


@numba.njit(cache=True, inline="always")
def texture(img, y, x, c, corrected):
    """The texture's bits (format 20): whether each of N, W, NW, NE, NN, WW of subpixel (y, x, c) of img (its values,
    decoded up to it) lies above the corrected prediction (1/8 levels), N's the highest; -1 where the subpixel is too
    near the tile's edge to have them all."""
    if y < 2 or x < 2 or x + 1 >= img.shape[1]:
        return -1
    bits = 0
    for near in (img[y - 1, x, c], img[y, x - 1, c], img[y - 1, x - 1, c], img[y - 1, x + 1, c], img[y - 2, x, c],
                 img[y, x - 2, c]):
        bits = 2 * bits + (1 if 8 * np.int64(near) > corrected else 0)
    return bits


@numba.njit(cache=True, inline="always")  # inlined, as learn: no slower (docs/models.md)
def update(total, count, value, c, k):
    """Add value to context k of channel c's running sum; halve sum and count when the count reaches the limit."""
    total[c, k] += value
    count[c, k] += 1
    if count[c, k] >= bs.ADAPTIVE_COUNT_LIMIT:
        total[c, k] //= 2
        count[c, k] //= 2


@numba.njit(cache=True, inline="always")
def norm(feats, start, floor, largest):
    """(floor plus the squares of feats from index start, the largest of largest and their magnitudes): learn's norm
    and largest feature, or (from the features before start) those of more features."""
    total = floor
    for j in range(start, feats.shape[0]):
        total += feats[j] * feats[j]
        largest = max(largest, abs(feats[j]))
    return total, largest


@numba.njit(cache=True, inline="always")
def learn(weights, c, feats, error, step, size, largest, inverse):
    """One normalised-LMS step of channel c's row of weights towards error (in eighths), each weight clipped: the
    features' share error x feature x step // size, size their norm and largest the largest's magnitude (norm()),
    inverse size's arith.reciprocal."""
    push = error * step
    if on_fast_path(abs(push) * largest, inverse):  # nearly always: a loop that vectorises
        for j in range(feats.shape[0]):
            step_j = fast_quotient(push * feats[j], inverse)
            weights[c, j] = min(max(weights[c, j] + step_j, -bs.ADAPTIVE_WEIGHT_LIMIT), bs.ADAPTIVE_WEIGHT_LIMIT)
    else:
        for j in range(feats.shape[0]):
            step_j = quotient(push * feats[j], size, inverse)  # = (error * feats[j] * step) // size
            weights[c, j] = min(max(weights[c, j] + step_j, -bs.ADAPTIVE_WEIGHT_LIMIT), bs.ADAPTIVE_WEIGHT_LIMIT)


@numba.njit(cache=True, inline="always")
def learn_alone(weights, c, feats, error, step, floor):
    """learn() with the norm of its own features, floor (>= 1) plus their squares."""
    size, largest = norm(feats, 0, floor, 0)
    learn(weights, c, feats, error, step, size, largest, reciprocal(size))


@numba.njit(cache=True, inline="always")
def learn_predictors(lms, fast, wide, c, feats, wfeats, value, plms, pfast, pwide, lms_step, fast_step):
    """learn() of the three LMS predictors (rc_plugin.adaptive.predictors) from value (in eighths): the slow and the
    fast one share their features and so their norm; the wide one's are theirs and more."""
    size, largest = norm(feats, 0, 1, 0)
    inverse = reciprocal(size)
    learn(lms, c, feats, value - plms, lms_step, size, largest, inverse)
    learn(fast, c, feats, value - pfast, fast_step, size, largest, inverse)
    size, largest = norm(wfeats, feats.shape[0], size, largest)
    learn(wide, c, wfeats, value - pwide, lms_step, size, largest, reciprocal(size))
