"""The encoder's wide tile (format 10): samples of up to 16 bits, each part (the colour, then alpha) mapped to the
values 0..top it needs and coded as an 8-bit record where those fit a byte, else by the adaptive coder's wide path
or as generic rows.

Encoder only: the decoder never imports this module. Which map is chosen decides which bytes are written, never what
they mean.
"""
from __future__ import annotations

import zlib

import numpy as np

from ..format.bitstream import (WIDE_BYTE_TOP, WIDE_CODED_LOGISTIC, WIDE_CODED_RECORD, WIDE_CODED_ROWS,
                                WIDE_CODED_STREAM, WIDE_MAP_OFFSET, WIDE_MAP_TABLE, WIDE_MAX)
from ..format.records import WidePart, WideTile
from ..options import DEFAULT_EFFORT
from ..row_filters import big_endian_bytes, filter_variants
from .value_map import pack_table

#: A part maps through the table of its values where that is estimated to save at least this many bits a sample and
#: TABLE_COST times the table's bits over mapping by offset and step: the saving counted as log2 of the gap (in steps)
#: around each sample's value (a photo whose histogram is full in the middle saves nothing there).
TABLE_MIN_BITS = 0.1
TABLE_COST = 2
#: The row filters generic rows of 16-bit values try: libpng's choice per row (None), then each of PNG's five.
ROW_FILTER_CHOICES = (None, 0, 1, 2, 3, 4)


def map_part(samples: np.ndarray) -> tuple[tuple, tuple]:
    """Two maps of a part's uint16 samples, each (map kind, lo, step, top, table bytes, the samples as values
    0..top): by offset in steps of the values' greatest common divisor (a 12-bit camera's samples shifted left by 4:
    steps of 16), and the one the adaptive coder codes, which is the table of the values where that saves more."""
    values, inverse, counts = np.unique(samples, return_inverse=True, return_counts=True)
    lo, hi = int(values[0]), int(values[-1])
    step = max(int(np.gcd.reduce(values.astype(np.int64) - lo)), 1)
    offset = (WIDE_MAP_OFFSET, lo, step, (hi - lo) // step, b"", (samples.astype(np.int64) - lo) // step)
    if len(values) >= 2 and len(values) < (hi - lo) // step + 1:
        gaps = np.diff(values.astype(np.int64)) // step
        around = np.concatenate([[gaps[0]], gaps]) + np.concatenate([gaps, [gaps[-1]]])  # each value's two gaps
        saving = float(np.sum(counts * np.log2(around / 2)))
        table = pack_table(values)
        if saving >= max(TABLE_MIN_BITS * samples.size, TABLE_COST * 8 * len(table)):
            return offset, (WIDE_MAP_TABLE, lo, 1, len(values) - 1, table, inverse.reshape(samples.shape))
    return offset, offset


def code_part(samples: np.ndarray, mixer: int, effort: int = DEFAULT_EFFORT) -> WidePart:
    """A part of (h, w, C) uint16 samples, C 1 or 3: mapped, then coded as an 8-bit record, or as a wide stream (the
    smaller of its two: tokens from adaptive counts, or from the logistic) or generic rows of 16-bit values,
    whichever is smaller. The rows code the offsets (a table's ranks break the exact
    differences they copy) under the row filters whose fast DEFLATE is smallest (libpng's choice per row, or one
    filter throughout, as oxipng tries), and are tried where that DEFLATE comes within guard.GENERIC_TRY_RATIO of the
    stream, as the 8-bit guard tries them. effort is the 8-bit record's (guard.code_lossless_tile); a wide stream
    has one preset."""
    from . import generic, plane_coder
    from .guard import GENERIC_TRY_RATIO, code_lossless_tile

    offset, (kind, lo, step, top, table, mapped) = map_part(samples)
    assert lo + (step * top if kind == WIDE_MAP_OFFSET else 0) <= WIDE_MAX
    if top <= WIDE_BYTE_TOP:  # every 8-bit record is open to it: palettes, generic rows, the learned mixer
        record = code_lossless_tile(np.ascontiguousarray(mapped, np.uint8), samples.shape[2], False, mixer,
                                    effort=effort)
        return WidePart(kind, WIDE_CODED_RECORD, lo, step, top, table, record)
    coding, stream = min(((c, plane_coder.encode_plane(mapped, top=top, logistic=logistic))
                          for c, logistic in ((WIDE_CODED_STREAM, False), (WIDE_CODED_LOGISTIC, True))),
                         key=lambda coded: len(coded[1]))
    variants = filter_variants(big_endian_bytes(offset[5]), ROW_FILTER_CHOICES)
    sizes = [len(zlib.compress(rows, 1)) for rows in variants]
    best = int(np.argmin(sizes))  # the first of the smallest
    if sizes[best] < GENERIC_TRY_RATIO * len(stream):
        packed = generic.compress_rows(variants[best])
        if len(packed) < len(stream):
            return WidePart(offset[0], WIDE_CODED_ROWS, *offset[1:4], b"", packed)
    return WidePart(kind, coding, lo, step, top, table, stream)


def code_wide_tile(pixels: np.ndarray, channels: int, mixer: int = 0, effort: int = DEFAULT_EFFORT) -> WideTile:
    """The wide record of a tile's (h, w, C) uint16 pixels, the colour's channels first and alpha last (if any)."""
    parts = [code_part(np.ascontiguousarray(pixels[..., :channels]), mixer, effort)]
    if pixels.shape[2] in (2, 4):
        parts.append(code_part(np.ascontiguousarray(pixels[..., -1:]), mixer, effort))
    return WideTile(parts)
