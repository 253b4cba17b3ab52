"""How the adaptive coder codes a sample of more than 8 bits (format 10): its error as a token and raw bits.

An 8-bit sample is coded with the shipped logistic table (rc_plugin.adaptive.logistic), whose offsets reach 256
levels. A wide sample's error can reach 65,535, so it is coded the way JPEG XL codes its residuals: the error
e = v - p (p the coder's prediction, both in 0..top) is folded to u in 0..top (0, -1, +1, -2, ... while both signs
are possible, then the one side left), and u is split into a token (its value below WIDE_TOKEN_DIRECT, else its
bit length and the WIDE_TOKEN_MSB bits after its leading one) and the raw bits below those. The token is coded
with adaptive frequencies kept per channel and per context (the coder's scale in quarter octaves), so the shape of
the error's distribution is learnt from the image, starting from the shipped logistic's; the raw bits, nearly
uniform, are coded flat.

Integers only; the decoder runs the same functions.
"""
from __future__ import annotations

import functools

import numba
import numpy as np

from ..errors import RclError
from ..format import bitstream as bs
from .rangecoder import decoder_normalise, encoder_normalise

#: The bitstream fingerprint and the compiled callees' sources this file's compiled code was written for (see
#: bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3+cdaf12e736d2ea94"
bs.check_compiled_for(__name__, COMPILED_FOR, ("rangecoder.py",))

DIRECT = bs.WIDE_TOKEN_DIRECT
MSB = bs.WIDE_TOKEN_MSB
TOKENS = bs.WIDE_TOKENS
CONTEXTS = bs.WIDE_CONTEXTS
#: log2 of DIRECT (a power of two): the smallest split value's bit length less one.
DIRECT_BITS = DIRECT.bit_length() - 1
assert DIRECT == 1 << DIRECT_BITS and DIRECT_BITS >= MSB


