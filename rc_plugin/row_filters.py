"""PNG's row filters, which the generic tile (rc_plugin.adaptive.generic) and 16-bit PNG files (rc_plugin.files.wide_files)
share: each row starts with its filter (0 none, 1 W, 2 N, 3 the mean of W and N, 4 Paeth) over the bytes of one pixel
earlier; 16-bit samples are filtered as their big-endian bytes, as PNG orders them.
"""
from __future__ import annotations

import numba
import numpy as np

from .jitcache import shipped


def filter_rows(plane: np.ndarray, only: int | None = None) -> bytes:
    """Each row of an (h, w, C) uint8 plane filtered as its smallest sum of |residual| says (libpng's heuristic), or
    by filter `only` (0..4) throughout, led by the filter; C bytes a pixel (a 16-bit sample is two)."""
    return filter_variants(plane, (only,))[0]


def filter_variants(plane: np.ndarray, choices: tuple[int | None, ...]) -> list[bytes]:
    """filter_rows(plane, only) for each `only` of choices, the five filters' residuals computed once."""
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
    residuals = np.stack([x, x - a, x - b, x - (a + b) // 2, x - paeth]) & 0xFF  # (5 filters, h, w*c)
    variants = []
    for only in choices:
        if only is None:
            signed = np.where(residuals >= 128, 256 - residuals, residuals)
            choice = np.argmin(signed.sum(axis=2), axis=0)
        else:
            choice = np.full(h, only)
        rows = residuals[choice, np.arange(h)].astype(np.uint8)
        variants.append(np.concatenate([choice.astype(np.uint8)[:, None], rows], axis=1).tobytes())
    return variants


def big_endian_bytes(samples: np.ndarray) -> np.ndarray:
    """(h, w, 2C) uint8: (h, w, C) 16-bit samples as their big-endian bytes, the high byte first (as in a 16-bit PNG,
    and in a wide part's generic rows)."""
    h, w, c = samples.shape
    return np.ascontiguousarray(samples.astype(">u2")).view(np.uint8).reshape(h, w, 2 * c)


def from_big_endian(planes: np.ndarray) -> np.ndarray:
    """The (h, w, C) uint16 samples of big_endian_bytes' (h, w, 2C) bytes."""
    h, w, c2 = planes.shape
    return np.ascontiguousarray(planes).view(">u2").reshape(h, w, c2 // 2).astype(np.uint16)


@shipped  # machine code built at install (rc_plugin.jitcache)
@numba.njit(cache=True, nogil=True)
def unfilter(rows, c):
    """The (h, n) bytes of filtered rows (h, 1 + n): each row's filter, then its bytes; c bytes a pixel."""
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
