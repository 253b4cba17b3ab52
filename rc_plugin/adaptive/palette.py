"""A palette tile's colours: packed as each channel's differences from the entry before, under DEFLATE.

The entries are in the order the encoder chose (by RGB value, guard), so neighbouring entries are close
and their differences small; a palette of a gradient packs to almost nothing.
"""
from __future__ import annotations

import zlib

import numpy as np

from ..errors import RclError
from ..format.inflate import inflate_exactly


def pack_palette(colours: np.ndarray) -> bytes:
    """The bytes of an (n, C) uint8 palette."""
    delta = np.diff(colours.astype(np.int16), axis=0, prepend=0) & 0xFF
    return zlib.compress(delta.astype(np.uint8).T.tobytes(), 9)


def unpack_palette(data: bytes, n: int, channels: int) -> np.ndarray:
    """The (n, C) uint8 palette of its bytes; refuses bytes that are not exactly n entries."""
    raw = inflate_exactly(data, n * channels, "palette")
    delta = np.frombuffer(raw, np.uint8).reshape(channels, n).T.astype(np.int64)
    return (np.cumsum(delta, axis=0) & 0xFF).astype(np.uint8)


def apply_palette(colours: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """(h, w, C) pixels of an index plane; refuses an index beyond the palette."""
    if indices.size and int(indices.max()) >= len(colours):
        raise RclError("corrupt .rcl tile: an index beyond its palette")
    return colours[indices]
