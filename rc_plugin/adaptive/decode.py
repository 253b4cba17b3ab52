"""The adaptive coder's tile records back to their pixels (rc_plugin.tile_coder): an adaptive tile, generic rows, a
palette and its index plane, or a wide tile's parts. numba loads at the first tile that needs it, not with the
package."""
from __future__ import annotations

import numpy as np

from ..format.bitstream import (ADAPTIVE_ORDERS, PLANE_ADAPTIVE, PLANE_GENERIC, WIDE_CODED_LOGISTIC, WIDE_CODED_RECORD,
                                WIDE_CODED_ROWS)
from ..format.container import Header
from ..format.records import (BYTE_RECORD_VERSION, SPLITTABLE, AdaptiveTile, GenericTile, JpegTile, LearnedTile,
                              LearnedTunedTile, PaletteTile, TunedTile, WideTile)
from .palette import apply_palette, unpack_palette


def decode_adaptive_tile(tile: AdaptiveTile, channels: int, th: int, tw: int, version: int, threads: int = 1
                         ) -> np.ndarray:
    """The tile's colour, the tile read from a file of `version` (so are those below); a stream split by channel
    decodes on up to `threads` threads (so do the tiles below)."""
    from . import plane_coder  # a quarter second of numba loading, at the first adaptive tile

    return plane_coder.decode_plane(tile.stream, th, tw, channels, threads=threads, version=version)


def decode_tuned_tile(tile: TunedTile, channels: int, th: int, tw: int, version: int, threads: int = 1) -> np.ndarray:
    """The tile's colour: its stream decoded with its preset, the channels put back from the order it names."""
    from . import plane_coder

    coded = plane_coder.decode_plane(tile.stream, th, tw, channels, preset=tile.preset, threads=threads,
                                     version=version)
    return coded[..., np.argsort(ADAPTIVE_ORDERS[tile.order])] if tile.order else coded


def decode_learned_tile(tile: LearnedTile, channels: int, th: int, tw: int, version: int, threads: int = 1
                        ) -> np.ndarray:
    """The tile's colour: its stream decoded with its mixer (and a learned tuned tile's preset, its order undone)."""
    from . import mixers, plane_coder

    preset, order = getattr(tile, "preset", 0), getattr(tile, "order", 0)
    coded = plane_coder.decode_plane(tile.stream, th, tw, channels, mixers.load(tile.mixer), preset=preset,
                                     threads=threads, version=version)
    return coded[..., np.argsort(ADAPTIVE_ORDERS[order])] if order else coded


def decode_generic_tile(tile: GenericTile, channels: int, th: int, tw: int, version: int) -> np.ndarray:
    from . import generic

    return generic.decode_rows(tile.stream, th, tw, channels)


def decode_palette_tile(tile: PaletteTile, channels: int, th: int, tw: int, version: int) -> np.ndarray:
    """A palette tile's colour: its index plane decoded as the tile says, looked up in its palette."""
    from . import generic, indexed, plane_coder

    colours = unpack_palette(tile.palette, tile.colours, channels)
    if tile.plane == PLANE_ADAPTIVE:
        indices = plane_coder.decode_plane(tile.stream, th, tw, 1, version=version)[..., 0]
    elif tile.plane == PLANE_GENERIC:
        indices = generic.decode_rows(tile.stream, th, tw, 1)[..., 0]
    else:
        indices = indexed.decode_indices(tile.stream, th, tw, tile.colours)
    return apply_palette(colours, indices)


def decode_wide_tile(tile: WideTile, channels: int, th: int, tw: int, version: int) -> np.ndarray:
    """A wide tile's (th, tw, channels [+ 1]) uint16 samples: its colour, and its alpha plane last if it has one."""
    from . import generic, plane_coder
    from ..row_filters import from_big_endian
    from .value_map import unmap

    planes = []
    for i, part in enumerate(tile.parts):
        n = channels if i == 0 else 1
        if part.coding == WIDE_CODED_RECORD:
            mapped = _DECODERS[type(part.coded)](part.coded, n, th, tw, BYTE_RECORD_VERSION[version])
        elif part.coding == WIDE_CODED_ROWS:
            mapped = from_big_endian(generic.decode_rows(part.coded, th, tw, 2 * n))
        else:
            mapped = plane_coder.decode_plane(part.coded, th, tw, n, top=part.top,
                                              logistic=part.coding == WIDE_CODED_LOGISTIC, version=version)
        planes.append(unmap(mapped, part))
    return np.concatenate(planes, axis=2) if len(planes) > 1 else planes[0]


def decode_jpeg_tile(tile: JpegTile, channels: int, th: int, tw: int, version: int) -> np.ndarray:
    """A JPEG tile's colour: its JPEG's window, and its residual record's samples added (rc_plugin.adaptive.jpeg)."""
    from .jpeg.decode import decode_jpeg_tile as decode_jpeg

    residual = lambda record, n, h, w: _DECODERS[type(record)](record, n, h, w, version)  # noqa: E731
    return decode_jpeg(tile, channels, th, tw, residual)


#: The decoder of each kind of record.
_DECODERS = {AdaptiveTile: decode_adaptive_tile, GenericTile: decode_generic_tile, LearnedTile: decode_learned_tile,
             PaletteTile: decode_palette_tile, WideTile: decode_wide_tile, TunedTile: decode_tuned_tile,
             LearnedTunedTile: decode_learned_tile, JpegTile: decode_jpeg_tile}


def decode_tile(tile: AdaptiveTile | PaletteTile | WideTile, header: Header, th: int, tw: int, opts: dict
                ) -> np.ndarray:
    """(th, tw, coded channels) colour of one of the adaptive coder's records: uint8, or for a wide tile uint16 with
    its alpha plane last, if the image has one. A colour record of split streams takes the threads the image's other
    tiles leave (opts' tile_threads)."""
    version = header.version
    if type(tile) in SPLITTABLE:
        return _DECODERS[type(tile)](tile, header.coded_channels, th, tw, version, opts.get("tile_threads", 1))
    return _DECODERS[type(tile)](tile, header.coded_channels, th, tw, version)
