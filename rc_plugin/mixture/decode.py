"""A mixture tile record back to its colour: the tile model rebuilt from the lossy bytes, then the residual decoded.

Everything here is integer arithmetic or lookup tables, so every machine decodes the same pixels.
"""
from __future__ import annotations

import numpy as np

from . import entropy, released
from ..format import grids
from ..format.bitstream import LAYER_NAMES, LAYER_NONE
from ..format.container import Header
from ..format.mixture_record import Tile
from .context import ContextParams
from ..errors import RclError
from .grey import GreyCoding, GreyParams
from .lossy import get_layer
from .symbols import decode_symbols
from .tile_model import TileModel


def decode_tile(tile: Tile, header: Header, th: int, tw: int, opts: dict) -> np.ndarray:
    """(th, tw, coded channels) uint8 colour of one mixture tile record (rc_plugin.tile_coder)."""
    if header.layer_id == LAYER_NONE:
        raise RclError("corrupt .rcl file: a mixture tile in a file without a lossy layer")
    layer, device, threads = get_layer(LAYER_NAMES[header.layer_id]), opts["device"], opts["threads"]
    coded = header.coded_channels
    # the model the file names, refused with a clear error if not shipped
    tm = TileModel.from_lossy(layer, tile.lossy, th, tw, header.q, coded, released.model(header.model_id), device,
                              threads)
    tau = np.frombuffer(tile.tau, np.int8).astype(np.int64).reshape(3, grids.K)
    if np.abs(tau).max() > grids.TAU_LIMIT:
        raise RclError("corrupt .rcl tile: tau out of range")
    ctx = ContextParams.unpack(tile.context)
    for (lo, hi), stream in zip(tile.ranges, tile.residual):
        if lo == hi and stream:
            raise RclError("corrupt .rcl tile: a constant channel carries data")
    coders = [entropy.StreamDecoder(stream) for stream in tile.residual]
    r = np.zeros((coded, th * tw), np.int64)

    def code(c, phase, idx, model, lo, hi):
        return decode_symbols(coders[c], tm.tables, model, ctx, c, phase, len(idx), lo, hi)

    grey = None
    if tile.grey:
        if any(lo == hi for lo, hi in tile.ranges):
            raise RclError("corrupt .rcl tile: the grey shortcut is on, but a colour channel is constant")

        def code_flags(idx, freqs):
            return coders[1].decode(len(idx), lambda s: freqs[s], 2)

        grey = GreyCoding(GreyParams.unpack(tile.grey), tm.xl, th, tw, code_flags)
    tm.walk(tau, tile.ranges, r, code, grey)
    colour = tm.xl + r
    if colour.min() < 0 or colour.max() > 255:
        raise RclError("corrupt .rcl tile: decoded pixels fall outside 0..255")
    return colour.T.reshape(th, tw, coded).astype(np.uint8)

