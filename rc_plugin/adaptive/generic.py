"""The generic tile: PNG's row filters under LZMA, the guard for images no model of ours fits.

Screenshots, charts and other synthetic images repeat exact runs of pixels far apart, which a dictionary coder
copies and a per-pixel model cannot; the encoder keeps this tile where it comes out smaller (rc_plugin.adaptive.guard).
Each row starts with its filter (PNG's, rc_plugin.row_filters), and the filtered rows are one raw LZMA2 stream
(bitstream.GENERIC_DICT_SIZE).
"""
from __future__ import annotations

import lzma

import numpy as np

from ..format import bitstream as bs
from ..errors import RclError
from ..row_filters import filter_rows, unfilter

FILTERS = bs.GENERIC_FILTERS
_DECODE_FILTERS = [{"id": lzma.FILTER_LZMA2, "dict_size": bs.GENERIC_DICT_SIZE}]


def encode_rows(plane: np.ndarray) -> bytes:
    """The generic stream of an (h, w, C) uint8 plane."""
    return compress_rows(filter_rows(plane))


def compress_rows(rows: bytes) -> bytes:
    """The generic stream of rows filter_rows made."""
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": bs.GENERIC_DICT_SIZE}]
    return lzma.compress(rows, format=lzma.FORMAT_RAW, filters=filters)


def decode_rows(data: bytes, h: int, w: int, channels: int) -> np.ndarray:
    """The (h, w, C) uint8 plane of a generic stream; refuses one that does not inflate to exactly its rows."""
    size = h * (w * channels + 1)
    try:
        d = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=_DECODE_FILTERS)
        raw = d.decompress(data, size)  # never inflate past the plane's size
        more = d.decompress(b"", 1) if not d.eof else b""  # a complete stream ends right after the plane
    except lzma.LZMAError as exc:
        raise RclError(f"corrupt .rcl tile: its generic stream does not inflate ({exc})") from exc
    if len(raw) != size or more or not d.eof or d.unused_data:
        raise RclError("corrupt .rcl tile: its generic stream has the wrong size")
    rows = np.frombuffer(raw, np.uint8).reshape(h, w * channels + 1)
    if rows[:, 0].max() >= FILTERS:
        raise RclError("corrupt .rcl tile: an unknown row filter")
    return unfilter(rows, channels).reshape(h, w, channels)
