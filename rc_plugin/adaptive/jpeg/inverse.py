"""A JPEG's quantised coefficients to the pixels libjpeg-turbo makes of them, in integer arithmetic only (the
constants are rc_plugin.format.jpeg_bits'): the 13-bit inverse DCT of Loeffler, Ligtenberg and Moschytz with
two extra bits kept between its passes, "fancy" triangular upsampling of subsampled chroma with its alternating
rounding biases, and JFIF's 16-bit fixed-point YCbCr -> RGB. tests/test_jpeg_tile.py checks it against Pillow's
decoding sample for sample, at every sampling a JPEG tile names.
"""
from __future__ import annotations

import numba
import numpy as np

from ...format import bitstream as bs
from ...format.jpeg_bits import (JPEG_CONST_BITS, JPEG_IDCT_CONSTANTS, JPEG_PASS1_BITS, JPEG_YCC_BITS,
                                 JPEG_YCC_FACTORS)

from ...jitcache import shipped

#: The bitstream fingerprint this file's compiled code was written for (see bitstream.check_compiled_for).
COMPILED_FOR = "5abac8e7605d7be3"
bs.check_compiled_for(__name__, COMPILED_FOR)

(_C0_298, _C0_390, _C0_541, _C0_765, _C0_899, _C1_175, _C1_501, _C1_847, _C1_961, _C2_053, _C2_562,
 _C3_072) = JPEG_IDCT_CONSTANTS


@numba.njit(cache=True, inline="always")
def _rotate(x0, x1, x2, x3, x4, x5, x6, x7, shift):
    """One 8-point pass of the inverse DCT, each output descaled by `shift` bits with rounding: the even part from
    x0, x2, x4, x6, the odd part's four rotations."""
    z = (x2 + x6) * _C0_541
    even2, even3 = z - x6 * _C1_847, z + x2 * _C0_765
    even0, even1 = (x0 + x4) << JPEG_CONST_BITS, (x0 - x4) << JPEG_CONST_BITS
    e0, e1, e2, e3 = even0 + even3, even1 + even2, even1 - even2, even0 - even3
    common = (x7 + x3 + x5 + x1) * _C1_175
    s_ad, s_bc = -(x7 + x1) * _C0_899, -(x5 + x3) * _C2_562
    s_ac, s_bd = -(x7 + x3) * _C1_961 + common, -(x5 + x1) * _C0_390 + common
    o0, o1 = x1 * _C1_501 + s_ad + s_bd, x3 * _C3_072 + s_bc + s_ac
    o2, o3 = x5 * _C2_053 + s_bc + s_bd, x7 * _C0_298 + s_ad + s_ac
    half = 1 << (shift - 1)
    return ((e0 + o0 + half) >> shift, (e1 + o1 + half) >> shift, (e2 + o2 + half) >> shift,
            (e3 + o3 + half) >> shift, (e3 - o3 + half) >> shift, (e2 - o2 + half) >> shift,
            (e1 - o1 + half) >> shift, (e0 - o0 + half) >> shift)


@numba.njit(cache=True, inline="always")
def idct_block(coefs, table, out, k):
    """Block k of coefs (n, 64) int64, row-major, times its steps table (64,) into out[k] (n, 64): columns first,
    keeping PASS1_BITS more bits, then rows, plus 128, clamped to 0..255. int64 throughout: a coefficient of up to
    2**15 times a step below 2**8 times a 15-bit constant, summed over eight, stays far below 2**63."""
    work = np.empty(64, np.int64)
    for c in range(8):
        r = _rotate(coefs[k, c] * table[c], coefs[k, 8 + c] * table[8 + c], coefs[k, 16 + c] * table[16 + c],
                    coefs[k, 24 + c] * table[24 + c], coefs[k, 32 + c] * table[32 + c],
                    coefs[k, 40 + c] * table[40 + c], coefs[k, 48 + c] * table[48 + c],
                    coefs[k, 56 + c] * table[56 + c], JPEG_CONST_BITS - JPEG_PASS1_BITS)
        for i in range(8):
            work[8 * i + c] = r[i]
    for i in range(8):
        r = _rotate(work[8 * i], work[8 * i + 1], work[8 * i + 2], work[8 * i + 3], work[8 * i + 4], work[8 * i + 5],
                    work[8 * i + 6], work[8 * i + 7], JPEG_CONST_BITS + JPEG_PASS1_BITS + 3)
        for c in range(8):
            out[k, 8 * i + c] = min(max(r[c] + 128, 0), 255)


@shipped  # machine code built at install (rc_plugin.jitcache)
@numba.njit(cache=True, nogil=True)
def idct_blocks(coefs, table, out):
    """idct_block of every block of coefs (n, 64) into out (n, 64)."""
    for k in range(coefs.shape[0]):
        idct_block(coefs, table, out, k)


