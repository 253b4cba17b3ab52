"""The mixture tile's record (the paper's path, format 6 on; docs/format.md, "TILE payload"): sizes and ranges only."""
from __future__ import annotations

import dataclasses
import struct

from .bitstream import CODER_MIXTURE, CONTEXT_BYTES, GREY_BYTES, TAU_BYTES
from ..errors import RclError


@dataclasses.dataclass
class Tile:
    """A mixture tile: the paper's path (lossy layer, RC mixture, tau, causal pass, grey shortcut)."""

    tau: bytes  # 3*K signed offsets
    context: bytes  # the causal pass's parameters (rc_plugin.mixture.context.ContextParams)
    grey: bytes  # the grey shortcut's parameters (rc_plugin.mixture.grey.GreyParams), b"" when it is off
    ranges: list[tuple[int, int]]  # per coded colour channel (lo, hi) of the residual
    lossy: bytes
    residual: list[bytes]  # per coded colour channel
    alpha: bytes

    coder = CODER_MIXTURE

    def pack(self) -> bytes:
        parts = [bytes([self.coder]), self.tau, self.context]
        if len(self.ranges) == 3:  # colour tiles: a byte saying whether the grey shortcut is on
            parts.append(bytes([1 if self.grey else 0]) + self.grey)
        for (lo, hi), stream in zip(self.ranges, self.residual):
            parts.append(struct.pack("<hhI", lo, hi, len(stream)))
        parts.append(struct.pack("<II", len(self.lossy), len(self.alpha)))
        parts.append(self.lossy)
        parts.extend(self.residual)
        parts.append(self.alpha)
        return b"".join(parts)


def parse_mixture(payload: bytes, channels: int) -> Tile:
    need = TAU_BYTES + CONTEXT_BYTES + (channels == 3) + channels * 8 + 8
    if len(payload) < need:
        raise RclError("corrupt .rcl tile: its table of lengths is truncated")
    tau = payload[:TAU_BYTES]
    context = payload[TAU_BYTES : TAU_BYTES + CONTEXT_BYTES]
    pos = TAU_BYTES + CONTEXT_BYTES
    grey = b""
    if channels == 3:
        if payload[pos] > 1:
            raise RclError(f"corrupt .rcl tile: grey-shortcut byte {payload[pos]}")
        pos += 1
        if payload[pos - 1]:
            grey = payload[pos : pos + GREY_BYTES]
            pos += GREY_BYTES
            if len(payload) < pos + channels * 8 + 8:
                raise RclError("corrupt .rcl tile: its table of lengths is truncated")
    ranges, lengths = [], []
    for _ in range(channels):
        lo, hi, n = struct.unpack_from("<hhI", payload, pos)
        pos += 8
        if not -255 <= lo <= hi <= 255:
            raise RclError(f"corrupt .rcl tile: residual range {lo}..{hi}")
        ranges.append((lo, hi))
        lengths.append(n)
    lossy_len, alpha_len = struct.unpack_from("<II", payload, pos)
    pos += 8
    if pos + lossy_len + sum(lengths) + alpha_len != len(payload):
        raise RclError("corrupt .rcl tile: its lengths do not add up to its size")
    lossy = payload[pos : pos + lossy_len]
    pos += lossy_len
    residual = []
    for n in lengths:
        residual.append(payload[pos : pos + n])
        pos += n
    return Tile(tau, context, grey, ranges, lossy, residual, payload[pos : pos + alpha_len])
