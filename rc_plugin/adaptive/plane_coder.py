"""The adaptive coder: every subpixel coded in raster order with a model that learns from the image as it goes.

Per subpixel (R, then G, then B, at each pixel):

* predictions from the decoded neighbours (rc_plugin.adaptive.predictors: W, N, NW, NE, gradients, the median
  predictor, three normalised-LMS predictors over neighbour differences) and, for G and B, from the earlier channel at
  this pixel plus the neighbours' channel differences;
* blended with weights 1 / (s + bias)**2, s each predictor's own errors at the nearby decoded subpixels, so the
  predictor that has been right here lately counts most;
* corrected by a second LMS stage that predicts the blend's error from the neighbours' and the earlier channels'
  errors, and by a bias kept per context (the signs of the neighbours' errors and the error level);
* coded with a discretised logistic (rc_plugin.adaptive.logistic) whose scale is the mean absolute error seen in four
  contexts (the blend's error estimate, the neighbours' error energy, the earlier channels' error at this pixel, how
  far the predictions disagree), averaged in the log domain, then calibrated per scale by the ratio of the errors
  seen to the logistic's own mean deviation (with a preset's grid flag, per position in the 8x8 blocks too); with its
  sse flag, the logistic's CDF mapped by secondary estimation (rc_plugin.adaptive.sse).

Encoder and decoder run the same function (``decoding`` says which), so their models agree by construction. Integer
arithmetic and shipped tables only, so the bytes decode the same on every machine; numba compiles it (no fastmath).
"""
from __future__ import annotations

import numba
import numpy as np

from ..format import bitstream as bs
from ..errors import RclError
from ..jitcache import shipped
from .logistic import HALF, TOTAL, below, cdf_table, find, ilog8
from .netmix import (COMPONENTS, FEATURES, TAP_COLUMNS, below_mix, features, find_mix, forward, guard_share, guard_step,
                     guarded, mixture, prepare)
from .online import blend_predictions, learn, update
from .predictors import LMS_FEATURES, PREDICTORS, WIDE_FEATURES, predict, predict_call
from .rangecoder import close_stream, decoder_normalise, encoder_normalise, open_stream
from . import sse
from .tokens import code_sample, code_sample_logistic, new_frequencies, reachable

#: The bitstream fingerprint and the compiled callees' sources this file's compiled code was written for (see
#: bitstream.check_compiled_for).
COMPILED_FOR = "48aeb2889f47cf03+1d98ee2dfadec389"
bs.check_compiled_for(__name__, COMPILED_FOR, ("predictors.py", "logistic.py", "rangecoder.py", "netmix.py",
                                                 "indexed.py", "tokens.py", "online.py", "sse.py", "arith.py"))

CALIBRATION_BINS, CALIBRATION_START = bs.ADAPTIVE_CALIBRATION_BINS, bs.ADAPTIVE_CALIBRATION_START
GRID, BIAS_LEVELS = bs.ADAPTIVE_GRID, bs.ADAPTIVE_BIAS_LEVELS
#: Each preset's (LMS step, fast LMS step, grid, sse), as bitstream.ADAPTIVE_PRESETS says.
PRESETS = np.array(bs.ADAPTIVE_PRESETS, np.int64)
#: Correction-stage features: the blend's errors at the two earlier channels of this pixel and at W, N, NW, NE.
CORRECTION_FEATURES = 6
#: Scale contexts: the error estimate, the neighbours' errors, the earlier channels' error x the error estimate, the
#: predictions' spread; each has 64 bins but the third, which has 256.
SCALE_CONTEXTS, SCALE_BINS = 4, 256
_NO_TRACE = np.zeros((0, 2), np.int64)
BYTE_TOP = bs.WIDE_BYTE_TOP  # the largest 8-bit sample: code_plane's top for every tile but a wide one's
NO_TAP = np.zeros((0, TAP_COLUMNS), np.int16)
#: No learned mixer: the network's weights (int16) and biases (int32) with no hidden units.
NO_NET = (np.zeros((0, FEATURES), np.int16), np.zeros(0, np.int32), np.zeros((bs.MIXER_OUTPUTS, 0), np.int16),
          np.zeros(bs.MIXER_OUTPUTS, np.int32))
