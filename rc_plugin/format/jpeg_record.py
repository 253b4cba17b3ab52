"""The JPEG tile's record (format 15; docs/format.md, "JPEG tile"): its head, steps, coefficient stream, residual
record and alpha plane. Sizes and ranges only, as rc_plugin.format.records; the residual is parsed by the caller's
parser of records (records.parse_tile), which this module does not import."""
from __future__ import annotations

import dataclasses
import struct
from typing import Any, Callable

from ..errors import RclError
from .bitstream import CODER_JPEG, CODER_WIDE
from .jpeg_bits import JPEG_GREY, JPEG_MAX_SIDE, JPEG_SAMPLINGS
from .mixture_record import Tile

#: A JPEG tile's head: the coder byte, its sampling (JPEG_*), the JPEG's height and width, the tile's top and left in
#: it, the lengths of the coefficient stream, of the residual record and of the alpha plane; then a table of 64 steps
#: (bytes, zigzag order) per component, the stream, the residual and the alpha plane.
JPEG_HEAD = struct.Struct("<BBHHHHIII")


@dataclasses.dataclass
class JpegTile:
    """A JPEG tile: the tile is the window at (top, left) of a JPEG of height x width, its components' quantised
    coefficients coded in `stream` (rc_plugin.adaptive.jpeg.coefficients), decoded as libjpeg-turbo decodes them
    (rc_plugin.adaptive.jpeg.inverse), then, where there is a residual record (any 8-bit record of the file's version
    but a mixture, wide or JPEG one, of the tile's size and channels, without alpha), its samples added modulo 256;
    then the alpha plane's bytes."""

    sampling: int  # JPEG_*
    height: int
    width: int
    top: int
    left: int
    tables: bytes  # 64 steps 1..255 per component, zigzag order
    stream: bytes
    residual: Any  # a record of rc_plugin.format.records, or None
    alpha: bytes
    coder = CODER_JPEG

    def pack(self) -> bytes:
        residual = self.residual.pack() if self.residual is not None else b""
        head = JPEG_HEAD.pack(self.coder, self.sampling, self.height, self.width, self.top, self.left,
                              len(self.stream), len(residual), len(self.alpha))
        return head + self.tables + self.stream + residual + self.alpha


def jpeg_components(sampling: int) -> int:
    """A sampling's components: Y alone (grey), or Y, Cb and Cr."""
    return 1 if sampling == JPEG_GREY else 3


def parse_jpeg(payload: bytes, channels: int, parse_residual: Callable[[bytes], Any]) -> JpegTile:
    """A JPEG tile, its head's sizes and steps checked (the window against the tile's size when decoded), its
    residual (if any) parsed by parse_residual: neither a mixture, wide nor JPEG record, nor one with alpha."""
    if len(payload) < JPEG_HEAD.size:
        raise RclError("corrupt .rcl tile: its table of lengths is truncated")
    _, sampling, height, width, top, left, stream_len, residual_len, alpha_len = JPEG_HEAD.unpack_from(payload)
    components = jpeg_components(sampling) if sampling in JPEG_SAMPLINGS else 0
    if components != channels or not (1 <= height <= JPEG_MAX_SIDE and 1 <= width <= JPEG_MAX_SIDE):
        raise RclError(f"corrupt .rcl tile: a JPEG tile of sampling {sampling}, {width}x{height}, in an image of "
                       f"{channels} coded channels")
    start = JPEG_HEAD.size + 64 * components
    tables = payload[JPEG_HEAD.size : start]
    if len(tables) != 64 * components or 0 in tables:
        raise RclError("corrupt .rcl tile: a JPEG tile's steps are truncated or 0")
    if start + stream_len + residual_len + alpha_len != len(payload):
        raise RclError("corrupt .rcl tile: its lengths do not add up to its size")
    stream = payload[start : start + stream_len]
    residual = payload[start + stream_len : start + stream_len + residual_len]
    alpha = payload[start + stream_len + residual_len :]
    record = parse_residual(residual) if residual else None
    if record is not None and (isinstance(record, Tile) or record.coder in (CODER_WIDE, CODER_JPEG) or record.alpha):
        raise RclError("corrupt .rcl tile: a JPEG tile's residual is a mixture, wide or JPEG tile or has alpha")
    return JpegTile(sampling, height, width, top, left, tables, stream, record, alpha)
