"""The tile records of the .rcl byte layout: one per coder (specified in docs/format.md, "TILE payload").

Like rc_plugin.format.container, it knows sizes and ranges only, never the algorithms that fill the records; every
length is checked against the bytes present.
"""
from __future__ import annotations

import dataclasses
import struct

from .bitstream import (ADAPTIVE_LEARNED_PRESETS_OF_VERSION, ADAPTIVE_ORDER_UNIT,
                        ADAPTIVE_ORDERS, ADAPTIVE_PRESETS_OF_VERSION, CODER_ADAPTIVE, CODER_GENERIC, CODER_LEARNED,
                        CODER_LEARNED_TUNED, CODER_MIXTURE, CODER_JPEG, CODER_PALETTE, CODER_TUNED, CODER_WIDE,
                        PALETTE_MAX, PLANE_ADAPTIVE, PLANE_BYTE_COLOURS, PLANE_GENERIC, PLANE_INDEXED, WIDE_BYTE_TOP,
                        WIDE_CODED_LOGISTIC, WIDE_CODED_RECORD, WIDE_CODED_ROWS, WIDE_CODED_STREAM, WIDE_MAP_OFFSET,
                        WIDE_MAP_TABLE, WIDE_MAX)
from ..errors import RclError
from .jpeg_record import JpegTile, parse_jpeg
from .mixture_record import Tile, parse_mixture
from .streams import SPLIT_VERSION, is_split

CODER_NAMES = {CODER_MIXTURE: "mixture", CODER_ADAPTIVE: "adaptive", CODER_PALETTE: "palette",
               CODER_GENERIC: "generic", CODER_LEARNED: "learned", CODER_WIDE: "wide", CODER_TUNED: "tuned",
               CODER_LEARNED_TUNED: "learned tuned", CODER_JPEG: "jpeg"}
#: The coders each version knows (a version-6 tile has no coder byte): format 7's two, and what each later one added.
_ADDED_CODERS = {7: (CODER_MIXTURE, CODER_ADAPTIVE), 8: (CODER_PALETTE, CODER_GENERIC), 9: (CODER_LEARNED,),
                 10: (CODER_WIDE,), 11: (CODER_TUNED,), 12: (), 13: (CODER_LEARNED_TUNED,), 14: (),
                 15: (CODER_JPEG,), 16: (), 17: (), 18: (), 19: (), 20: ()}
CODERS_OF_VERSION = {v: sum((added for u, added in _ADDED_CODERS.items() if u <= v), ()) for v in _ADDED_CODERS}
#: The version whose records a wide tile's part of 8-bit samples holds in a file of each version from 10 (any record
#: of that version but a mixture or wide one).
BYTE_RECORD_VERSION = {10: 9, 11: 11, 12: 12, 13: 13, 14: 14, 15: 15, 16: 16, 17: 17, 18: 18, 19: 19, 20: 20}
#: The released learned mixers (rc_plugin/weights/mixers/<id>.npz, digests in rc_plugin.adaptive.mixers) by the id a
#: learned tile names, and the encode option's name of each. A released mixer is never changed or removed, so every
#: file that names one keeps decoding; a new one adds a line here (not a bitstream constant: the format stays 9).
MIXER_NAMES = {1: "small", 2: "medium", 3: "large", 4: "large-downscaled"}
MIXER_IDS = {name: mixer for mixer, name in MIXER_NAMES.items()}
#: How a palette tile codes its indices, and the largest palette each way takes.
PLANE_NAMES = {PLANE_ADAPTIVE: "adaptive", PLANE_INDEXED: "indexed", PLANE_GENERIC: "generic"}
PLANE_MAX_COLOURS = {PLANE_ADAPTIVE: PLANE_BYTE_COLOURS, PLANE_INDEXED: PALETTE_MAX, PLANE_GENERIC: PLANE_BYTE_COLOURS}
#: An adaptive tile record's head: the coder byte, the stream's and the alpha plane's lengths.
ADAPTIVE_HEAD = struct.Struct("<BII")
#: A palette tile record's head: the coder byte, the index plane's coder, the colours less one, the lengths of
#: the packed palette, the index stream and the alpha plane. A generic tile's head is an adaptive tile's.
PALETTE_TILE_HEAD = struct.Struct("<BBHIII")
#: A learned tile record's head: the coder byte, the mixer's id, the stream's and the alpha plane's lengths; a tuned
#: tile's is the same with its preset p and channel order k (ADAPTIVE_PRESETS, ADAPTIVE_ORDERS) as p + ORDER_UNIT k.
LEARNED_HEAD = TUNED_HEAD = struct.Struct("<BBII")
#: A learned tuned tile's (format 13): the coder byte, the mixer's id, its preset and order as a tuned tile's, lengths.
LEARNED_TUNED_HEAD = struct.Struct("<BBBII")
#: A wide tile record's head: the coder byte and its parts' count (the colour, then the alpha plane if any); each
#: part's head: how its samples map to 0..top (WIDE_MAP_*), how those values are coded (WIDE_CODED_*), the smallest
#: sample lo, the step (WIDE_MAP_OFFSET: a sample is lo + step x its value; 1 for a table), top, the lengths of the
#: map's table (WIDE_MAP_TABLE, of top + 1 >= 2 values) and of the coded values.
WIDE_HEAD = struct.Struct("<BB")
WIDE_PART_HEAD = struct.Struct("<BBHHHII")
WIDE_MAP_NAMES = {WIDE_MAP_OFFSET: "offset", WIDE_MAP_TABLE: "table"}
WIDE_CODED_NAMES = {WIDE_CODED_STREAM: "stream", WIDE_CODED_ROWS: "rows", WIDE_CODED_RECORD: "record",
                    WIDE_CODED_LOGISTIC: "logistic"}


