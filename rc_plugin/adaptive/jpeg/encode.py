"""A tile as a JPEG tile (encoder only): the JPEG its pixels came from (recover), its coefficients coded, and the
residual where its decoding differs from the pixels, coded as any other tile is. Exact by construction: the
residual is what the decoder's own decoding leaves."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ...format.jpeg_bits import JPEG_COEF_LIMIT, JPEG_SAMPLINGS
from ...format.jpeg_record import JpegTile
from . import inverse
from .layout import block_layout, join_blocks, tables_to_bytes
from .recover import Grid, recover_tile


def encode_coefficients(coefs: list[np.ndarray], sampling: int, height: int, width: int) -> bytes | None:
    """The coefficient stream of each component's (down, across, 8, 8) coefficients; None if it would not fit."""
    from .coefficients import BANDS, BUCKET_BOUNDS, RATES, code_coefficients

    layout = block_layout(sampling, height, width)
    blocks = join_blocks(coefs)
    out = np.zeros(blocks.size * 8 + 8192, np.uint8)
    written = code_coefficients(blocks, layout, False, np.zeros(1, np.uint8), out, BANDS, BUCKET_BOUNDS, RATES)
    return None if written < 0 else out[:written].tobytes()


def code_jpeg_tile(colour: np.ndarray, grid: Grid, code_residual: Callable[[np.ndarray], object],
                   alpha: bytes = b"") -> JpegTile | None:
    """colour (h, w, 1 or 3) uint8 of an image whose JPEG `grid` recover.detect found, as a JPEG tile, the residual
    coded by code_residual((h, w, C) uint8) -> record, with the alpha plane's bytes (rc_plugin.format.alpha) if any;
    None where its coefficients would pass the format's limits."""
    h, w, channels = colour.shape
    found = recover_tile(colour, grid)
    tables = grid.tables[:channels]
    if any(np.abs(k).max() > JPEG_COEF_LIMIT for k in found.coefficients) or \
            any(t.min() < 1 or t.max() > 255 for t in tables):
        return None
    stream = encode_coefficients(found.coefficients, grid.sampling, found.height, found.width)
    if stream is None:
        return None
    decoded = inverse.decode(found.coefficients, tables, JPEG_SAMPLINGS[grid.sampling], found.height, found.width)
    window = decoded[grid.top :, grid.left :].astype(np.uint8)
    residual = colour - window  # modulo 256: the decoder adds it back
    record = code_residual(residual) if residual.any() else None
    return JpegTile(grid.sampling, found.height, found.width, grid.top, grid.left, tables_to_bytes(tables), stream,
                    record, alpha)
