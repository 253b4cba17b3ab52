"""The encoder's wide tile (format 10): samples of up to 16 bits, each part (the colour, then alpha) mapped to the
values 0..top it needs and coded as an 8-bit record where those fit a byte, else by the adaptive coder's wide path.

Encoder only: the decoder never imports this module. Which map is chosen decides which bytes are written, never what
they mean.
"""
from __future__ import annotations

import numpy as np

from ..format.bitstream import WIDE_BYTE_TOP, WIDE_MAP_OFFSET, WIDE_MAP_TABLE, WIDE_MAX
from ..format.records import WidePart, WideTile
from .value_map import pack_table

#: A part maps through the table of its values where that is estimated to save at least this many bits a sample and
#: TABLE_COST times the table's bits over mapping by offset and step: the saving counted as log2 of the gap (in steps)
#: around each sample's value (a photo whose histogram is full in the middle saves nothing there).
TABLE_MIN_BITS = 0.1
TABLE_COST = 2


def map_part(samples: np.ndarray) -> tuple[int, int, int, int, bytes, np.ndarray]:
    """(map kind, lo, step, top, table bytes, the samples as values 0..top) of a part's uint16 samples: by offset in
    steps of the values' greatest common divisor (a 12-bit camera's samples shifted left by 4: steps of 16), or
    through the table of the values where that saves more."""
    values, inverse, counts = np.unique(samples, return_inverse=True, return_counts=True)
    lo, hi = int(values[0]), int(values[-1])
    step = max(int(np.gcd.reduce(values.astype(np.int64) - lo)), 1)
    if len(values) >= 2 and len(values) < (hi - lo) // step + 1:
        gaps = np.diff(values.astype(np.int64)) // step
        around = np.concatenate([[gaps[0]], gaps]) + np.concatenate([gaps, [gaps[-1]]])  # each value's two gaps
        saving = float(np.sum(counts * np.log2(around / 2)))
        table = pack_table(values)
        if saving >= max(TABLE_MIN_BITS * samples.size, TABLE_COST * 8 * len(table)):
            return WIDE_MAP_TABLE, lo, 1, len(values) - 1, table, inverse.reshape(samples.shape)
    return WIDE_MAP_OFFSET, lo, step, (hi - lo) // step, b"", ((samples.astype(np.int64) - lo) // step)


def code_part(samples: np.ndarray, mixer: int) -> WidePart:
    """A part of (h, w, C) uint16 samples, C 1 or 3: mapped, then coded as an 8-bit record or a wide stream."""
    from . import plane_coder
    from .guard import code_lossless_tile

    kind, lo, step, top, table, mapped = map_part(samples)
    if top <= WIDE_BYTE_TOP:  # every 8-bit record is open to it: palettes, generic rows, the learned mixer
        coded = code_lossless_tile(np.ascontiguousarray(mapped, np.uint8), samples.shape[2], False, mixer)
    else:
        coded = plane_coder.encode_plane(mapped.astype(np.uint16), top=top)
    assert lo + (step * top if kind == WIDE_MAP_OFFSET else 0) <= WIDE_MAX
    return WidePart(kind, lo, step, top, table, coded)


def code_wide_tile(pixels: np.ndarray, channels: int, mixer: int = 0) -> WideTile:
    """The wide record of a tile's (h, w, C) uint16 pixels, the colour's channels first and alpha last (if any)."""
    parts = [code_part(np.ascontiguousarray(pixels[..., :channels]), mixer)]
    if pixels.shape[2] in (2, 4):
        parts.append(code_part(np.ascontiguousarray(pixels[..., -1:]), mixer))
    return WideTile(parts)