@dataclasses.dataclass
class AdaptiveTile:
    """An adaptive tile: the adaptive coder's stream of the colour channels, then the alpha plane's bytes."""

    stream: bytes
    alpha: bytes
    coder = CODER_ADAPTIVE

    def pack(self) -> bytes:
        return ADAPTIVE_HEAD.pack(self.coder, len(self.stream), len(self.alpha)) + self.stream + self.alpha


@dataclasses.dataclass
class GenericTile(AdaptiveTile):
    """A generic tile (format 8): the colour channels' filtered rows under LZMA (rc_plugin.adaptive.generic), then
    alpha."""

    coder = CODER_GENERIC


@dataclasses.dataclass
class LearnedTile(AdaptiveTile):
    """A learned tile (format 9): the adaptive coder's stream coded with learned mixer `mixer`, then alpha."""

    mixer: int = 0
    coder = CODER_LEARNED

    def pack(self) -> bytes:
        return LEARNED_HEAD.pack(self.coder, self.mixer, len(self.stream), len(self.alpha)) + self.stream + self.alpha


@dataclasses.dataclass
class LearnedTunedTile(LearnedTile):
    """A learned tuned tile (format 13): a learned tile whose coder ran with preset `preset` (one without secondary
    estimation up to format 15, any from 16) and its colour channels in order `order`; not both 0, which is a learned
    tile."""

    preset: int = 1
    order: int = 0
    coder = CODER_LEARNED_TUNED

    def pack(self) -> bytes:
        named = self.preset + ADAPTIVE_ORDER_UNIT * self.order
        head = LEARNED_TUNED_HEAD.pack(self.coder, self.mixer, named, len(self.stream), len(self.alpha))
        return head + self.stream + self.alpha


@dataclasses.dataclass
class TunedTile(AdaptiveTile):
    """A tuned tile (format 11, 12 for presets with secondary estimation): the adaptive coder's stream with preset
    `preset` and its colour channels in order `order` (ADAPTIVE_PRESETS, _ORDERS), then alpha; not both 0."""

    preset: int = 1
    order: int = 0
    coder = CODER_TUNED

    def pack(self) -> bytes:
        named = self.preset + ADAPTIVE_ORDER_UNIT * self.order
        return TUNED_HEAD.pack(self.coder, named, len(self.stream), len(self.alpha)) + self.stream + self.alpha


@dataclasses.dataclass
class WidePart:
    """One part of a wide tile: its samples as values 0..top, each sample lo + step x its value (WIDE_MAP_OFFSET) or
    the value's entry in the packed table of the values the part holds (WIDE_MAP_TABLE, rc_plugin.adaptive.value_map),
    and those values coded as `coding` says (WIDE_CODED_*): the adaptive coder's wide stream (its tokens counted, or
    the logistic's), generic rows of 16-bit values (both bytes), or an 8-bit record (top <= WIDE_BYTE_TOP)."""

    kind: int  # WIDE_MAP_*
    coding: int  # WIDE_CODED_*
    lo: int
    step: int
    top: int
    table: bytes
    coded: "bytes | AdaptiveTile | PaletteTile"

    def pack(self) -> bytes:
        inner = self.coded if isinstance(self.coded, bytes) else self.coded.pack()
        head = WIDE_PART_HEAD.pack(self.kind, self.coding, self.lo, self.step, self.top, len(self.table), len(inner))
        return head + self.table + inner


