"""The adaptive coder's discretised logistic: the shipped CDF table and the integer frequencies it gives.

The table is a file, not computed at import, so floating point never reaches a decoder.
"""
from __future__ import annotations

import functools
import hashlib
import zipfile

import numba
import numpy as np

from ..format import bitstream as bs
from ..errors import RclError
from ..shipped import WEIGHTS

#: The bitstream fingerprint this file's compiled code was written for (see bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3"
bs.check_compiled_for(__name__, COMPILED_FOR)

CDF_PATH = WEIGHTS / "adaptive_cdf.npz"
HALF = bs.ADAPTIVE_TABLE_HALF_WIDTH
TOTAL = 1 << bs.ADAPTIVE_FREQ_BITS
#: below()'s precision: a logistic's mass (at most 2**CDF_BITS) times its per_span stays below 2**51.
SPAN_SHIFT = 2 * bs.ADAPTIVE_CDF_BITS + 2
_LOG8 = np.array(bs.LOG8_THRESHOLDS, np.int64)


@functools.lru_cache(maxsize=1)
def cdf_table() -> tuple[np.ndarray, np.ndarray]:
    """The shipped tables, int64: the logistic CDF (scales x offsets) and each scale's mean absolute deviation
    (in 1/8192 grey levels)."""
    try:
        with np.load(CDF_PATH) as data:
            cdf = np.ascontiguousarray(data["cdf"], dtype=np.int64)
            mad = np.ascontiguousarray(data["mad"], dtype=np.int64)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise RclError(f"cannot read the adaptive coder's table at {CDF_PATH}: {exc}; reinstall rc_plugin") from exc
    rows = bs.ADAPTIVE_LOGSCALE_MAX - bs.ADAPTIVE_LOGSCALE_MIN + 1
    if cdf.shape != (rows, 2 * HALF + 1) or mad.shape != (rows,) or mad.min() < 1 or np.any(np.diff(cdf, axis=1) < 0):
        # a CDF that ever decreases would give a value no frequency, and the range coder no way on
        raise RclError("the adaptive coder's tables are damaged (shape or order); reinstall rc_plugin")
    return cdf, mad


def table_digest() -> str:
    h = hashlib.sha256()
    for table in cdf_table():
        h.update(table.astype("<i4").tobytes())
    return h.hexdigest()[:16]


@numba.njit(cache=True, inline="always")
def _log8_of_bits(v):
    """floor(8 log2 v) for v >= 1 from v's bit length and the top of its mantissa against LOG8_THRESHOLDS."""
    e = 0
    t = v
    while t >= 2:
        t >>= 1
        e += 1
    m = (v << 16) >> e
    f = 0
    for i in range(7):
        if m >= _LOG8[i]:
            f += 1
    return 8 * e + f


#: ilog8's values below SMALL_LOGS (most of its arguments), from _log8_of_bits' Python source (integers: the same on
#: every machine): 8 KiB, which stays in the fastest cache.
SMALL_LOGS = 1 << 12
_SMALL_LOG8 = np.array([getattr(_log8_of_bits, "py_func", _log8_of_bits)(v) for v in range(SMALL_LOGS)], np.int16)


@numba.njit(cache=True)
def ilog8(v):
    """floor(8 log2 v) for v >= 1, in integers (the same thresholds as the causal pass's); 0 for v <= 0. Below
    SMALL_LOGS from the table of its values: a dozen calls a subpixel, each a loop over v's bits otherwise."""
    if 0 <= v < SMALL_LOGS:
        return np.int64(_SMALL_LOG8[v])
    return _log8_of_bits(v)


@numba.njit(cache=True, inline="always")
def per_span_of(span):
    """below()'s per_span for a logistic whose mass over 0..255 is span (0..2**CDF_BITS): ceil((TOTAL - 256) x
    2**SPAN_SHIFT / span), 0 for span <= 0. One division a subpixel, where below() took one for each of its calls."""
    return (((TOTAL - 256) << SPAN_SHIFT) + span - 1) // span if span > 0 else 0


@numba.njit(cache=True)
def below(cdf, row, mu, clo, per_span, b):
    """Frequency of the values < b (0..256) under the logistic of row centred at mu (1/8 levels), per_span its
    per_span_of(span): the table's mass over 0..255 (above clo, its CDF at -0.5) scaled to TOTAL - 256, plus one for
    each value, so every value stays codable. The mass m below b lies in 0..span, so m x per_span / 2**SPAN_SHIFT
    exceeds m (TOTAL - 256) / span by less than m x span / 2**SPAN_SHIFT / span < 1 / span, too little to reach the
    next integer: its floor is (m (TOTAL - 256)) // span, exactly (arith.quotient's argument)."""
    if per_span <= 0:
        return b * (TOTAL >> 8)
    return (((cdf[row, HALF + 8 * b - 4 - mu] - clo) * per_span) >> SPAN_SHIFT) + b


@numba.njit(cache=True, inline="always")  # inlined into each search, so that its below_of is called directly
def search(below_of, state, mu, target):
    """The value v with below_of(state, v) <= target < below_of(state, v + 1), for a cumulative frequency below_of
    (increasing in v, 0 at 0) of 256 values: galloping out from the predicted value (mu, 1/8 levels), which the value
    is nearly always close to, then bisection, so a few reads of it where a plain bisection of 0..256 takes eight.
    Every decoder search of the adaptive coder is this one, each over its own CDF (state: what below_of reads)."""
    lo = hi = min(max((mu + 4) >> 3, 0), 255)
    step = 1
    if below_of(state, lo) <= target:
        while True:
            hi = lo + step
            if hi >= 256:
                hi = 256
                break
            if below_of(state, hi) > target:
                break
            lo, step = hi, 2 * step
    else:
        while True:
            lo = hi - step
            if lo <= 0:
                lo = 0  # below_of(0) = 0 <= target
                break
            if below_of(state, lo) <= target:
                break
            hi, step = lo, 2 * step
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if below_of(state, mid) <= target:
            lo = mid
        else:
            hi = mid
    return lo


@numba.njit(cache=True, inline="always")
def _below_of(state, b):
    cdf, row, mu, clo, per_span = state
    return below(cdf, row, mu, clo, per_span, b)


@numba.njit(cache=True)
def find(cdf, row, mu, clo, per_span, target):
    """The value v with below(v) <= target < below(v + 1) (the decoder's search)."""
    return search(_below_of, (cdf, row, mu, clo, per_span), mu, target)
