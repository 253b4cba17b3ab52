"""The index coder: a palette tile's indices, coded bit by bit with probabilities mixed from their neighbourhoods.

Drawings, text, maps, masks and screenshots have few colours and sharp, repeated shapes; a value predictor
smooths what it should copy. Here each index is coded as its bits, most significant first, and each bit's
probability comes from what followed the same neighbourhood before, in several context sets of growing size
(the node of the bits coded so far and nothing else; W; N; W and N; the four nearest; the six nearest; twelve;
seventeen), as JBIG's templates do for two colours and as the strongest context-mixing coders do for more. The
sets' predictions are mixed by an online logistic mixer whose weights are chosen by how the nearest neighbours
agree, then refined by an adaptive probability map, and a binary range coder codes the bit.

Every number is an integer, the stretch and squash tables are built from integers, and the hashes stay inside
int64 without wrapping, so the compiled code and its Python source give the same bytes on every machine.
"""
from __future__ import annotations

import numba
import numpy as np

from ..format import bitstream as bs
from ..errors import RclError
from ..jitcache import NO_REFCOUNTS, shipped
from .rangecoder import close_stream, code_bit, open_stream

#: The bitstream fingerprint and the compiled callees' sources this file's compiled code was written for (see
#: bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3+cdaf12e736d2ea94"
bs.check_compiled_for(__name__, COMPILED_FOR, ("rangecoder.py",))

TEMPLATE = bs.INDEX_TEMPLATE
SET_SIZES = bs.INDEX_SET_SIZES
SETS = len(SET_SIZES)
INPUTS = SETS + 1  # and a bias
#: Mixer weight sets: bit position (up to 16) x the agreement pattern of W, N, NW, NE, WW (16).
MIXER_SETS = 16 * 16
OUTSIDE = bs.INDEX_OUTSIDE  # its bits below 16 are 0


def _tables() -> tuple[np.ndarray, np.ndarray]:
    """squash (index x + 2048 for x in -2048..2047 -> 12-bit probability) and stretch (its inverse), integers."""
    pts = np.array(bs.INDEX_SQUASH_POINTS, np.int64)
    x = np.arange(-2048, 2048, dtype=np.int64)
    i = (x + 2048) >> 7
    frac = (x + 2048) & 127
    squash = (pts[i] * (128 - frac) + pts[np.minimum(i + 1, 32)] * frac + 64) >> 7
    stretch = np.empty(4096, np.int64)
    j = 0
    for k in range(4096):  # the smallest x whose squash reaches k
        while j < 4095 and squash[j] < k:
            j += 1
        stretch[k] = j - 2048
    return squash, stretch