@dataclasses.dataclass
class WideTile:
    """A wide tile (format 10): samples of up to 16 bits, its colour and then its alpha plane (if any) as parts."""

    parts: list[WidePart]
    coder = CODER_WIDE
    alpha = b""  # the alpha plane is a part

    def pack(self) -> bytes:
        return WIDE_HEAD.pack(self.coder, len(self.parts)) + b"".join(part.pack() for part in self.parts)


@dataclasses.dataclass
class PaletteTile:
    """A palette tile (format 8): the packed palette, its index plane coded as `plane` says, then alpha."""

    plane: int  # PLANE_*
    colours: int  # palette entries, 1..PALETTE_MAX
    palette: bytes  # rc_plugin.adaptive.palette.pack_palette
    stream: bytes
    alpha: bytes
    coder = CODER_PALETTE

    def pack(self) -> bytes:
        head = PALETTE_TILE_HEAD.pack(self.coder, self.plane, self.colours - 1, len(self.palette),
                                      len(self.stream), len(self.alpha))
        return head + self.palette + self.stream + self.alpha


#: The records whose colour stream may be split by channel (format 14; a generic tile is an adaptive one too, of rows).
SPLITTABLE = (AdaptiveTile, TunedTile, LearnedTile, LearnedTunedTile)


def parse_tile(payload: bytes, channels: int, version: int) -> Tile | AdaptiveTile | PaletteTile | WideTile:
    """A TILE payload's record; version 6 tiles are mixture tiles without the coder byte."""
    if version == 6:
        return parse_mixture(payload, channels)
    if not payload:
        raise RclError("corrupt .rcl tile: it is empty")
    if payload[0] == CODER_MIXTURE:
        return parse_mixture(payload[1:], channels)
    if payload[0] not in CODERS_OF_VERSION[version]:
        raise RclError(f"corrupt .rcl tile: unknown coder {payload[0]} in a version-{version} file")
    if payload[0] == CODER_PALETTE:
        return _parse_palette(payload)
    if payload[0] == CODER_WIDE:
        return _parse_wide(payload, channels, BYTE_RECORD_VERSION[version])
    if payload[0] == CODER_JPEG:
        return parse_jpeg(payload, channels, lambda residual: parse_tile(residual, channels, version))
    if payload[0] in (CODER_LEARNED, CODER_TUNED):  # the same head: the byte after the coder names a mixer or preset
        _, named, stream_len, alpha_len = _head(LEARNED_HEAD, payload)
        stream_and_alpha = _stream_and_alpha(payload, LEARNED_HEAD.size, stream_len, alpha_len)
        if payload[0] == CODER_TUNED:
            presets = ADAPTIVE_PRESETS_OF_VERSION[version]
            return _unsplit_before(TunedTile(*stream_and_alpha, *_preset_and_order(named, channels, presets)), version)
        return _unsplit_before(LearnedTile(*stream_and_alpha, _known_mixer(named)), version)
    if payload[0] == CODER_LEARNED_TUNED:
        _, mixer, named, stream_len, alpha_len = _head(LEARNED_TUNED_HEAD, payload)
        preset, order = _preset_and_order(named, channels, ADAPTIVE_LEARNED_PRESETS_OF_VERSION[version])
        stream_and_alpha = _stream_and_alpha(payload, LEARNED_TUNED_HEAD.size, stream_len, alpha_len)
        return _unsplit_before(LearnedTunedTile(*stream_and_alpha, _known_mixer(mixer), preset, order), version)
    _, stream_len, alpha_len = _head(ADAPTIVE_HEAD, payload)
    stream_and_alpha = _stream_and_alpha(payload, ADAPTIVE_HEAD.size, stream_len, alpha_len)
    if payload[0] == CODER_GENERIC:
        return GenericTile(*stream_and_alpha)
    return _unsplit_before(AdaptiveTile(*stream_and_alpha), version)


def _unsplit_before(record: AdaptiveTile, version: int) -> AdaptiveTile:
    """The record, refused where its stream is split by channel in a file older than format 14."""
    if version < SPLIT_VERSION and is_split(record.stream):
        raise RclError(f"corrupt .rcl tile: a stream split by channel in a version-{version} file")
    return record


