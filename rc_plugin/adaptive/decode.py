"""The adaptive coder's tile records back to their colour (rc_plugin.tile_coder): an adaptive tile, generic rows,
or a palette and its index plane. numba loads at the first tile that needs it, not with the package."""
from __future__ import annotations

import numpy as np

from ..format.bitstream import PLANE_ADAPTIVE, PLANE_GENERIC
from ..format.container import Header
from ..format.records import AdaptiveTile, GenericTile, LearnedTile, PaletteTile
from .palette import apply_palette, unpack_palette


def decode_adaptive_tile(tile: AdaptiveTile, header: Header, th: int, tw: int) -> np.ndarray:
    from . import plane_coder  # a quarter second of numba loading, at the first adaptive tile

    return plane_coder.decode_plane(tile.stream, th, tw, header.coded_channels)


def decode_learned_tile(tile: LearnedTile, header: Header, th: int, tw: int) -> np.ndarray:
    from . import mixers, plane_coder

    return plane_coder.decode_plane(tile.stream, th, tw, header.coded_channels, mixers.load(tile.mixer))


def decode_generic_tile(tile: GenericTile, header: Header, th: int, tw: int) -> np.ndarray:
    from . import generic

    return generic.decode_rows(tile.stream, th, tw, header.coded_channels)


def decode_palette_tile(tile: PaletteTile, header: Header, th: int, tw: int) -> np.ndarray:
    """A palette tile's colour: its index plane decoded as the tile says, looked up in its palette."""
    from . import generic, indexed, plane_coder

    colours = unpack_palette(tile.palette, tile.colours, header.coded_channels)
    if tile.plane == PLANE_ADAPTIVE:
        indices = plane_coder.decode_plane(tile.stream, th, tw, 1)[..., 0]
    elif tile.plane == PLANE_GENERIC:
        indices = generic.decode_rows(tile.stream, th, tw, 1)[..., 0]
    else:
        indices = indexed.decode_indices(tile.stream, th, tw, tile.colours)
    return apply_palette(colours, indices)


#: The decoder of each kind of record.
_DECODERS = {AdaptiveTile: decode_adaptive_tile, GenericTile: decode_generic_tile, LearnedTile: decode_learned_tile,
             PaletteTile: decode_palette_tile}


def decode_tile(tile: AdaptiveTile | PaletteTile, header: Header, th: int, tw: int, opts: dict) -> np.ndarray:
    """(th, tw, coded channels) uint8 colour of one of the adaptive coder's records."""
    return _DECODERS[type(tile)](tile, header, th, tw)
