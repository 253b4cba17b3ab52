"""How a wide tile's part maps its samples to the values 0..top that are coded (format 10), both ways.

A part uses some of the 65,536 values: a 12-bit camera's 0..4095, the same shifted left by 4 (every 16th value), 8-bit
levels times 257, a gain that skips levels. Mapped by their offset from the smallest in steps of the values' common
divisor, the samples cost what their range and spacing cost, not 16 bits; mapped by their rank among the values the
part holds, a sparse set of values costs what its count costs, and the table of those values is packed as the gaps
between them under DEFLATE (regular gaps pack to almost nothing).
"""
from __future__ import annotations

import zlib

import numpy as np

from ..errors import RclError
from ..format.bitstream import WIDE_MAP_OFFSET, WIDE_MAP_TABLE, WIDE_MAX
from ..format.inflate import inflate_exactly
from ..format.records import WidePart


def pack_table(values: np.ndarray) -> bytes:
    """The bytes of a sorted array of distinct values (at least two): the gaps less one, uint16 little-endian."""
    gaps = np.diff(values.astype(np.int64)) - 1
    return zlib.compress(gaps.astype("<u2").tobytes(), 9)


def unpack_table(data: bytes, lo: int, top: int) -> np.ndarray:
    """The top + 1 values of a packed table that starts at lo; refuses one that runs past WIDE_MAX."""
    gaps = np.frombuffer(inflate_exactly(data, 2 * top, "value table"), "<u2").astype(np.int64)
    values = lo + np.concatenate([[0], np.cumsum(gaps + 1)])
    if values[-1] > WIDE_MAX:
        raise RclError(f"corrupt .rcl tile: a value table reaching {values[-1]}")
    return values


def unmap(mapped: np.ndarray, part: WidePart) -> np.ndarray:
    """A part's uint16 samples from the values 0..top that were coded."""
    if mapped.size and int(mapped.max()) > part.top:
        raise RclError(f"corrupt .rcl tile: a coded value above the part's top {part.top}")
    if part.kind == WIDE_MAP_TABLE:
        return unpack_table(part.table, part.lo, part.top).astype(np.uint16)[mapped]
    return (mapped.astype(np.int64) * part.step + part.lo).astype(np.uint16)

