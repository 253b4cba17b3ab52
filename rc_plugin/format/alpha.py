"""Lossless coding of an alpha plane beside the colour: left-prediction then DEFLATE.

Alpha planes are mostly flat or two-valued, where this costs next to nothing.
"""
from __future__ import annotations

import zlib

import numpy as np

from .inflate import inflate_exactly


def encode_alpha(alpha: np.ndarray) -> bytes:
    a = alpha.astype(np.int16)
    pred = np.zeros_like(a)
    pred[:, 1:] = a[:, :-1]
    pred[1:, 0] = a[:-1, 0]
    return zlib.compress(((a - pred) & 0xFF).astype(np.uint8).tobytes(), 9)


def decode_alpha(data: bytes, height: int, width: int) -> np.ndarray:
    raw = inflate_exactly(data, height * width, "alpha plane")
    delta = np.frombuffer(raw, np.uint8).reshape(height, width)
    # undo: first column predicts from above, every row from the left (mod 256)
    first = np.cumsum(delta[:, 0].astype(np.int64)) & 0xFF
    rows = delta.astype(np.int64)
    rows[:, 0] = first
    return (np.cumsum(rows, axis=1) & 0xFF).astype(np.uint8)
