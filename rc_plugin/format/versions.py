"""Which file versions read each tile record (docs/format.md, "Header"): a file is written in the oldest version that
reads all its records (container.version_for), so that older rcl releases read every file they can.
"""
from __future__ import annotations

from .bitstream import (ADAPTIVE_FAR_VERSION, ADAPTIVE_LEARNED_PRESETS_OF_VERSION, ADAPTIVE_PRESETS_OF_VERSION,
                        CODER_JPEG, PLANE_ADAPTIVE, WIDE_CODED_ROWS)
from .records import (CODERS_OF_VERSION, AdaptiveTile, GenericTile, JpegTile, LearnedTunedTile, PaletteTile, Tile,
                      TunedTile, WideTile)
from .streams import SPLIT_VERSION

# Every record whose stream may be split by channel (records.SPLITTABLE) holds an adaptive-coder stream, which needs
# ADAPTIVE_FAR_VERSION, so it needs no rule of its own for SPLIT_VERSION (parse_tile still refuses a split stream in
# an older file).
assert SPLIT_VERSION <= ADAPTIVE_FAR_VERSION


def oldest_version(record: Tile | AdaptiveTile | PaletteTile | WideTile) -> int:
    """The oldest file version that reads the record (a wide tile's parts' and a JPEG tile's residual's too; 0: any
    that reads its coder). The adaptive coder's streams, with a learned mixer or without, are written with the
    estimators of ADAPTIVE_FAR_VERSION (plane_state.estimators), which files from that version on read."""
    if isinstance(record, JpegTile):
        jpeg = min(v for v, coders in CODERS_OF_VERSION.items() if CODER_JPEG in coders)
        return max(jpeg, oldest_version(record.residual) if record.residual is not None else 0)
    if isinstance(record, WideTile):
        streams = any(isinstance(part.coded, bytes) and part.coding != WIDE_CODED_ROWS for part in record.parts)
        return max([ADAPTIVE_FAR_VERSION if streams else 0]
                   + [oldest_version(part.coded) for part in record.parts if not isinstance(part.coded, bytes)])
    if isinstance(record, (TunedTile, LearnedTunedTile)):  # and the presets each version names
        learned = isinstance(record, LearnedTunedTile)
        named = ADAPTIVE_LEARNED_PRESETS_OF_VERSION if learned else ADAPTIVE_PRESETS_OF_VERSION
        return max(ADAPTIVE_FAR_VERSION, min(v for v, n in named.items() if n > record.preset))
    if isinstance(record, PaletteTile):
        return ADAPTIVE_FAR_VERSION if record.plane == PLANE_ADAPTIVE else 0
    if isinstance(record, AdaptiveTile) and not isinstance(record, GenericTile):  # an adaptive or learned tile
        return ADAPTIVE_FAR_VERSION
    return 0
