"""A JPEG tile back to its pixels: its coefficients decoded, the JPEG decoded as libjpeg-turbo decodes it, the
tile's window of it, and the residual record's samples added modulo 256."""
from __future__ import annotations

import numpy as np

from ...errors import RclError
from ...format.jpeg_bits import JPEG_SAMPLINGS
from ...format.jpeg_record import JpegTile, jpeg_components
from . import inverse
from .layout import block_layout, split_blocks, tables_from_bytes


def decode_coefficients(tile: JpegTile) -> list[np.ndarray]:
    """Each component's (down, across, 8, 8) quantised coefficients."""
    from .coefficients import BANDS, BUCKET_BOUNDS, RATES, code_coefficients

    layout = block_layout(tile.sampling, tile.height, tile.width)
    blocks = np.zeros((int(layout[-1, 1] * layout[-1, 2] + layout[-1, 3]), 64), np.int32)
    read = code_coefficients(blocks, layout, True, np.frombuffer(tile.stream, np.uint8), np.zeros(1, np.uint8), BANDS,
                             BUCKET_BOUNDS, RATES)
    if read < 0:
        raise RclError("corrupt .rcl tile: a JPEG coefficient beyond its limit")
    if read > len(tile.stream) + 8:  # the decoder may look a few bytes past the encoder's flush, never more
        raise RclError("corrupt .rcl tile: its JPEG coefficient stream ends too early")
    return split_blocks(blocks, layout)


def decode_jpeg_tile(tile: JpegTile, channels: int, th: int, tw: int, residual_decoder) -> np.ndarray:
    """The tile's (th, tw, channels) uint8 colour; residual_decoder(record, channels, th, tw) decodes the residual
    record (rc_plugin.adaptive.decode's table of decoders)."""
    if tile.top + th > tile.height or tile.left + tw > tile.width:
        raise RclError(f"corrupt .rcl tile: a {tw}x{th} tile at ({tile.left}, {tile.top}) of a JPEG of "
                       f"{tile.width}x{tile.height}")
    tables = tables_from_bytes(tile.tables, jpeg_components(tile.sampling))
    decoded = inverse.decode(decode_coefficients(tile), tables, JPEG_SAMPLINGS[tile.sampling], tile.height,
                            tile.width)
    out = decoded[tile.top : tile.top + th, tile.left : tile.left + tw].astype(np.uint8)
    if tile.residual is not None:
        out += residual_decoder(tile.residual, channels, th, tw)  # modulo 256
    return out
