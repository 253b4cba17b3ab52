"""How a JPEG tile's parts lie (encoder and decoder alike): its steps from the record's bytes, its components'
blocks in the coefficient coder's one array."""
from __future__ import annotations

import numpy as np

from ...format.jpeg_bits import JPEG_SAMPLINGS, JPEG_ZIGZAG
from ...format.jpeg_record import jpeg_components
from .inverse import component_shape

ZIGZAG = np.array(JPEG_ZIGZAG, np.int64)


def tables_from_bytes(tables: bytes, components: int) -> list[np.ndarray]:
    """Each component's (8, 8) row-major steps from its 64 bytes in zigzag order."""
    out = []
    for c in range(components):
        natural = np.zeros(64, np.int64)
        natural[ZIGZAG] = np.frombuffer(tables, np.uint8, 64, 64 * c)
        out.append(natural.reshape(8, 8))
    return out


def tables_to_bytes(tables: list[np.ndarray]) -> bytes:
    return b"".join(np.asarray(t, np.int64).reshape(64)[ZIGZAG].astype(np.uint8).tobytes() for t in tables)


def block_layout(sampling: int, height: int, width: int) -> np.ndarray:
    """(components, 4): each component's class (0 luma, 1 chroma), blocks down, across, and first row in the
    coefficient coder's array of blocks."""
    rows, first = [], 0
    for c in range(jpeg_components(sampling)):
        down, across = component_shape(height, width, JPEG_SAMPLINGS[sampling], c)
        rows.append((min(c, 1), down, across, first))
        first += down * across
    return np.array(rows, np.int64)


def split_blocks(blocks: np.ndarray, layout: np.ndarray) -> list[np.ndarray]:
    """The coder's (n, 64) zigzag blocks as each component's (down, across, 8, 8) row-major blocks."""
    out = []
    for _, down, across, first in layout:
        zigzag = blocks[first : first + down * across]
        natural = np.zeros((down * across, 64), np.int64)
        natural[:, ZIGZAG] = zigzag
        out.append(natural.reshape(down, across, 8, 8))
    return out


def join_blocks(coefs: list[np.ndarray]) -> np.ndarray:
    """Each component's (down, across, 8, 8) row-major blocks as the coder's (n, 64) int32 zigzag array."""
    return np.ascontiguousarray(np.concatenate([np.asarray(c).reshape(-1, 64)[:, ZIGZAG] for c in coefs]), np.int32)
