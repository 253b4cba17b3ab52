"""The generic tile: PNG's row filters under LZMA, the guard for images no model of ours fits.

Screenshots, charts and other synthetic images repeat exact runs of pixels far apart, which a dictionary coder
copies and a per-pixel model cannot; the encoder keeps this tile where it comes out smaller (rc_plugin.adaptive.guard).
Each row starts with its filter (0 none, 1 W, 2 N, 3 the mean of W and N, 4 Paeth, as in PNG, over the bytes of
one pixel earlier), and the filtered rows are one raw LZMA2 stream (bitstream.GENERIC_DICT_SIZE).
"""
from __future__ import annotations

import lzma

import numba
import numpy as np

from ..format import bitstream as bs
from ..errors import RclError
from ..jitcache import shipped

FILTERS = bs.GENERIC_FILTERS
_DECODE_FILTERS = [{"id": lzma.FILTER_LZMA2, "dict_size": bs.GENERIC_DICT_SIZE}]


def filter_rows(plane: np.ndarray) -> bytes:
    """Each row of an (h, w, C) uint8 plane filtered as its smallest sum of |residual| says, led by the filter."""
    h, w, c = plane.shape
    x = plane.reshape(h, w * c).astype(np.int16)
    a = np.zeros_like(x)
    a[:, c:] = x[:, :-c]  # one pixel to the left
    b = np.zeros_like(x)
    b[1:] = x[:-1]  # the row above
    d = np.zeros_like(x)
    d[1:, c:] = x[:-1, :-c]
    p = a + b - d
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - d)
    paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, d))
    residuals = np.stack([x, x - a, x - b, x - (a + b) // 2, x - paeth]) & 0xFF  # (FILTERS, h, w*c)
    signed = np.where(residuals >= 128, 256 - residuals, residuals)
    choice = np.argmin(signed.sum(axis=2), axis=0)
    rows = residuals[choice, np.arange(h)].astype(np.uint8)
    return np.concatenate([choice.astype(np.uint8)[:, None], rows], axis=1).tobytes()


@shipped  # machine code built at install (rc_plugin.jitcache)
@numba.njit(cache=True, nogil=True)
def _unfilter(rows, c):
    h, n = rows.shape[0], rows.shape[1] - 1
    out = np.zeros((h, n), np.uint8)
    for y in range(h):
        f = rows[y, 0]
        for i in range(n):
            a = np.int64(out[y, i - c]) if i >= c else 0
            b = np.int64(out[y - 1, i]) if y >= 1 else 0
            d = np.int64(out[y - 1, i - c]) if y >= 1 and i >= c else 0
            if f == 0:
                pred = 0
            elif f == 1:
                pred = a
            elif f == 2:
                pred = b
            elif f == 3:
                pred = (a + b) // 2
            else:
                p = a + b - d
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - d)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else d)
            out[y, i] = (np.int64(rows[y, i + 1]) + pred) & 0xFF
    return out


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
    return _unfilter(rows, channels).reshape(h, w, channels)