SQUASH, STRETCH = _tables()
#: The encoder's unused input, read-only like the decoder's (a stream's bytes): one compiled specialisation for both.
_NO_INPUT = np.frombuffer(b"\0", np.uint8)
#: The state maps' step after n observations: 2**16 / (n + 1.5), so a context learns fast, then settles.
RECIPROCAL = np.array([(1 << 17) // (2 * n + 3) for n in range(bs.INDEX_COUNT_LIMIT + 1)], np.int64)


@numba.njit(cache=True)
def _squash(d, squash):
    return squash[min(max(d, -2048), 2047) + 2048]


@numba.njit(cache=True)
def _neighbour(img, y, x, dy, dx):
    yy, xx = y + dy, x + dx
    if yy < 0 or xx < 0 or xx >= img.shape[1]:
        return OUTSIDE
    return np.int64(img[yy, xx])


@numba.njit(cache=True)
def _slot(base, node, mask):
    """A table slot for a context hash and the node of the bits coded so far; every product stays below 2**63."""
    h = (base ^ (node * bs.INDEX_NODE_MULTIPLIER)) & 0xFFFFFFFF
    return ((h * bs.INDEX_SLOT_MULTIPLIER) >> bs.INDEX_SLOT_SHIFT) & mask


@shipped  # machine code built at install (rc_plugin.jitcache)
@numba.njit(cache=True, nogil=True)  # nogil: one image's tiles code at once (rc_plugin.parallel)
def code_indices(img, n, decoding, inp, out, squash, stretch, reciprocal):
    """Code img (h, w) of indices below n into out, or (decoding) fill img from inp; returns the bytes written
    (encoding) or read (decoding), or -1 when a decoded index is n or more (a corrupt stream)."""
    h, w = img.shape
    nbits = 0  # a one-colour tile codes nothing
    while (1 << nbits) < n:
        nbits += 1
    table_bits = bs.INDEX_TABLE_BITS_MIN
    while table_bits < bs.INDEX_TABLE_BITS_MAX and (1 << table_bits) <= h * w * nbits:
        table_bits += 1
    mask = (1 << table_bits) - 1
    # each entry: its 16-bit probability of a 1 above its count (8 bits), one read for both
    state = np.full((SETS, 1 << table_bits), (1 << 15) << 8, np.int32)
    weights = np.full((MIXER_SETS, INPUTS), bs.INDEX_WEIGHT_INIT, np.int64)
    contexts = 1 << (bs.INDEX_APM_NEIGHBOURS + bs.INDEX_APM_NODE_BITS)
    apm = np.empty((contexts * 33,), np.int64)  # contexts x 33 interpolation points, 16-bit probabilities
    for k in range(contexts):
        for j in range(33):
            apm[k * 33 + j] = squash[min((j - 16) * 128, 2047) + 2048] * 16
    base = np.zeros(SETS, np.int64)
    slots = np.zeros(SETS, np.int64)
    st = np.zeros(INPUTS, np.int64)
    nb = np.zeros(len(TEMPLATE), np.int64)
    return _code_pixels(img, n, nbits, mask, decoding, inp, out, squash, stretch, reciprocal, state, weights, apm,
                        base, slots, st, nb)


@numba.njit(cache=True, nogil=True, **NO_REFCOUNTS)
def _code_pixels(img, n, nbits, mask, decoding, inp, out, squash, stretch, reciprocal, state, weights, apm, base, slots,
                 st, nb):
    """code_indices' loop over the pixels, with the tables it made (without reference counts: they outlive it)."""
    h, w = img.shape
    low, rng, cache, pending, pos, code = open_stream(decoding, inp)
    for y in range(h):
        for x in range(w):
            for t in range(len(TEMPLATE)):
                nb[t] = _neighbour(img, y, x, TEMPLATE[t][0], TEMPLATE[t][1])
            for s in range(SETS):
                hs = s + 1
                for t in range(SET_SIZES[s]):
                    hs = ((hs * bs.INDEX_HASH_STEP) + nb[t] + 1) & 0xFFFFFFFF
                base[s] = hs
            agree = (nb[0] == nb[1]) + 2 * (nb[1] == nb[2]) + 4 * (nb[1] == nb[3]) + 8 * (nb[0] == nb[4])
            value = 0 if decoding else np.int64(img[y, x])
            node = 1
            for j in range(nbits - 1, -1, -1):
                mset = (nbits - 1 - j) * 16 + agree
                dot = 0
                for s in range(SETS):
                    slots[s] = _slot(base[s], node, mask)
                    st[s] = stretch[state[s, slots[s]] >> 12]
                    dot += weights[mset, s] * st[s]
                st[SETS] = bs.INDEX_BIAS_INPUT
                dot += weights[mset, SETS] * bs.INDEX_BIAS_INPUT
                pmix = _squash(dot >> 16, squash)
                # the adaptive probability map, over the mixed stretch, in a context of the nearest indices' bits
                sm = min(max(dot >> 16, -2047), 2047) + 2048
                lo_j = sm >> 7
                frac = sm & 127
                # the map's context: bit j of W, N, NW and NE (OUTSIDE's bits are 0) and the node's last bits
                near = 0
                for t in range(bs.INDEX_APM_NEIGHBOURS):
                    near += ((nb[t] >> j) & 1) << t
                actx = (near << bs.INDEX_APM_NODE_BITS) + (node & ((1 << bs.INDEX_APM_NODE_BITS) - 1))
                a0 = actx * 33 + lo_j
                papm = (apm[a0] * (128 - frac) + apm[a0 + 1] * frac) >> 11
                share = bs.INDEX_APM_SHARE
                p1 = min(max((pmix + share * papm + (share + 1) // 2) // (share + 1), 1), 4095)
                bit, low, rng, cache, pending, pos, code = code_bit(
                    0 if decoding else (value >> j) & 1, p1, decoding, inp, out, low, rng, cache, pending, pos, code)
                if decoding and pos > inp.shape[0] + 8:  # a stream cut short: stop now, not after the whole tile
                    return pos
                # learn
                err = (bit << 12) - pmix
                for s in range(INPUTS):
                    weights[mset, s] = min(max(weights[mset, s] + ((st[s] * err) >> bs.INDEX_MIXER_SHIFT),
                                               -bs.INDEX_WEIGHT_LIMIT), bs.INDEX_WEIGHT_LIMIT)
                for s in range(SETS):
                    k = slots[s]
                    p, seen = state[s, k] >> 8, state[s, k] & 255
                    p += (((bit << 16) - bit - p) * reciprocal[seen]) >> 16
                    state[s, k] = (p << 8) | min(seen + 1, bs.INDEX_COUNT_LIMIT)
                target = bit * 65535
                apm[a0] += ((target - apm[a0]) * (128 - frac)) >> (7 + bs.INDEX_APM_RATE)
                apm[a0 + 1] += ((target - apm[a0 + 1]) * frac) >> (7 + bs.INDEX_APM_RATE)
                node = 2 * node + bit
            if decoding:
                index = node - (1 << nbits)
                if index >= n:
                    return -1
                img[y, x] = index
    if not decoding:
        pos = close_stream(low, cache, pending, pos, out)
    return pos


def encode_indices(indices: np.ndarray, n: int) -> bytes:
    """The stream of an (h, w) plane of indices below n (1 <= n <= PALETTE_MAX)."""
    img = np.ascontiguousarray(indices, dtype=np.uint16)
    out = np.zeros(2 * img.size * 16 + 16, np.uint8)  # a bit costs at most 12 bits
    written = code_indices(img, n, False, _NO_INPUT, out, SQUASH, STRETCH, RECIPROCAL)
    return out[:written].tobytes()


def decode_indices(data: bytes, h: int, w: int, n: int) -> np.ndarray:
    """The (h, w) uint16 plane of indices of a stream; refuses an index outside the palette."""
    img = np.zeros((h, w), np.uint16)
    read = code_indices(img, n, True, np.frombuffer(data, np.uint8), np.zeros(1, np.uint8), SQUASH, STRETCH,
                        RECIPROCAL)
    if read < 0:
        raise RclError("corrupt .rcl tile: an index beyond its palette")
    if read > len(data) + 8:  # the decoder may look a few bytes past the encoder's flush, never more
        raise RclError("corrupt .rcl tile: its index stream ends too early")
    return img