def _preset_and_order(named: int, channels: int, presets: int) -> tuple[int, int]:
    """The preset and channel order a tuned record's byte names: neither both 0 nor beyond the first `presets`
    presets and the orders of the tile's channels (a grey tile has one)."""
    preset, order = named % ADAPTIVE_ORDER_UNIT, named // ADAPTIVE_ORDER_UNIT
    if named == 0 or preset >= presets or order >= (len(ADAPTIVE_ORDERS) if channels == 3 else 1):
        raise RclError(f"corrupt .rcl tile: unknown adaptive preset {preset} or order {order}")
    return preset, order


def _known_mixer(mixer: int) -> int:
    if mixer not in MIXER_NAMES:
        raise RclError(f"this .rcl tile names learned mixer {mixer}, which this rc_plugin does not know; upgrade "
                       "rc_plugin, or the file is corrupt")
    return mixer


def _head(head: struct.Struct, payload: bytes) -> tuple:
    """A record's head (its coder byte and lengths), refused when the payload is shorter."""
    if len(payload) < head.size:
        raise RclError("corrupt .rcl tile: its table of lengths is truncated")
    return head.unpack_from(payload)


def _stream_and_alpha(payload: bytes, start: int, stream_len: int, alpha_len: int) -> tuple[bytes, bytes]:
    """The stream and alpha plane after a head of `start` bytes, whose lengths must add up to the payload."""
    if start + stream_len + alpha_len != len(payload):
        raise RclError("corrupt .rcl tile: its lengths do not add up to its size")
    return payload[start : start + stream_len], payload[start + stream_len :]


def _parse_palette(payload: bytes) -> PaletteTile:
    _, plane, colours, palette_len, stream_len, alpha_len = _head(PALETTE_TILE_HEAD, payload)
    colours += 1
    if plane not in PLANE_NAMES or colours > PLANE_MAX_COLOURS[plane]:
        raise RclError(f"corrupt .rcl tile: index plane coder {plane} with {colours} colours")
    start = PALETTE_TILE_HEAD.size
    stream, alpha = _stream_and_alpha(payload, start + palette_len, stream_len, alpha_len)
    return PaletteTile(plane, colours, payload[start : start + palette_len], stream, alpha)


def _parse_wide(payload: bytes, channels: int, record_version: int) -> WideTile:
    """A wide tile's parts: the colour (channels) and, if the head says two parts, the alpha plane, whose 8-bit
    records are those of record_version."""
    _, count = _head(WIDE_HEAD, payload)
    if count not in (1, 2):
        raise RclError(f"corrupt .rcl tile: a wide tile of {count} parts")
    parts, pos = [], WIDE_HEAD.size
    for i in range(count):
        if pos + WIDE_PART_HEAD.size > len(payload):
            raise RclError("corrupt .rcl tile: a wide part's head is truncated")
        kind, coding, lo, step, top, table_len, coded_len = WIDE_PART_HEAD.unpack_from(payload, pos)
        pos += WIDE_PART_HEAD.size
        bad_offset = kind == WIDE_MAP_OFFSET and (step < 1 or lo + step * top > WIDE_MAX or table_len)
        bad_map = kind not in WIDE_MAP_NAMES or top < kind or bad_offset or (kind == WIDE_MAP_TABLE and step != 1)
        if bad_map or coding not in WIDE_CODED_NAMES or (coding == WIDE_CODED_RECORD) != (top <= WIDE_BYTE_TOP):
            raise RclError(f"corrupt .rcl tile: a wide part mapped by {kind} from {lo} in steps of {step} to top {top}, "
                           f"coded by {coding}")
        if pos + table_len + coded_len > len(payload):
            raise RclError("corrupt .rcl tile: a wide part's lengths exceed the tile")
        table, coded = payload[pos : pos + table_len], payload[pos + table_len : pos + table_len + coded_len]
        pos += table_len + coded_len
        if coding == WIDE_CODED_RECORD:
            coded = parse_tile(coded, channels if i == 0 else 1, record_version)
            if isinstance(coded, (Tile, WideTile)) or coded.alpha:
                raise RclError("corrupt .rcl tile: a wide part holds a mixture or wide tile or an alpha plane")
        parts.append(WidePart(kind, coding, lo, step, top, table, coded))
    if pos != len(payload):
        raise RclError("corrupt .rcl tile: its lengths do not add up to its size")
    return WideTile(parts)