def idct(coefs: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Quantised coefficients (..., 8, 8) and their steps (8, 8), both row-major -> samples 0..255 (..., 8, 8), int64
    (idct_block)."""
    flat = np.require(coefs, np.int64, ["C", "W"]).reshape(-1, 64)  # (the compiled code's one signature)
    out = np.empty_like(flat)
    idct_blocks(flat, np.require(table, np.int64, ["C", "W"]).reshape(64), out)
    return out.reshape(np.shape(coefs))


def plane(coefs: np.ndarray, table: np.ndarray) -> np.ndarray:
    """A component's blocks (down, across, 8, 8) as its plane of samples (8 down, 8 across)."""
    blocks = idct(coefs, table)
    down, across = blocks.shape[:2]
    return blocks.transpose(0, 2, 1, 3).reshape(8 * down, 8 * across)


def _shifted(p: np.ndarray, axis: int, step: int) -> np.ndarray:
    """p's neighbour along axis (step -1: before, +1: after), the edge sample repeated."""
    idx = np.clip(np.arange(p.shape[axis]) + step, 0, p.shape[axis] - 1)
    return np.take(p, idx, axis=axis)


def upsample(p: np.ndarray, h_factor: int, v_factor: int) -> np.ndarray:
    """Fancy upsampling by 2 across (h_factor 2), down (v_factor 2) or both: each output sample 3/4 of its own input
    and 1/4 of the nearer neighbour (9/16, 3/16, 3/16, 1/16 in both), with the biases that alternate the rounding;
    edge samples are repeated, and across, the first and last outputs take their input alone."""
    if (h_factor, v_factor) == (1, 1):
        return p
    if v_factor == 2:
        rows = [3 * p + _shifted(p, 0, -1), 3 * p + _shifted(p, 0, 1)]  # (upper, lower): in quarters
        if h_factor == 1:
            out = np.empty((2 * p.shape[0], p.shape[1]), np.int64)
            out[0::2], out[1::2] = (rows[0] + 1) >> 2, (rows[1] + 2) >> 2
            return out
        out = np.empty((2 * p.shape[0], 2 * p.shape[1]), np.int64)
        for dy, col in enumerate(rows):  # in sixteenths
            out[dy::2, 0::2] = (3 * col + _shifted(col, 1, -1) + 8) >> 4
            out[dy::2, 1::2] = (3 * col + _shifted(col, 1, 1) + 7) >> 4
            out[dy::2, 0], out[dy::2, -1] = (4 * col[:, 0] + 8) >> 4, (4 * col[:, -1] + 7) >> 4
        return out
    out = np.empty((p.shape[0], 2 * p.shape[1]), np.int64)
    out[:, 0::2] = (3 * p + _shifted(p, 1, -1) + 1) >> 2
    out[:, 1::2] = (3 * p + _shifted(p, 1, 1) + 2) >> 2
    out[:, 0], out[:, -1] = p[:, 0], p[:, -1]
    return out


def ycc_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> np.ndarray:
    """JFIF's YCbCr -> RGB in YCC_BITS fractional bits, each product rounded, clamped to 0..255: (..., 3) int64."""
    r_cr, g_cb, g_cr, b_cb = JPEG_YCC_FACTORS
    cb, cr = cb - 128, cr - 128
    half = 1 << (JPEG_YCC_BITS - 1)
    r = y + ((r_cr * cr + half) >> JPEG_YCC_BITS)
    g = y + ((-g_cb * cb - g_cr * cr + half) >> JPEG_YCC_BITS)
    b = y + ((b_cb * cb + half) >> JPEG_YCC_BITS)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255)


def component_shape(height: int, width: int, factors: tuple[int, int], component: int) -> tuple[int, int]:
    """(blocks down, blocks across) of a component (0 luma) of a JPEG of height x width whose luma samples at
    factors (h, v), chroma at (1, 1): whole MCUs, so beyond the image at its right and bottom."""
    h, v = factors
    down, across = -(-height // (8 * v)), -(-width // (8 * h))
    return (down * v, across * h) if component == 0 else (down, across)


def component_samples(blocks: np.ndarray, table: np.ndarray, factors: tuple[int, int], component: int, height: int,
                      width: int) -> np.ndarray:
    """A component's (height, width) samples, int64, of a JPEG of height x width (luma at factors (h, v), component 0;
    chroma at (1, 1)): its blocks' plane cut to the samples the image needs, then upsampled."""
    hmax, vmax = factors
    h, v = factors if component == 0 else (1, 1)
    p = plane(blocks, table)[: -(-height * v // vmax), : -(-width * h // hmax)]
    return upsample(p, hmax // h, vmax // v)[:height, :width]


def decode(coefs: list[np.ndarray], tables: list[np.ndarray], factors: tuple[int, int], height: int,
           width: int) -> np.ndarray:
    """The pixels of a JPEG of height x width: (H, W, 1) for one component, (H, W, 3) RGB for three (YCbCr, luma
    at factors (h, v), chroma at (1, 1)), int64 0..255. coefs[c]: (down, across, 8, 8) row-major blocks as
    component_shape gives; tables[c]: its (8, 8) steps."""
    planes = [component_samples(blocks, table, factors, c, height, width)
              for c, (blocks, table) in enumerate(zip(coefs, tables))]
    if len(planes) == 1:
        return planes[0][..., None]
    return ycc_to_rgb(*planes)
