"""DEFLATE streams of a known size (an alpha plane, a palette), inflated no further than that size.

A damaged or crafted stream cannot make the decoder allocate more than the record says it holds.
"""
from __future__ import annotations

import zlib

from ..errors import RclError


def inflate_exactly(data: bytes, size: int, what: str) -> bytes:
    """The size bytes a zlib stream holds; RclError naming what if it does not inflate to exactly that and end."""
    try:
        d = zlib.decompressobj()
        raw = d.decompress(data, size)  # never inflate past the size
    except zlib.error as exc:
        raise RclError(f"corrupt .rcl tile: its {what} does not inflate ({exc})") from exc
    if len(raw) != size or d.unconsumed_tail or not d.eof or d.unused_data:
        raise RclError(f"corrupt .rcl tile: its {what} has the wrong size")
    return raw