#: The encoder's unused input, read-only like the decoder's (whose unused output is writable like the encoder's): one
#: compiled specialisation for both, not two for a fresh process (docs/models.md, "First use").
_NO_INPUT = np.frombuffer(b"\0", np.uint8)


@shipped  # machine code built at install (rc_plugin.jitcache)
@numba.njit(cache=True, nogil=True)  # nogil: one image's tiles code at once (rc_plugin.parallel)
def code_plane(img, cdf, mad_table, decoding, inp, out, trace, w1, b1, w2, b2, tap, top, token_freq, token_totals,
               preset):
    """Code img (h, w, C) into out, or (decoding) fill img from the stream inp; returns bytes written (encoding) or
    read (decoding). trace, if it has rows, receives each subpixel's (start, frequency). With hidden units (w1's rows),
    the learned mixer (rc_plugin.adaptive.netmix) codes each subpixel; tap, if it has rows, receives each subpixel's
    mixer features, value, mean and scale row (its training data).

    top: the largest value a sample may take, 255 for uint8 samples. Above 255 (uint16 samples of a wide tile,
    format 10) each sample is coded as a token and raw bits (rc_plugin.adaptive.tokens), without a learned mixer,
    the token's frequency from adaptive counts (token_freq and token_totals, tokens.new_frequencies) or, where they
    have no channels, from the logistic; the quantities compared with 8-bit constants (the blend's errors, the dead
    zone, the bias and scale contexts' levels) are taken >> shift, the bits beyond 8. At top = 255 the coder is the
    8-bit one, bit for bit. preset: a row of PRESETS (row 0 for every tile but a tuned one)."""
    h, w, nc = img.shape
    deep = top > 255
    shift = 0
    while (top >> shift) > 255:
        shift += 1
    clip = 8 * top  # predictions and the mean in 1/8 levels
    dead_zone = bs.ADAPTIVE_DEAD_ZONE << shift
    tokens = reachable(top)
    counted = deep and token_freq.shape[0] > 0  # a wide stream of counted tokens, which needs no calibrated scale
    perr = np.zeros((3, w + 4, nc, PREDICTORS), np.int64)  # |error| of each predictor; 3 rows, x offset 2
    berr = np.zeros((3, w + 4, nc), np.int64)  # signed error of the blend, 1/8 levels
    bias_total = np.zeros((nc, 81 * BIAS_LEVELS), np.int64)
    bias_count = np.zeros((nc, 81 * BIAS_LEVELS), np.int64)
    scale_total = np.full(((SCALE_CONTEXTS + 1) * nc, SCALE_BINS), bs.ADAPTIVE_SCALE_INIT, np.int64)  # row t*nc+c
    scale_count = np.ones(((SCALE_CONTEXTS + 1) * nc, SCALE_BINS), np.int64)
    contexts = SCALE_CONTEXTS + 1 if deep else SCALE_CONTEXTS  # a wide sample's fifth: its predicted level
    weights = np.zeros(PREDICTORS, np.int64)
    lms, fast = np.zeros((nc, LMS_FEATURES), np.int64), np.zeros((nc, LMS_FEATURES), np.int64)
    wide = np.zeros((nc, WIDE_FEATURES), np.int64)
    wfeats = np.zeros(WIDE_FEATURES, np.int64)
    lms_step, fast_step, grid = preset[0], preset[1], preset[2] != 0
    secondary = preset[3] != 0 and not deep  # secondary estimation of the logistic (rc_plugin.adaptive.sse)
    sse_bins, sse_totals, sse_ctx, knots = sse.new_state(nc if secondary else 0)
    cells = GRID * GRID if grid else 1  # calibration bins per channel: a set per grid position
    cal_total = np.full((nc, cells * CALIBRATION_BINS), 64 * CALIBRATION_START, np.int64)
    cal_count = np.full((nc, cells * CALIBRATION_BINS), CALIBRATION_START, np.int64)
    corr_w = np.zeros((nc, CORRECTION_FEATURES), np.int64)
    pred, valid = np.zeros(PREDICTORS, np.int64), np.zeros(PREDICTORS, np.int64)
    feats = np.zeros(LMS_FEATURES, np.int64)
    cfeats = np.zeros(CORRECTION_FEATURES, np.int64)
    sk = np.zeros(SCALE_CONTEXTS + 1, np.int64)
    use_net, tapping = b1.shape[0] > 0, tap.shape[0] > 0
    feat = np.zeros(FEATURES, np.int16)  # each within +-127: the network's int32 sums read them
    errors, levels = np.zeros(6, np.int64), np.zeros(4, np.int64)
    hidden = np.zeros(b1.shape[0], np.int32)
    net_out = np.zeros(bs.MIXER_OUTPUTS, np.int64)
    mus = np.zeros(COMPONENTS, np.int64)
    rows = np.zeros(COMPONENTS, np.int64)
    mults = np.zeros(COMPONENTS, np.int64)
    clos = np.zeros(COMPONENTS, np.int64)
    spans = np.zeros(COMPONENTS, np.int64)
    net_weights = np.zeros(COMPONENTS, np.int64)
    coded = np.zeros(COMPONENTS, np.int64)  # the coded mixture's mults: the network's, guarded
    guard = np.full(nc, bs.MIXER_GUARD_START, np.int64)
    total = coded_total = share = ck = row = 0
    low, rng, cache, pending, pos, code = open_stream(decoding, inp)
    for y in range(h):
        r0, r1, r2 = y % 3, (y + 2) % 3, (y + 1) % 3  # rows y, y - 1, y - 2 of the ring
        for x in range(w):
            for c in range(nc):
                if use_net:  # (predictors.predict_call says why)
                    plms, pfast, pwide = predict_call(img, y, x, c, lms, fast, wide, feats, wfeats, pred, valid)
                else:
                    plms, pfast, pwide = predict(img, y, x, c, lms, fast, wide, feats, wfeats, pred, valid)
                blend, expect, spread, sw = blend_predictions(perr, r0, r1, r2, y, x, c, pred, valid, weights, shift,
                                                              clip)
                ew, en, enw, ene = berr[r0, x + 1, c], berr[r1, x + 2, c], berr[r1, x + 1, c], berr[r1, x + 3, c]
                # correction stage
                cfeats[0] = berr[r0, x + 2, c - 1] if c > 0 else 0
                cfeats[1] = berr[r0, x + 2, c - 2] if c > 1 else 0
                cfeats[2], cfeats[3], cfeats[4], cfeats[5] = ew, en, enw, ene
                acc = 0
                for j in range(CORRECTION_FEATURES):
                    acc += corr_w[c, j] * cfeats[j]
                corrected = blend + (acc >> bs.ADAPTIVE_LMS_FRAC)
                signs = 0
                for e in (ew, en, enw, ene):
                    signs = 3 * signs + (0 if e < -dead_zone else (1 if e <= dead_zone else 2))
                bctx = signs * BIAS_LEVELS + min(ilog8((spread >> shift) + 1) >> 3, BIAS_LEVELS - 1)
                n = bias_count[c, bctx]
                mu = corrected + ((2 * bias_total[c, bctx] + n) // (2 * n + 1) if n > 0 else 0)
                mu = min(max(mu, 0), clip)
                # scale: the four contexts' mean absolute errors, averaged in the log domain
                local = abs(ew) + abs(en) + (abs(enw) + abs(ene)) // 2
                earlier = 0
                if c > 0:
                    local += abs(berr[r0, x + 2, c - 1])
                    earlier = abs(berr[r0, x + 2, c - 1])
                if c > 1:
                    earlier = (earlier + abs(berr[r0, x + 2, c - 2])) // 2
                sk[0] = min(ilog8(expect + 1) >> 1, 63)
                sk[1] = min(ilog8(local + 1) >> 1, 63)
                sk[2] = 16 * min(ilog8((earlier >> shift) + 1) >> 2, 15) + min(ilog8(expect + 1) >> 3, 15)
                sk[3] = min(ilog8(spread + 1) >> 1, 63)
                logs = 0
                sk[4] = min(ilog8(mu + 1) >> bs.WIDE_LEVEL_SHIFT, SCALE_BINS - 1)
                for t in range(contexts):
                    mad = scale_total[t * nc + c, sk[t]] * 64 // scale_count[t * nc + c, sk[t]]
                    logs += ilog8(((mad * bs.ADAPTIVE_SCALE_FROM_MAD) >> 16) + 1)
                si = (logs + contexts // 2) // contexts - 24
                tk = min(max((si - bs.ADAPTIVE_LOGSCALE_MIN) >> bs.WIDE_CONTEXT_SHIFT, 0), bs.WIDE_CONTEXTS - 1)
                if not counted:
                    ck = min(max((si - bs.ADAPTIVE_LOGSCALE_MIN) >> 2, 0), CALIBRATION_BINS - 1)
                    if grid:  # the bins of this position in the block
                        ck = (ck >> bs.ADAPTIVE_GRID_BINS_SHIFT) + CALIBRATION_BINS * ((y % GRID) * GRID + x % GRID)
                    si += ilog8(max(cal_total[c, ck] // cal_count[c, ck], 1)) - 48
                    si = min(max(si, bs.ADAPTIVE_LOGSCALE_MIN), bs.ADAPTIVE_LOGSCALE_MAX)
                    row = si - bs.ADAPTIVE_LOGSCALE_MIN
                if deep:  # a wide sample: a token and raw bits (rc_plugin.adaptive.tokens)
                    if counted:
                        v, low, rng, cache, pending, pos, code = code_sample(
                            img, y, x, c, min((mu + 4) >> 3, top), top, token_freq[c, tk], token_totals[c], tk,
                            decoding, inp, out, low, rng, cache, pending, pos, code)
                    else:
                        v, low, rng, cache, pending, pos, code = code_sample_logistic(
                            img, y, x, c, mu, top, tokens, cdf, row, decoding, inp, out, low, rng, cache, pending, pos,
                            code)
                    if decoding and pos > inp.shape[0] + 8:
                        return pos
                else:
                    if use_net or tapping:
                        errors[0], errors[1], errors[2], errors[3] = ew, en, enw, ene
                        errors[4], errors[5] = cfeats[0], cfeats[1]
                        levels[0], levels[1], levels[2], levels[3] = expect, local, earlier, spread
                        features(feat, pred, valid, weights, sw, mu, mad_table[row], errors, corrected, blend, levels,
                                 row, c, x, y)
                    if use_net:
                        forward(feat, w1, b1, w2, b2, hidden, net_out)
                        total = mixture(cdf, mad_table[row], net_out, mu, row, mus, rows, mults, clos, spans, net_weights)
                        share = guard_share(guard[c])
                        coded_total = guarded(share, net_weights, spans, coded)
                    clo = cdf[row, HALF - 4 - mu]
                    span = cdf[row, HALF + 2044 - mu] - clo
                    if secondary:
                        sse.prepare(sse_bins, sse_totals, sse_ctx, knots, c, row, ew, en, dead_zone, corrected - blend,
                                    mad_table[row])
                    unit = rng >> bs.ADAPTIVE_FREQ_BITS
                    if decoding:
                        target = min(code // unit, TOTAL - 1)
                        if use_net:
                            v = find_mix(cdf, mus, rows, coded, clos, coded_total, mu, target)
                        elif secondary:
                            v = sse.find_sse(cdf, row, mu, clo, span, target, knots)
                        else:
                            v = find(cdf, row, mu, clo, span, target)
                        img[y, x, c] = v
                    else:
                        v = np.int64(img[y, x, c])
                    if use_net:
                        start = below_mix(cdf, mus, rows, coded, clos, coded_total, v)
                        freq = below_mix(cdf, mus, rows, coded, clos, coded_total, v + 1) - start
                        f_net = (below_mix(cdf, mus, rows, mults, clos, total, v + 1)
                                 - below_mix(cdf, mus, rows, mults, clos, total, v))
                        f_own = below(cdf, row, mu, clo, span, v + 1) - below(cdf, row, mu, clo, span, v)
                        guard[c] = guard_step(guard[c], share, f_net, f_own, freq)
                    elif secondary:
                        start, freq = sse.code(cdf, row, mu, clo, span, v, sse_bins, sse_totals, sse_ctx, knots)
                    else:
                        start = below(cdf, row, mu, clo, span, v)
                        freq = below(cdf, row, mu, clo, span, v + 1) - start
                    if decoding:
                        code -= unit * start
                        rng = unit * freq
                        code, rng, pos = decoder_normalise(code, rng, inp, pos)
                        if pos > inp.shape[0] + 8:  # a stream cut short: stop now, not after the whole tile
                            return pos
                    else:
                        k = (y * w + x) * nc + c
                        if trace.shape[0] > 0:
                            trace[k, 0], trace[k, 1] = start, freq
                        if tapping:
                            for j in range(FEATURES):
                                tap[k, j] = feat[j]
                            tap[k, FEATURES], tap[k, FEATURES + 1], tap[k, FEATURES + 2] = v, mu, row
                        low += unit * start
                        rng = unit * freq
                        low, rng, cache, pending, pos = encoder_normalise(low, rng, cache, pending, pos, out)
                # learn from the value
                for i in range(PREDICTORS):
                    perr[r0, x + 2, c, i] = abs(8 * v - pred[i]) if valid[i] else 0
                berr[r0, x + 2, c] = 8 * v - blend
                update(bias_total, bias_count, 8 * v - corrected, c, bctx)
                for t in range(contexts):
                    update(scale_total, scale_count, abs(8 * v - mu), t * nc + c, sk[t])
                if not counted:
                    update(cal_total, cal_count, (abs(8 * v - mu) << 16) // mad_table[row], c, ck)
                learn(lms, c, feats, 8 * v - plms, lms_step, 1)
                learn(fast, c, feats, 8 * v - pfast, fast_step, 1)
                learn(wide, c, wfeats, 8 * v - pwide, lms_step, 1)
                learn(corr_w, c, cfeats, 8 * v - corrected, bs.ADAPTIVE_CORRECTION_STEP, 64)
    if not decoding:
        pos = close_stream(low, cache, pending, pos, out)
    return pos


_NO_TOKENS = new_frequencies(0)  # no wide samples: token frequencies of no channel (needed only above top 255)


def _tokens(top: int, channels: int, logistic: bool) -> tuple[np.ndarray, np.ndarray]:
    return new_frequencies(channels) if top > BYTE_TOP and not logistic else _NO_TOKENS


def _sample_type(top: int) -> type:
    """uint8 samples up to 255, uint16 above (a wide tile's, format 10)."""
    if not 1 <= top <= bs.WIDE_MAX:
        raise RclError(f"corrupt .rcl tile: samples up to {top}")
    return np.uint8 if top <= BYTE_TOP else np.uint16


def encode_plane(pixels: np.ndarray, net: tuple = NO_NET, top: int = BYTE_TOP, logistic: bool = False,
                 preset: int = 0) -> bytes:
    """The stream of an (h, w, C) image of values 0..top (uint8 up to 255); net: the learned mixer's (w1, b1, w2,
    b2), or none (always none above top 255); logistic: above top 255, tokens take the logistic's frequencies, not
    adaptive counts; preset: the coder's preset (bs.ADAPTIVE_PRESETS), 0 for all but a tuned tile."""
    img = np.array(pixels, dtype=_sample_type(top), order="C")
    # a subpixel costs at most FREQ_BITS = 16 bits; a wide one a token's 16 and 13 raw bits
    out = np.zeros((2 if top <= BYTE_TOP else 4) * img.size + 16, np.uint8)
    n = code_plane(img, *cdf_table(), False, _NO_INPUT, out, _NO_TRACE, *prepare(net), NO_TAP, top,
                   *_tokens(top, img.shape[2], logistic), PRESETS[preset])
    return out[:n].tobytes()


def decode_plane(data: bytes, h: int, w: int, channels: int, net: tuple = NO_NET, top: int = BYTE_TOP,
                 logistic: bool = False, preset: int = 0) -> np.ndarray:
    """The (h, w, channels) image of a stream (net, top, logistic and preset as encoded: uint8 up to top 255, else
    uint16); a corrupt stream gives wrong pixels, which the file's checksum refuses."""
    img = np.zeros((h, w, channels), _sample_type(top))
    read = code_plane(img, *cdf_table(), True, np.frombuffer(data, np.uint8), np.zeros(1, np.uint8), _NO_TRACE,
                      *prepare(net), NO_TAP, top, *_tokens(top, channels, logistic), PRESETS[preset])
    if read > len(data) + 8:  # the decoder may look a few bytes past the encoder's flush, never more
        raise RclError("corrupt .rcl tile: its adaptive stream ends too early")
    return img
