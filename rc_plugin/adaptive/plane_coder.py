"""The adaptive coder: every subpixel coded in raster order with a model that learns from the image as it goes.

Per subpixel (R, then G, then B, at each pixel):

* predictions from the decoded neighbours (rc_plugin.adaptive.predictors: W, N, NW, NE, gradients, the median, three
  normalised-LMS predictors) and, for G and B, the earlier channel at this pixel plus the neighbours' differences;
* blended with weights 1 / (s + bias)**2, s each predictor's own errors at the nearby decoded subpixels;
* corrected by a second LMS stage that predicts the blend's error from the neighbours' and the earlier channels'
  errors, and by a bias kept per context (the neighbours' errors' signs x the level; from format 20 also per texture);
* coded with a discretised logistic (rc_plugin.adaptive.logistic) whose scale is the mean absolute error seen in four
  contexts (the blend's error estimate, the neighbours' error energy, the earlier channels' error at this pixel, how
  far the predictions disagree), averaged in the log domain, then calibrated per scale by the ratio of the errors
  seen to the logistic's own mean deviation (with a preset's grid flag, per position in the 8x8 blocks too); with its
  sse flag, the logistic's CDF (or, from format 16, the learned mixer's) mapped by secondary estimation
  (rc_plugin.adaptive.sse).

Encoder and decoder run the same function (``decoding`` says which), so their models agree by construction; integer
arithmetic and shipped tables only, so the bytes decode the same on every machine (numba, no fastmath).
"""
from __future__ import annotations

import numba
import numpy as np

from ..errors import RclError
from ..format import bitstream as bs, streams
from ..format.container import VERSION
from ..jitcache import NO_REFCOUNTS, shipped
from .arith import small_quotient
from .logistic import HALF, TOTAL, below, cdf_table, find, ilog8, per_span_of
from .netmix import (FEATURES, TAP_COLUMNS, below_mix, features, find_mix, forward, guard_after, guard_share, guarded,
                     mixture, prepare)
from .online import blend_predictions, learn_alone, learn_predictors, shrunk_mean, texture, update
from .plane_state import (BIAS_LEVELS, CALIBRATION_BINS, CORRECTION_FEATURES, GRID, PRESETS, SCALE_BINS,
                          SCALE_CONTEXTS, SIGN_CONTEXTS, RING, new_scratch, new_state, preset_row)
from .predictors import PREDICTORS, predict, predict_call
from .rangecoder import END, POS, close_streams, decoder_normalise, encoder_normalise, load, open_streams, store
from . import pipeline, sse
from .tokens import code_sample, code_sample_logistic, reachable, sample_type, stream_frequencies

