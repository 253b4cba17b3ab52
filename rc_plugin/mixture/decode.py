"""Tile records back to pixels: the tile model rebuilt from the stored lossy bytes, then the residual decoded.

Everything here is integer arithmetic or lookup tables, so every machine decodes the same pixels.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import entropy, grids, released
from .alpha import decode_alpha
from .bitstream import LAYER_NAMES, LAYER_NONE, PLANE_ADAPTIVE, PLANE_GENERIC
from .container import Header, Palette
from .records import AdaptiveTile, GenericTile, PaletteTile, Tile, parse_tile
from .context import ContextParams
from .errors import RclError
from .grey import GreyCoding, GreyParams
from .lossy import get_layer
from .palette import apply_palette, unpack_palette
from .parallel import map_tiles
from .pixels import pixel_checksum
from .symbols import decode_symbols
from .tile_model import TileModel


def _with_alpha(colour: np.ndarray, tile, header: Header, th: int, tw: int) -> np.ndarray:
    """The tile's colour (th, tw, coded channels) as the image's channels, its alpha plane appended."""
    if colour.shape[2] < header.colour_channels:  # grey stored as colour
        colour = np.repeat(colour, header.colour_channels, axis=2)
    if header.has_alpha:
        return np.concatenate([colour, decode_alpha(tile.alpha, th, tw)[..., None]], axis=2)
    if tile.alpha:
        raise RclError("corrupt .rcl tile: alpha data in an image without alpha")
    return colour


def decode_adaptive_tile(tile: AdaptiveTile, header: Header, th: int, tw: int) -> np.ndarray:
    from . import adaptive  # numba loads at the first adaptive tile, not with the package (a quarter second)

    return _with_alpha(adaptive.decode_plane(tile.stream, th, tw, header.coded_channels), tile, header, th, tw)


def decode_generic_tile(tile: GenericTile, header: Header, th: int, tw: int) -> np.ndarray:
    from . import generic  # numba loads at the first tile that needs it

    return _with_alpha(generic.decode_rows(tile.stream, th, tw, header.coded_channels), tile, header, th, tw)


def decode_palette_tile(tile: PaletteTile, header: Header, th: int, tw: int) -> np.ndarray:
    """A palette tile's pixels: its index plane decoded as the tile says, looked up in its palette."""
    from . import adaptive, generic, indexed  # numba loads at the first tile that needs it

    colours = unpack_palette(tile.palette, tile.colours, header.coded_channels)
    if tile.plane == PLANE_ADAPTIVE:
        indices = adaptive.decode_plane(tile.stream, th, tw, 1)[..., 0]
    elif tile.plane == PLANE_GENERIC:
        indices = generic.decode_rows(tile.stream, th, tw, 1)[..., 0]
    else:
        indices = indexed.decode_indices(tile.stream, th, tw, tile.colours)
    return _with_alpha(apply_palette(colours, indices), tile, header, th, tw)


#: The decoder of each kind of tile that codes without the lossy layer; such tiles decode side by side.
_LOCAL_DECODERS = {AdaptiveTile: decode_adaptive_tile, GenericTile: decode_generic_tile,
                   PaletteTile: decode_palette_tile}


def decode_tile(tile: Tile, header: Header, layer, th: int, tw: int, device: str, threads) -> np.ndarray:
    """(th, tw, channels) uint8 pixels of one mixture tile record."""
    if layer is None:
        raise RclError("corrupt .rcl file: a mixture tile in a file without a lossy layer")
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
    return _with_alpha(colour.T.reshape(th, tw, coded).astype(np.uint8), tile, header, th, tw)


def decode_tiles(
    header: Header, payloads: list[bytes], device: str, threads, progress: Callable[[int, int], None] | None,
    palette: Palette | None = None,
) -> np.ndarray:
    """The image's pixels from its parsed header and TILE payloads, checked against the header's checksum (which
    covers a P image's palette too)."""
    if header.layer_id not in LAYER_NAMES:
        raise RclError(f"unknown lossy layer id {header.layer_id}")
    layer = get_layer(LAYER_NAMES[header.layer_id]) if header.layer_id != LAYER_NONE else None
    out = np.empty((header.height, header.width, header.channels), np.uint8)
    tiles = header.tiles()  # as many as payloads: the chunk parser checked the count
    records = [parse_tile(payload, header.coded_channels, header.version) for payload in payloads]

    def decode(i: int) -> None:
        (y, x, th, tw), tile = tiles[i], records[i]
        if type(tile) in _LOCAL_DECODERS:
            out[y : y + th, x : x + tw] = _LOCAL_DECODERS[type(tile)](tile, header, th, tw)
        else:
            out[y : y + th, x : x + tw] = decode_tile(tile, header, layer, th, tw, device, threads)

    # tiles without a lossy layer side by side; mixture tiles one at a time, since onnxruntime has the cores
    at_once = threads if all(type(tile) in _LOCAL_DECODERS for tile in records) else 1
    map_tiles(decode, len(tiles), at_once, progress)
    if pixel_checksum(out, palette) != header.checksum:
        raise RclError("decoded pixels fail the file's checksum: the file is corrupt")
    return out
