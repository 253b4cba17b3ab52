"""The adaptive coder's predictions of a subpixel from its decoded neighbours (plane_coder blends them).

All in 1/8 grey levels: the classic causal predictors (neighbours, gradients, LOCO-I's median), for G and B
the earlier channel at this pixel plus the neighbours' channel differences, and three normalised-LMS
predictors over neighbour differences (a slow and a fast one, and a wide one over more neighbours).
"""
import numba
import numpy as np

from ..format import bitstream as bs

#: The bitstream fingerprint this file's compiled code was written for (see bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3"
bs.check_compiled_for(__name__, COMPILED_FOR)

PREDICTORS = 17
#: LMS features: 7 neighbour differences and, for G and B, 2 of the earlier channel; the wide LMS adds 3 farther
#: neighbours and 2 more of the earlier channel.
LMS_FEATURES = 9
WIDE_FEATURES = 14


@numba.njit(cache=True)
def _neighbours(img, y, x, c):
    """W, N, NW, NE, WW, NN, NNE, NWW of channel c at (y, x), each replaced by the nearest decoded one outside."""
    w = img.shape[1]
    if y == 0 and x == 0:
        wv = np.int64(img[0, 0, c - 1]) if c > 0 else 128
        nv = nwv = nev = wwv = nnv = nnev = nwwv = wv
    elif y == 0:
        wv = np.int64(img[0, x - 1, c])
        wwv = np.int64(img[0, x - 2, c]) if x >= 2 else wv
        nv = nwv = nev = nnv = nnev = wv
        nwwv = wwv
    else:
        nv = np.int64(img[y - 1, x, c])
        wv = np.int64(img[y, x - 1, c]) if x >= 1 else nv
        wwv = np.int64(img[y, x - 2, c]) if x >= 2 else wv
        nwv = np.int64(img[y - 1, x - 1, c]) if x >= 1 else nv
        nev = np.int64(img[y - 1, x + 1, c]) if x + 1 < w else nv
        nnv = np.int64(img[y - 2, x, c]) if y >= 2 else nv
        nnev = np.int64(img[y - 2, x + 1, c]) if (y >= 2 and x + 1 < w) else nev
        nwwv = np.int64(img[y - 1, x - 2, c]) if x >= 2 else nwv
    return wv, nv, nwv, nev, wwv, nnv, nnev, nwwv


@numba.njit(cache=True)
def _lms(base, weights, c, feats):
    """An LMS prediction in eighths: 8 base plus the features weighted by channel c's row of weights (in
    1/2**LMS_FRAC)."""
    acc = 0
    for j in range(feats.shape[0]):
        acc += weights[c, j] * feats[j]
    return 8 * base + ((8 * acc) >> bs.ADAPTIVE_LMS_FRAC)


@numba.njit(cache=True, inline="always")  # inlined: a call passes 8 arrays, each two atomic reference counts
def predict(img, y, x, c, lms, fast, wide, feats, wfeats, pred, valid):
    """Fill pred and valid (which predictions exist here) and the LMS features; returns the three LMS predictions
    before clipping (their weights learn from those). lms, fast and wide: the LMS weights, a row per channel (whole
    arrays, not a channel's row: a row taken in compiled code costs two atomic reference counts a subpixel)."""
    w = img.shape[1]
    wv, nv, nwv, nev, wwv, nnv, nnev, nwwv = _neighbours(img, y, x, c)
    pred[0], pred[1], pred[2], pred[3] = 8 * wv, 8 * nv, 8 * nwv, 8 * nev
    pred[4], pred[5] = 8 * (wv + nv - nwv), 8 * (wv + nev - nv)
    pred[6], pred[7], pred[8] = 4 * (wv + nev), 8 * (nv + nev - nnev), 8 * (2 * wv - wwv)
    if nwv >= max(wv, nv):
        pred[9] = 8 * min(wv, nv)
    elif nwv <= min(wv, nv):
        pred[9] = 8 * max(wv, nv)
    else:
        pred[9] = 8 * (wv + nv - nwv)
    feats[0], feats[1], feats[2], feats[3] = nv - wv, nwv - wv, nev - wv, wwv - wv
    feats[4], feats[5], feats[6], feats[7], feats[8] = nnv - wv, nnev - wv, nwwv - wv, 0, 0
    for i in range(PREDICTORS):
        valid[i] = 0 if 11 <= i <= 14 else 1
    if c > 0:
        q = np.int64(img[y, x, c - 1])
        if x >= 1:
            feats[7] = q - np.int64(img[y, x - 1, c - 1])
        if y >= 1:
            feats[8] = q - np.int64(img[y - 1, x, c - 1])
        if x >= 1 or y >= 1:
            dw = wv - np.int64(img[y, x - 1, c - 1]) if x >= 1 else nv - np.int64(img[y - 1, x, c - 1])
            dn = nv - np.int64(img[y - 1, x, c - 1]) if y >= 1 else dw
            dne = nev - np.int64(img[y - 1, x + 1, c - 1]) if (y >= 1 and x + 1 < w) else dn
            pred[11], pred[12], pred[13], pred[14] = 8 * (q + dw), 8 * (q + dn), 4 * (2 * q + dw + dn), 8 * (q + dne)
            valid[11] = valid[12] = valid[13] = valid[14] = 1
        else:
            pred[11] = 8 * q
            valid[11] = 1
    plms = pred[10] = _lms(wv, lms, c, feats)
    pfast = pred[15] = _lms(wv, fast, c, feats)
    for j in range(LMS_FEATURES):
        wfeats[j] = feats[j]
    nnwv = np.int64(img[y - 2, x - 1, c]) if (y >= 2 and x >= 1) else nwv
    neev = np.int64(img[y - 1, x + 2, c]) if (y >= 1 and x + 2 < w) else nev
    nneev = np.int64(img[y - 2, x + 2, c]) if (y >= 2 and x + 2 < w) else nnev
    wfeats[9], wfeats[10], wfeats[11], wfeats[12], wfeats[13] = nnwv - wv, neev - wv, nneev - wv, 0, 0
    if c > 0:
        q = np.int64(img[y, x, c - 1])
        if y >= 1 and x + 1 < w:
            wfeats[12] = q - np.int64(img[y - 1, x + 1, c - 1])
        if y >= 1 and x >= 1:
            wfeats[13] = q - np.int64(img[y - 1, x - 1, c - 1])
    pwide = pred[16] = _lms(wv, wide, c, wfeats)
    return plms, pfast, pwide


@numba.njit(cache=True)
def predict_call(img, y, x, c, lms, fast, wide, feats, wfeats, pred, valid):
    """predict, called rather than inlined: the learned mixer's branch of the coder's loop runs 6-7 % faster so (its
    code is large; inlined, the compiled loop lost what the call's reference counts cost), the rest as fast."""
    return predict(img, y, x, c, lms, fast, wide, feats, wfeats, pred, valid)