#: The bitstream fingerprint and the compiled callees' sources this file's compiled code was written for (see
#: bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3+674356b01851dc98"
bs.check_compiled_for(__name__, COMPILED_FOR, ("predictors.py", "logistic.py", "rangecoder.py", "netmix.py",
                                                 "indexed.py", "tokens.py", "online.py", "sse.py", "arith.py",
                                                 "plane_state.py"))

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
# nogil: one image's tiles code at once (rc_plugin.parallel); no reference counts (jitcache.NO_REFCOUNTS): its working
# arrays come from plane_state.new_scratch
@numba.njit(cache=True, nogil=True, **NO_REFCOUNTS)
def code_plane(img, cdf, mad_table, decoding, inp, out, trace, w1, b1, w2, b2, tap, top, token_freq, token_totals,
               preset, state, scratch, coders, y0, y1, c0, c1):
    """Code rows y0..y1 - 1 of channels c0..c1 - 1 of img (h, w, C) into out, or (decoding) fill them from inp: a
    whole tile, or a band of one channel (rc_plugin.adaptive.pipeline). state (plane_state.new_state): what the
    model has learned; scratch (plane_state.new_scratch): working arrays, one set per concurrent call; coders
    (rangecoder.open_streams): the range coders, stream c for channel c where there is one per channel, else stream
    0. Returns 0, or 1 where a decoded stream ran short (corrupt). trace, if it has rows, receives each subpixel's
    (start, frequency). With hidden units (w1's rows), the learned mixer (rc_plugin.adaptive.netmix) codes each
    subpixel; tap, if it has rows, receives each subpixel's mixer features, value, mean and scale row (its training
    data).

    top: the largest value a sample may take, 255 for uint8 samples. Above 255 (uint16 samples of a wide tile,
    format 10) each sample is coded as a token and raw bits (rc_plugin.adaptive.tokens), without a learned mixer,
    the token's frequency from adaptive counts (token_freq and token_totals, tokens.new_frequencies) or, where they
    have no channels, from the logistic; the quantities compared with 8-bit constants (the blend's errors, the dead
    zone, the bias and scale contexts' levels) are taken >> shift, the bits beyond 8. At top = 255 the coder is the
    8-bit one, bit for bit. preset: preset_row's row, a row of PRESETS (row 0 for every tile but a tuned one) and the
    estimators the file's version decides (plane_state.estimators: the bias prior, the correction step, far)."""
    h, w, nc = img.shape
    deep = top > 255
    shift = 0
    while (top >> shift) > 255:
        shift += 1
    clip = 8 * top  # predictions and the mean in 1/8 levels
    dead_zone = bs.ADAPTIVE_DEAD_ZONE << shift
    tokens = reachable(top)
    counted = deep and token_freq.shape[0] > 0  # a wide stream of counted tokens, which needs no calibrated scale
    (perr, berr, bias_total, bias_count, scale_total, scale_count, lms, fast, wide, sse_bins, sse_totals, cal_total,
     cal_count, corr_w, guard) = state
    ring, split = perr.shape[0], coders.shape[0] > 1
    contexts = SCALE_CONTEXTS + 1 if deep else SCALE_CONTEXTS  # a wide sample's fifth: its predicted level
    lms_step, fast_step, grid, prior = preset[0], preset[1], preset[2] != 0, preset[4]
    correction_step, far = preset[5], preset[6] != 0
    secondary = preset[3] if not deep else 0  # secondary estimation's kind (rc_plugin.adaptive.sse), 0 for none
    (sse_ctx, knots, weights, pred, valid, feats, wfeats, cfeats, sk, feat, errors, levels, hidden, net_out, mus, rows,
     mults, clos, spans, net_weights, coded) = scratch
    use_net, tapping = b1.shape[0] > 0, tap.shape[0] > 0
    total = coded_total = share = ck = row = 0
    low, rng, cache, pending, pos, code = load(coders, 0)
    for y in range(y0, y1):
        r0, r1, r2 = y % ring, (y - 1) % ring, (y - 2) % ring  # rows y, y - 1, y - 2 of the ring
        for x in range(w):
            for c in range(c0, c1):
                if split:
                    low, rng, cache, pending, pos, code = load(coders, c)
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
                cfeats[6], cfeats[7] = (berr[r0, x, c], berr[r2, x + 2, c] if y >= 2 else 0) if far else (0, 0)
                acc = 0
                for j in range(CORRECTION_FEATURES):
                    acc += corr_w[c, j] * cfeats[j]
                corrected = blend + (acc >> bs.ADAPTIVE_LMS_FRAC)
                signs = 0
                for e in (ew, en, enw, ene):
                    signs = 3 * signs + (0 if e < -dead_zone else (1 if e <= dead_zone else 2))
                level = min(ilog8((spread >> shift) + 1) >> 3, BIAS_LEVELS - 1)
                bctx, tctx = signs * BIAS_LEVELS + level, SIGN_CONTEXTS + level  # tctx: the texture's (far only)
                bias = shrunk_mean(bias_total, bias_count, c, bctx, prior)
                if far:  # the mean of the sign pattern's bias and the texture's
                    tctx += BIAS_LEVELS * (1 + texture(img, y, x, c, corrected))
                    bias = (bias + shrunk_mean(bias_total, bias_count, c, tctx, prior)) // 2
                mu = corrected + bias
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
                    mad = small_quotient(scale_total[t * nc + c, sk[t]] * 64, scale_count[t * nc + c, sk[t]])
                    logs += ilog8(((mad * bs.ADAPTIVE_SCALE_FROM_MAD) >> 16) + 1)
                si = (logs + contexts // 2) // contexts - 24
                tk = min(max((si - bs.ADAPTIVE_LOGSCALE_MIN) >> bs.WIDE_CONTEXT_SHIFT, 0), bs.WIDE_CONTEXTS - 1)
                if not counted:
                    ck = min(max((si - bs.ADAPTIVE_LOGSCALE_MIN) >> 2, 0), CALIBRATION_BINS - 1)
                    if grid:  # the bins of this position in the block
                        ck = (ck >> bs.ADAPTIVE_GRID_BINS_SHIFT) + CALIBRATION_BINS * ((y % GRID) * GRID + x % GRID)
                    si += ilog8(max(small_quotient(cal_total[c, ck], cal_count[c, ck]), 1)) - 48
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
                    if decoding and pos > coders[c if split else 0, END] + 8:
                        return 1
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
                        share = guard_share(guard[c, 0])
                        coded_total = guarded(share, net_weights, spans, coded)
                    clo = cdf[row, HALF - 4 - mu]
                    per_span = per_span_of(cdf[row, HALF + 2044 - mu] - clo)  # below()'s divisor, as a multiplier
                    if secondary:
                        sse.prepare(sse_bins, sse_totals, sse_ctx, knots, secondary, img, y, x, c, row, ew, en,
                                    dead_zone, corrected - blend, mad_table[row])
                    unit = rng >> bs.ADAPTIVE_FREQ_BITS
                    if decoding:
                        target = min(code // unit, TOTAL - 1)
                        if use_net and secondary:  # the mixture's CDF mapped
                            v = sse.find_sse_mix(cdf, mus, rows, coded, clos, coded_total, mu, target, knots)
                        elif use_net:
                            v = find_mix(cdf, mus, rows, coded, clos, coded_total, mu, target)
                        elif secondary:
                            v = sse.find_sse(cdf, row, mu, clo, per_span, target, knots)
                        else:
                            v = find(cdf, row, mu, clo, per_span, target)
                        img[y, x, c] = v
                    else:
                        v = np.int64(img[y, x, c])
                    if use_net and secondary:
                        start, freq = sse.code_mix(cdf, mus, rows, coded, clos, coded_total, v, sse_bins, sse_totals,
                                                   sse_ctx, knots)
                    elif use_net:
                        start = below_mix(cdf, mus, rows, coded, clos, coded_total, v)
                        freq = below_mix(cdf, mus, rows, coded, clos, coded_total, v + 1) - start
                    elif secondary:
                        start, freq = sse.code(cdf, row, mu, clo, per_span, v, sse_bins, sse_totals, sse_ctx, knots)
                    else:
                        start = below(cdf, row, mu, clo, per_span, v)
                        freq = below(cdf, row, mu, clo, per_span, v + 1) - start
                    if use_net:  # the guard's step, by what was coded
                        guard[c, 0] = guard_after(guard[c, 0], share, cdf, mus, rows, mults, clos, total, row, mu, clo,
                                                  per_span, v, freq)
                    if decoding:
                        code -= unit * start
                        rng = unit * freq
                        code, rng, pos = decoder_normalise(code, rng, inp, pos)
                        if pos > coders[c if split else 0, END] + 8:  # a stream cut short: stop now, not later
                            return 1
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
                if far:
                    update(bias_total, bias_count, 8 * v - corrected, c, tctx)
                for t in range(contexts):
                    update(scale_total, scale_count, abs(8 * v - mu), t * nc + c, sk[t])
                if not counted:
                    update(cal_total, cal_count, (abs(8 * v - mu) << 16) // mad_table[row], c, ck)
                learn_predictors(lms, fast, wide, c, feats, wfeats, 8 * v, plms, pfast, pwide, lms_step, fast_step)
                learn_alone(corr_w, c, cfeats, 8 * v - corrected, correction_step, 64)
                if split:
                    store(coders, c, low, rng, cache, pending, pos, code)
    if not split:
        store(coders, 0, low, rng, cache, pending, pos, code)
    return 0


def encode_streams(img: np.ndarray, net: tuple, top: int, logistic: bool, preset: int, count: int,
                   trace: np.ndarray = _NO_TRACE, tap: np.ndarray = NO_TAP, learned: bool | None = None) -> list[bytes]:
    """The `count` streams (1, or one per channel) of img (h, w, C), as encode_plane's; trace and tap: code_plane's;
    learned: with a learned tile's estimators (plane_state.estimators), by default where net has hidden units."""
    h, w, nc = img.shape
    # a subpixel costs at most FREQ_BITS = 16 bits; a wide one a token's 16 and 13 raw bits
    room = (2 if top <= BYTE_TOP else 4) * h * w * (1 if count > 1 else nc) + 16
    out, starts = np.zeros(count * room, np.uint8), np.arange(count, dtype=np.int64) * room
    coders = open_streams(False, _NO_INPUT, starts, starts + room)
    code_plane(img, *cdf_table(), False, _NO_INPUT, out, trace, *prepare(net), tap, top, *stream_frequencies(top, nc,
               logistic), preset_row(preset, len(net[1]) > 0 if learned is None else learned),
               new_state(w, nc, PRESETS[preset], top > BYTE_TOP), new_scratch(len(net[1])), coders, 0, h, 0, nc)
    close_streams(coders, out)
    return [out[starts[s] : coders[s, POS]].tobytes() for s in range(count)]


def encode_plane(pixels: np.ndarray, net: tuple = NO_NET, top: int = BYTE_TOP, logistic: bool = False,
                 preset: int = 0, split: bool | None = None) -> bytes:
    """The stream of an (h, w, C) image of values 0..top (uint8 up to 255); net: the learned mixer's (w1, b1, w2,
    b2), or none (always none above top 255); logistic: above top 255, tokens take the logistic's frequencies, not
    adaptive counts; preset: the coder's preset (bs.ADAPTIVE_PRESETS), 0 for all but a tuned tile; split: a stream
    per channel (rc_plugin.format.streams), by default where pipeline.split_by_channel says so."""
    img = np.array(pixels, dtype=sample_type(top), order="C")
    h, w, nc = img.shape
    count = nc if (pipeline.split_by_channel(h, w, nc, top) if split is None else split) else 1
    return streams.join(encode_streams(img, net, top, logistic, preset, count))


def decode_plane(data: bytes, h: int, w: int, channels: int, net: tuple = NO_NET, top: int = BYTE_TOP,
                 logistic: bool = False, preset: int = 0, threads: int = 1, version: int = VERSION) -> np.ndarray:
    """The (h, w, channels) image of a stream of a file of `version` (net, top, logistic and preset as encoded: uint8
    up to top 255, else uint16), a split one's channels side by side where threads > 1; a corrupt stream gives wrong
    pixels, which the file's checksum refuses."""
    img = np.zeros((h, w, channels), sample_type(top))
    parts = streams.split(data, channels if top <= BYTE_TOP else 1)  # a wide stream is never split
    inp, starts, ends = pipeline.padded(parts)
    coders = open_streams(True, inp, starts, ends)
    args = (img, *cdf_table(), True, inp, np.zeros(1, np.uint8), _NO_TRACE, *prepare(net), NO_TAP, top,
            *stream_frequencies(top, channels, logistic), preset_row(preset, len(net[1]) > 0, version))
    ring = RING if len(parts) == 1 or threads <= 1 else pipeline.RING  # all at once, or channels side by side
    state = new_state(w, channels, PRESETS[preset], top > BYTE_TOP, ring)
    hidden = len(net[1])
    code = lambda y0, y1, c0, c1: code_plane(*args, state, new_scratch(hidden), coders, y0, y1, c0, c1)  # noqa: E731
    if code(0, h, 0, channels) if ring == RING else pipeline.wavefront(code, h, channels, threads):
        raise RclError("corrupt .rcl tile: its adaptive stream ends too early")  # read > 8 bytes past a stream's end
    return img
