"""The JPEG tile's coefficient coder: every component's quantised coefficients in one range-coded stream of binary
decisions under adaptive probabilities (docs/format.md, "JPEG tile"), a few context-modelled decisions a coefficient
where JPEG's Huffman codes spend a fixed code per run and size.

For each block, in raster order, component by component, in zigzag order: before each AC position, whether a non-zero
coefficient is still to come (by the position and how far the left and upper blocks reach); each coefficient's being
non-zero (by its band, the left and upper blocks' magnitudes there and the non-zeros so far; the DC as its difference
from its neighbours' mean); its sign (by the neighbours' signs); its magnitude less one as its bit length in unary
and the bits below the leading one, each in a context of band, neighbours or length.
"""
import numba
import numpy as np

from ..rangecoder import close_stream, code_bit, open_stream
from ...format import bitstream as bs
from ...format import jpeg_bits as jb
from ...jitcache import NO_REFCOUNTS, shipped

#: The bitstream fingerprint this file's compiled code was written for (see bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3+cdaf12e736d2ea94"
bs.check_compiled_for(__name__, COMPILED_FOR, ("../rangecoder.py",))

BANDS = np.array(jb.JPEG_BANDS, np.int64)
BUCKET_BOUNDS = np.array(jb.JPEG_MAGNITUDE_BUCKETS, np.int64)
#: 65536 // (n + 2): a probability moves by 1/(n + 2) of its error after n observations.
RATES = np.array([65536 // (n + 2) for n in range(jb.JPEG_COUNT_LIMIT + 1)], np.int64)
_CLASSES, _BAND_COUNT, _BUCKETS, _NONZEROS = 2, 7, len(jb.JPEG_MAGNITUDE_BUCKETS) + 1, 8
_LENGTHS = jb.JPEG_LENGTH_BITS + 1
#: Each kind of decision's contexts: (its offset in the one table of probabilities, its shape).
_MORE = (_CLASSES, 64, 8)
_ZERO = (_CLASSES, 2, _BAND_COUNT, _BUCKETS, _NONZEROS)
_SIGN = (_CLASSES, 64, 3)
_SIZE = (_CLASSES, 2, _BAND_COUNT, _BUCKETS, _LENGTHS)
_BITS = (_CLASSES, 2, _BAND_COUNT, _LENGTHS, _LENGTHS)
_SHAPES = (_MORE, _ZERO, _SIGN, _SIZE, _BITS)
_SIZES = [int(np.prod(s)) for s in _SHAPES]
MORE, ZERO, SIGN, SIZE, BITS = (int(sum(_SIZES[:i])) for i in range(len(_SHAPES)))
CONTEXTS = int(sum(_SIZES))


@numba.njit(cache=True, inline="always")
def _bucket(a, bounds):
    """How many of the bucket bounds a magnitude exceeds: 0, 1, 2, 3-4, 5-8, 9-16, more."""
    k = 0
    while k < bounds.shape[0] and a > bounds[k]:
        k += 1
    return k


@numba.njit(cache=True, inline="always")
def _code_bit(bit, ctx, prob, seen, rates, decoding, inp, out, low, rng, cache, pending, pos, code):
    """Code one decision (decoding: read it) in context ctx, then move its probability; returns the bit and the
    coder's state."""
    bit, low, rng, cache, pending, pos, code = code_bit(bit, min(max(prob[ctx] >> 4, 1), 4095), decoding, inp, out,
                                                        low, rng, cache, pending, pos, code)
    n = seen[ctx]
    prob[ctx] += (((bit << 16) - prob[ctx]) * rates[n]) >> 16
    seen[ctx] = min(n + 1, jb.JPEG_COUNT_LIMIT)
    return bit, low, rng, cache, pending, pos, code


@shipped  # machine code built at install (rc_plugin.jitcache)
@numba.njit(cache=True, nogil=True)
def code_coefficients(blocks, layout, decoding, inp, out, bands, bounds, rates):
    """Code blocks (n, 64) int32, zigzag order, into out, or (decoding) fill them from inp. layout (components, 4):
    each component's class (0 luma, 1 chroma), blocks down, across, and its first row in blocks. Returns the bytes
    written or read; -1 where a decoded value passes COEF_LIMIT or the output would not fit out (encoding)."""
    return _code_blocks(blocks, layout, decoding, inp, out, bands, bounds, rates, np.full(CONTEXTS, 1 << 15, np.int64),
                        np.zeros(CONTEXTS, np.int64))


@numba.njit(cache=True, nogil=True, **NO_REFCOUNTS)
def _code_blocks(blocks, layout, decoding, inp, out, bands, bounds, rates, prob, seen):
    """code_coefficients' loop over the blocks, with its contexts' probabilities and counts (without reference
    counts: they outlive it)."""
    low, rng, cache, pending, pos, code = open_stream(decoding, inp)
    limit = out.shape[0] - 4096  # a block codes at most 64 x 35 decisions of at most 12 bits
    for c in range(layout.shape[0]):
        cls, down, across, first = layout[c, 0], layout[c, 1], layout[c, 2], layout[c, 3]
        for by in range(down):
            for bx in range(across):
                i = first + by * across + bx
                left = i - 1 if bx > 0 else -1
                up = i - across if by > 0 else -1
                last, reach = -1, 0
                for z in range(64):
                    if not decoding and blocks[i, z] != 0:
                        last = z
                    if left >= 0 and blocks[left, z] != 0:
                        reach = max(reach, z)
                    if up >= 0 and blocks[up, z] != 0:
                        reach = max(reach, z)
                reach = min(reach >> 3, 7)
                nonzeros = 0
                for z in range(64):
                    if z > 0:
                        follows = 1 if last >= z else 0
                        ctx = MORE + (cls * 64 + z) * 8 + reach
                        follows, low, rng, cache, pending, pos, code = _code_bit(
                            follows, ctx, prob, seen, rates, decoding, inp, out, low, rng, cache, pending, pos, code)
                        if not follows:
                            break
                        a = (abs(blocks[left, z]) if left >= 0 else 0) + (abs(blocks[up, z]) if up >= 0 else 0)
                        pred, dc = 0, 0
                    else:
                        wdc = blocks[left, 0] if left >= 0 else (blocks[up, 0] if up >= 0 else 0)
                        ndc = blocks[up, 0] if up >= 0 else wdc
                        pred, dc = (wdc + ndc) >> 1, 1
                        a = abs(wdc - ndc)
                    v = 0 if decoding else blocks[i, z] - pred
                    near, band = _bucket(a, bounds), bands[z]
                    ctx = ZERO + (((cls * 2 + dc) * _BAND_COUNT + band) * _BUCKETS + near) * _NONZEROS
                    ctx += min(nonzeros, _NONZEROS - 1)
                    nonzero, low, rng, cache, pending, pos, code = _code_bit(
                        1 if v != 0 else 0, ctx, prob, seen, rates, decoding, inp, out, low, rng, cache, pending, pos,
                        code)
                    if nonzero:
                        nonzeros += 1
                        state = 1
                        if z > 0:
                            t = np.sign(blocks[left, z]) if left >= 0 else 0
                            t += np.sign(blocks[up, z]) if up >= 0 else 0
                            state = 0 if t < 0 else (1 if t == 0 else 2)
                        negative, low, rng, cache, pending, pos, code = _code_bit(
                            1 if v < 0 else 0, SIGN + (cls * 64 + z) * 3 + state, prob, seen, rates, decoding, inp,
                            out, low, rng, cache, pending, pos, code)
                        m = abs(v) - 1
                        length = 0
                        if not decoding:
                            while (m >> length) > 0:
                                length += 1
                        size_ctx = SIZE + (((cls * 2 + dc) * _BAND_COUNT + band) * _BUCKETS + near) * _LENGTHS
                        n = 0
                        while n < jb.JPEG_LENGTH_BITS:
                            longer, low, rng, cache, pending, pos, code = _code_bit(
                                1 if length > n else 0, size_ctx + n, prob, seen, rates, decoding, inp, out, low, rng,
                                cache, pending, pos, code)
                            if not longer:
                                break
                            n += 1
                        if decoding:
                            length, m = n, (1 << n) >> 1
                        bits_ctx = BITS + (((cls * 2 + dc) * _BAND_COUNT + band) * _LENGTHS + length) * _LENGTHS
                        for j in range(length - 2, -1, -1):
                            bit, low, rng, cache, pending, pos, code = _code_bit(
                                (m >> j) & 1, bits_ctx + j, prob, seen, rates, decoding, inp, out, low, rng, cache,
                                pending, pos, code)
                            if decoding:
                                m |= bit << j
                        if decoding:
                            v = -(m + 1) if negative else m + 1
                    if decoding:
                        value = v + pred
                        if value > jb.JPEG_COEF_LIMIT or value < -jb.JPEG_COEF_LIMIT:
                            return -1
                        blocks[i, z] = value
                        if value != 0:
                            last = z
                if decoding and pos > inp.shape[0] + 8:  # a stream cut short: stop now
                    return pos
                if not decoding and pos > limit:
                    return -1
    if not decoding:
        pos = close_stream(low, cache, pending, pos, out)
    return pos
