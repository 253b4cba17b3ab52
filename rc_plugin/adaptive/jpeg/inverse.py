"""A JPEG's quantised coefficients to the pixels libjpeg-turbo makes of them, in integer arithmetic only (the
constants are rc_plugin.format.jpeg_bits'): the 13-bit inverse DCT of Loeffler, Ligtenberg and Moschytz with
two extra bits kept between its passes, "fancy" triangular upsampling of subsampled chroma with its alternating
rounding biases, and JFIF's 16-bit fixed-point YCbCr -> RGB. tests/test_jpeg_tile.py checks it against Pillow's
decoding sample for sample, at every sampling a JPEG tile names.
"""
from __future__ import annotations

import numpy as np

from ...format.jpeg_bits import (JPEG_CONST_BITS, JPEG_IDCT_CONSTANTS, JPEG_PASS1_BITS, JPEG_YCC_BITS,
                                 JPEG_YCC_FACTORS)

(_C0_298, _C0_390, _C0_541, _C0_765, _C0_899, _C1_175, _C1_501, _C1_847, _C1_961, _C2_053, _C2_562,
 _C3_072) = JPEG_IDCT_CONSTANTS


def _idct_pass(x: list[np.ndarray], shift: int) -> list[np.ndarray]:
    """One 8-point pass over arrays x[0..7] (the eight inputs of every line), each output descaled by `shift` bits
    with rounding: the even part from x0, x2, x4, x6, the odd part's four rotations."""
    z = (x[2] + x[6]) * _C0_541
    even2, even3 = z - x[6] * _C1_847, z + x[2] * _C0_765
    even0, even1 = (x[0] + x[4]) << JPEG_CONST_BITS, (x[0] - x[4]) << JPEG_CONST_BITS
    e = (even0 + even3, even1 + even2, even1 - even2, even0 - even3)
    a, b, c, d = x[7], x[5], x[3], x[1]
    common = (a + c + b + d) * _C1_175
    s_ad, s_bc = -(a + d) * _C0_899, -(b + c) * _C2_562
    s_ac, s_bd = -(a + c) * _C1_961 + common, -(b + d) * _C0_390 + common
    o = (d * _C1_501 + s_ad + s_bd, c * _C3_072 + s_bc + s_ac, b * _C2_053 + s_bc + s_bd, a * _C0_298 + s_ad + s_ac)
    half = 1 << (shift - 1)
    return [(e[0] + o[0] + half) >> shift, (e[1] + o[1] + half) >> shift, (e[2] + o[2] + half) >> shift,
            (e[3] + o[3] + half) >> shift, (e[3] - o[3] + half) >> shift, (e[2] - o[2] + half) >> shift,
            (e[1] - o[1] + half) >> shift, (e[0] - o[0] + half) >> shift]


def idct(coefs: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Quantised coefficients (..., 8, 8) and their steps (8, 8), both row-major -> samples 0..255 (..., 8, 8):
    columns first, keeping PASS1_BITS more bits, then rows, plus 128, clamped. int64 throughout: a coefficient of
    up to 2**15 times a step below 2**8 times a 15-bit constant, summed over eight, stays far below 2**63."""
    d = np.asarray(coefs, np.int64) * np.asarray(table, np.int64)
    columns = _idct_pass([d[..., i, :] for i in range(8)], JPEG_CONST_BITS - JPEG_PASS1_BITS)
    work = np.stack(columns, axis=-2)
    rows = _idct_pass([work[..., :, j] for j in range(8)], JPEG_CONST_BITS + JPEG_PASS1_BITS + 3)
    return np.clip(np.stack(rows, axis=-1) + 128, 0, 255)


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


def decode(coefs: list[np.ndarray], tables: list[np.ndarray], factors: tuple[int, int], height: int,
           width: int) -> np.ndarray:
    """The pixels of a JPEG of height x width: (H, W, 1) for one component, (H, W, 3) RGB for three (YCbCr, luma
    at factors (h, v), chroma at (1, 1)), int64 0..255. coefs[c]: (down, across, 8, 8) row-major blocks as
    component_shape gives; tables[c]: its (8, 8) steps."""
    hmax, vmax = factors
    planes = []
    for c, (blocks, table) in enumerate(zip(coefs, tables)):
        h, v = factors if c == 0 else (1, 1)
        p = plane(blocks, table)[: -(-height * v // vmax), : -(-width * h // hmax)]  # the samples the image needs
        planes.append(upsample(p, hmax // h, vmax // v)[:height, :width])
    if len(planes) == 1:
        return planes[0][..., None]
    return ycc_to_rgb(*planes)
