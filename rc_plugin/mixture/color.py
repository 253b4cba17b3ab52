"""Integer RGB <-> full-range BT.601 YCbCr, as BPG converts before HEVC.

Integer arithmetic only, so the lossy reconstruction is bit-identical on every
machine. The coefficients are the JPEG/BT.601 full-range ones in 14-bit fixed
point (the same scheme as bpgenc's rgb_to_ycc), with round-half-up and clipping.
"""
from __future__ import annotations

import numpy as np

from ..format.bitstream import YCC_FORWARD, YCC_FRAC_BITS, YCC_INVERSE

_BITS = YCC_FRAC_BITS
_HALF = 1 << (_BITS - 1)
_OFFSET = 128 << _BITS


def _fix(x: float) -> int:
    return int(round(x * (1 << _BITS)))


# forward: Y, Cb, Cr from R, G, B
_Y, _CB, _CR = (tuple(_fix(c) for c in row) for row in YCC_FORWARD)
# inverse: R, G, B from Y, Cb-128, Cr-128
_R_CR, _G_CB, _G_CR, _B_CB = (_fix(c) for c in YCC_INVERSE)


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W, 3) uint8 YCbCr."""
    r, g, b = (rgb[..., i].astype(np.int32) for i in range(3))
    out = np.empty(rgb.shape, np.uint8)
    for i, (cr_, cg_, cb_) in enumerate((_Y, _CB, _CR)):
        acc = cr_ * r + cg_ * g + cb_ * b + _HALF + (0 if i == 0 else _OFFSET)
        out[..., i] = np.clip(acc >> _BITS, 0, 255)
    return out


def ycbcr_to_rgb(ycc: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 YCbCr -> (H, W, 3) uint8 RGB."""
    y = ycc[..., 0].astype(np.int32) << _BITS
    cb = ycc[..., 1].astype(np.int32) - 128
    cr = ycc[..., 2].astype(np.int32) - 128
    out = np.empty(ycc.shape, np.uint8)
    out[..., 0] = np.clip((y + _R_CR * cr + _HALF) >> _BITS, 0, 255)
    out[..., 1] = np.clip((y + _G_CB * cb + _G_CR * cr + _HALF) >> _BITS, 0, 255)
    out[..., 2] = np.clip((y + _B_CB * cb + _HALF) >> _BITS, 0, 255)
    return out