def new_frequencies(channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Each (channel, context)'s token frequencies at the start of a tile, and their totals: the prior."""
    if channels == 0:  # no wide samples (an 8-bit tile, or a logistic stream): nothing to load
        return np.zeros((0, CONTEXTS, TOKENS), np.int64), np.zeros((0, CONTEXTS), np.int64)
    freq = np.repeat(_prior()[None], channels, axis=0)
    return freq, freq.sum(axis=2)


def stream_frequencies(top: int, channels: int, logistic: bool) -> tuple[np.ndarray, np.ndarray]:
    """The token frequencies a stream of samples 0..top starts from: counted ones for a wide stream (top above 255)
    whose tokens do not take the logistic's frequencies, else those of no channel."""
    return new_frequencies(channels if top > bs.WIDE_BYTE_TOP and not logistic else 0)


@functools.lru_cache(maxsize=1)
def _prior() -> np.ndarray:
    """(CONTEXTS, TOKENS) int64: WIDE_FREQ_START each, plus, in a context whose scale the shipped logistic table
    reaches, WIDE_FREQ_PRIOR spread over the tokens as that logistic spreads a folded error (its mass at each
    error e, 2^16 in all, from the table's differences), so a tile's first tokens need not teach the coder the
    shape every error distribution shares. Integers from the shipped table: the same on every machine."""
    from .logistic import HALF, cdf_table

    cdf = cdf_table()[0]
    freq = np.full((CONTEXTS, TOKENS), bs.WIDE_FREQ_START, np.int64)
    u = np.arange(2 * (HALF // 8 - 1))
    e = np.where(u % 2 == 0, u // 2, -(u + 1) // 2)
    # split's Python source: nothing to compile at first use (under NUMBA_DISABLE_JIT split is that function itself)
    python_split = getattr(split, "py_func", split)
    token = np.array([python_split(int(x))[0] for x in u])
    for k in range(CONTEXTS):
        row = (k << bs.WIDE_CONTEXT_SHIFT) + (1 << bs.WIDE_CONTEXT_SHIFT >> 1)  # the context's middle scale
        if row >= cdf.shape[0]:
            break
        mass = cdf[row, HALF + 8 * e + 4] - cdf[row, HALF + 8 * e - 4]
        per_token = np.zeros(TOKENS, np.int64)
        np.add.at(per_token, token, mass)
        freq[k] += (per_token * bs.WIDE_FREQ_PRIOR) >> bs.ADAPTIVE_CDF_BITS
    return freq


@numba.njit(cache=True)
def fold(v, p, top):
    """u in 0..top of value v given prediction p (both 0..top): 0, -1, +1, -2, +2 ... while both signs fit."""
    e = v - p
    m = min(p, top - p)
    if e > m or e < -m:
        return m + abs(e)
    return 2 * e if e >= 0 else -2 * e - 1


@numba.njit(cache=True)
def unfold(u, p, top):
    """The value whose fold is u (clipped to 0..top, which only a corrupt stream needs)."""
    m = min(p, top - p)
    if u <= 2 * m:
        e = u >> 1 if u & 1 == 0 else -((u + 1) >> 1)
    else:
        e = u - m if p <= top - p else m - u
    return min(max(p + e, 0), top)


@numba.njit(cache=True)
def split(u):
    """(token, raw bit count, raw bits) of u."""
    if u < DIRECT:
        return u, 0, 0
    n = 0  # the bit length of u less one
    t = u
    while t > 1:
        t >>= 1
        n += 1
    bits = n - MSB
    token = DIRECT + (n - DIRECT_BITS) * (1 << MSB) + ((u >> bits) & ((1 << MSB) - 1))
    return token, bits, u & ((1 << bits) - 1)


@numba.njit(cache=True)
def raw_bits(token):
    """How many raw bits follow a token."""
    if token < DIRECT:
        return 0
    return (token - DIRECT) // (1 << MSB) + DIRECT_BITS - MSB


@numba.njit(cache=True)
def join(token, raw):
    """u of a token and its raw bits."""
    if token < DIRECT:
        return token
    bits = raw_bits(token)
    lead = (1 << MSB) | ((token - DIRECT) & ((1 << MSB) - 1))
    return (lead << bits) | raw


@numba.njit(cache=True)
def token_start(freq, token):
    """The frequency of the tokens below token."""
    s = 0
    for t in range(token):
        s += freq[t]
    return s


@numba.njit(cache=True)
def find_token(freq, target):
    """(token, start) with start <= target < start + freq[token]."""
    s = 0
    for t in range(TOKENS):
        if s + freq[t] > target:
            return t, s
        s += freq[t]
    return TOKENS - 1, s - freq[TOKENS - 1]


@numba.njit(cache=True)
def learn(freq, totals, k, token):
    """Count a token in context k (freq: that context's frequencies, totals: every context's totals); halve the
    context's counts when their total passes WIDE_FREQ_LIMIT."""
    freq[token] += bs.WIDE_FREQ_STEP
    totals[k] += bs.WIDE_FREQ_STEP
    if totals[k] > bs.WIDE_FREQ_LIMIT:
        s = 0
        for t in range(TOKENS):
            freq[t] = (freq[t] + 1) >> 1
            s += freq[t]
        totals[k] = s


@numba.njit(cache=True, inline="always")  # inlined into both callers: a call per sample costs time
def _code_token(img, y, x, c, p, top, token, bits, raw, unit, start, freq, decoding, inp, out, low, rng, cache,
                pending, pos, code):
    """Code a token (cumulative frequency start and frequency freq, in units of `unit`) and then its raw bits
    (decoding: read them, and write the value of prediction p into img); returns the value and the range coder's
    state."""
    if decoding:
        code -= unit * start
        rng = unit * freq
        code, rng, pos = decoder_normalise(code, rng, inp, pos)
        bits = raw_bits(token)
        raw = 0
        if bits > 0:
            unit = rng >> bits
            raw = min(code // unit, (1 << bits) - 1)
            code -= unit * raw
            rng = unit
            code, rng, pos = decoder_normalise(code, rng, inp, pos)
        v = unfold(join(token, raw), p, top)
        img[y, x, c] = v
    else:
        v = np.int64(img[y, x, c])
        low += unit * start
        rng = unit * freq
        low, rng, cache, pending, pos = encoder_normalise(low, rng, cache, pending, pos, out)
        if bits > 0:
            unit = rng >> bits
            low += unit * raw
            rng = unit
            low, rng, cache, pending, pos = encoder_normalise(low, rng, cache, pending, pos, out)
    return v, low, rng, cache, pending, pos, code


@numba.njit(cache=True)
def code_sample(img, y, x, c, p, top, freq, totals, k, decoding, inp, out, low, rng, cache, pending, pos, code):
    """Code img[y, x, c] (or, decoding, read it into img) given the prediction p in 0..top, with the token
    frequencies freq of context k (totals: the channel's totals); returns the value and the range coder's state
    (low, range, cache, pending, pos, code). A total is at most 2**16 and the range at least 2**24 before each
    step, so every frequency keeps a unit of at least 2**8, and raw bits (at most 13) one of at least 2**11."""
    total = totals[k]
    unit = rng // total
    bits = raw = 0
    if decoding:
        token, start = find_token(freq, min(code // unit, total - 1))
    else:
        token, bits, raw = split(fold(np.int64(img[y, x, c]), p, top))
        start = token_start(freq, token)
    v, low, rng, cache, pending, pos, code = _code_token(img, y, x, c, p, top, token, bits, raw, unit, start,
                                                         freq[token], decoding, inp, out, low, rng, cache, pending,
                                                         pos, code)
    learn(freq, totals, k, token)
    return v, low, rng, cache, pending, pos, code


@numba.njit(cache=True)
def reachable(top):
    """How many tokens the folds of values 0..top reach."""
    return split(top)[0] + 1


@numba.njit(cache=True)
def _mass_below(cdf, row, off, p, top, a):
    """The shipped logistic's mass (of 2^16, scale row `row`, mean p + off/8) on the errors e whose fold around p is
    below a: an interval of e, both signs while both fit, then the one side left."""
    m = min(p, top - p)
    if a <= 2 * m + 1:
        lo, hi = -(a >> 1), (a - 1) >> 1
    elif p <= top - p:
        lo, hi = -p, a - m - 1
    else:
        lo, hi = m + 1 - a, top - p
    half = bs.ADAPTIVE_TABLE_HALF_WIDTH
    return (cdf[row, half + min(max(8 * hi + 4 - off, -half), half)]
            - cdf[row, half + min(max(8 * lo - 4 - off, -half), half)])


@numba.njit(cache=True)
def _cumulative(cdf, row, off, p, top, tokens, span, token):
    """The frequency (of 2^16) below a token: the logistic's mass below its first folded value, every one of the
    tokens keeping a frequency of at least 1."""
    if token >= tokens:
        return 1 << bs.ADAPTIVE_FREQ_BITS
    if span == 0:
        return (token << bs.ADAPTIVE_FREQ_BITS) // tokens
    first = join(token, 0)
    return (_mass_below(cdf, row, off, p, top, first) * ((1 << bs.ADAPTIVE_FREQ_BITS) - tokens)) // span + token


@numba.njit(cache=True)
def code_sample_logistic(img, y, x, c, mu, top, tokens, cdf, row, decoding, inp, out, low, rng, cache, pending, pos,
                         code):
    """Code img[y, x, c] (or, decoding, read it into img) as code_sample does, its token's frequency taken from the
    shipped logistic of scale row `row` around the mean mu (eighths, 0..8 top) instead of adaptive counts (tokens:
    how many a fold of 0..top can reach, reachable(top)); returns the value and the range coder's state."""
    p = min((mu + 4) >> 3, top)
    off = mu - 8 * p
    span = _mass_below(cdf, row, off, p, top, top + 1)
    unit = rng >> bs.ADAPTIVE_FREQ_BITS
    bits = raw = 0
    if decoding:
        target = min(code // unit, (1 << bs.ADAPTIVE_FREQ_BITS) - 1)
        lo, hi = 0, tokens  # f_lo = _cumulative(lo) <= target < _cumulative(hi) = f_hi
        f_lo, f_hi = 0, 1 << bs.ADAPTIVE_FREQ_BITS
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            f_mid = _cumulative(cdf, row, off, p, top, tokens, span, mid)
            if f_mid <= target:
                lo, f_lo = mid, f_mid
            else:
                hi, f_hi = mid, f_mid
        token, start, freq = lo, f_lo, f_hi - f_lo
    else:
        token, bits, raw = split(fold(np.int64(img[y, x, c]), p, top))
        start = _cumulative(cdf, row, off, p, top, tokens, span, token)
        freq = _cumulative(cdf, row, off, p, top, tokens, span, token + 1) - start
    return _code_token(img, y, x, c, p, top, token, bits, raw, unit, start, freq, decoding, inp, out, low, rng, cache,
                       pending, pos, code)


def sample_type(top: int) -> type:
    """uint8 samples up to 255, uint16 above (a wide tile's, format 10)."""
    if not 1 <= top <= bs.WIDE_MAX:
        raise RclError(f"corrupt .rcl tile: samples up to {top}")
    return np.uint8 if top <= bs.WIDE_BYTE_TOP else np.uint16
