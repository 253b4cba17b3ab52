"""The .rcl byte layout: header, chunks and tile records (specified in docs/format.md).

It knows sizes and ranges only (from rc_plugin.bitstream), never the algorithms that
fill the records, so the layout can be read, checked and listed without them.

Parsing validates every length and count against the bytes actually present
and against the pixel limit before anything is allocated.
"""
from __future__ import annotations

import dataclasses
import struct
import zlib

from .bitstream import (CODER_ADAPTIVE, CODER_GENERIC, CODER_MIXTURE, CODER_PALETTE, CONTEXT_BYTES, GREY_BYTES,
                        MAX_TILE, MIN_TILE, PALETTE_MAX, PLANE_ADAPTIVE, PLANE_GENERIC, PLANE_INDEXED, TAU_BYTES)
from .errors import RclError

MAGIC = b"\x89RCL\r\n\x1a\n"
VERSION = 8
#: Versions this decoder reads: a version-6 file is a version-7 file whose tiles are all mixture tiles
#: without the coder byte.
READABLE_VERSIONS = (6, 7, 8)
HEADER = struct.Struct("<8sBBBBIIHH8s8s")  # magic, version, mode, layer, q, w, h, tile, flags, model, checksum
HEADER_SIZE = HEADER.size + 4  # + crc32
CHUNK_HEAD = struct.Struct("<4sI")

#: Modes 4 (P, palette indices) and 5 (1, values 0/1) code one plane like L; a P file carries a PLTE chunk.
MODES = {0: "L", 1: "LA", 2: "RGB", 3: "RGBA", 4: "P", 5: "1"}
MODE_IDS = {v: k for k, v in MODES.items()}
#: Modes whose coded plane is not the image's colour: palette indices (P), bits 0/1 (1).
INDEXED_MODES = ("P", "1")
#: flags bit 0 (mode L): the array had an explicit channel axis of size 1 ((H, W, 1) rather than (H, W)).
FLAG_CHANNEL_AXIS = 1
#: flags bit 1 (modes RGB, RGBA): the three colour channels are equal, so only one is coded.
FLAG_GREY_COLOUR = 2
META_CHUNKS = {b"ICCP": "icc_profile", b"EXIF": "exif", b"XMP ": "xmp"}
#: The palette of a mode-P file (required there, an error elsewhere); metadata under the key "palette", a Palette.
PALETTE_CHUNK = b"PLTE"
PALETTE_KEY = "palette"
#: Lossy layer ids (0: HEVC in HEIF, 1: BPG, 2: none, for files whose tiles all code without one).
LAYER_IDS = (0, 1, 2)
LAYER_NONE = 2
CODER_NAMES = {CODER_MIXTURE: "mixture", CODER_ADAPTIVE: "adaptive", CODER_PALETTE: "palette",
               CODER_GENERIC: "generic"}
#: The coders each version knows (a version-6 tile has no coder byte).
CODERS_OF_VERSION = {7: (CODER_MIXTURE, CODER_ADAPTIVE), 8: tuple(CODER_NAMES)}
#: How a palette tile codes its indices, and the largest palette each way takes.
PLANE_NAMES = {PLANE_ADAPTIVE: "adaptive", PLANE_INDEXED: "indexed", PLANE_GENERIC: "generic"}
PLANE_MAX_COLOURS = {PLANE_ADAPTIVE: 256, PLANE_INDEXED: PALETTE_MAX, PLANE_GENERIC: 256}
#: An adaptive tile record's head: the coder byte, the stream's and the alpha plane's lengths.
ADAPTIVE_HEAD = struct.Struct("<BII")
#: A palette tile record's head: the coder byte, the index plane's coder, the colours less one, the lengths of
#: the packed palette, the index stream and the alpha plane. A generic tile's head is an adaptive tile's.
PALETTE_TILE_HEAD = struct.Struct("<BBHIII")
#: Smallest possible TILE chunk: head, CRC and an adaptive tile's head.
MIN_TILE_CHUNK = CHUNK_HEAD.size + 4 + ADAPTIVE_HEAD.size


def colour_channels(mode: str) -> int:
    """Colour channels of an image of this mode (the coder carries one for grey, three for colour)."""
    return 1 if mode in ("L", "LA", "P", "1") else 3


@dataclasses.dataclass
class Header:
    mode: str
    layer_id: int
    q: int
    width: int
    height: int
    tile: int
    flags: int
    model_id: bytes
    checksum: bytes
    version: int = VERSION

    @property
    def colour_channels(self) -> int:
        """Colour channels of the decoded image."""
        return colour_channels(self.mode)

    @property
    def coded_channels(self) -> int:
        """Colour channels the lossy layer and the residual carry: one for grey, and for grey stored as colour."""
        return 1 if self.flags & FLAG_GREY_COLOUR else self.colour_channels

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("LA", "RGBA")

    @property
    def channels(self) -> int:
        """Channels of the decoded image: its colour channels and alpha, if any."""
        return self.colour_channels + self.has_alpha

    @property
    def subpixels(self) -> int:
        return self.width * self.height * self.channels

    def tile_count(self) -> int:
        return -(-self.height // self.tile) * -(-self.width // self.tile)

    def tiles(self) -> list[tuple[int, int, int, int]]:
        """(y, x, h, w) of every tile in raster order."""
        return [
            (y, x, min(self.tile, self.height - y), min(self.tile, self.width - x))
            for y in range(0, self.height, self.tile)
            for x in range(0, self.width, self.tile)
        ]

    def pack(self) -> bytes:
        raw = HEADER.pack(MAGIC, self.version, MODE_IDS[self.mode], self.layer_id, self.q, self.width, self.height,
                          self.tile, self.flags, self.model_id, self.checksum)
        return raw + struct.pack("<I", zlib.crc32(raw))


@dataclasses.dataclass
class Tile:
    """A mixture tile: the paper's path (lossy layer, RC mixture, tau, causal pass, grey shortcut)."""

    tau: bytes  # 3*K signed offsets
    context: bytes  # the causal pass's parameters (rc_plugin.context.ContextParams)
    grey: bytes  # the grey shortcut's parameters (rc_plugin.grey.GreyParams), b"" when it is off
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
    """A generic tile (format 8): the colour channels' filtered rows under LZMA (rc_plugin.generic), then alpha."""

    coder = CODER_GENERIC


@dataclasses.dataclass
class PaletteTile:
    """A palette tile (format 8): the packed palette, its index plane coded as `plane` says, then alpha."""

    plane: int  # PLANE_*
    colours: int  # palette entries, 1..PALETTE_MAX
    palette: bytes  # rc_plugin.palette.pack_palette
    stream: bytes
    alpha: bytes
    coder = CODER_PALETTE

    def pack(self) -> bytes:
        head = PALETTE_TILE_HEAD.pack(self.coder, self.plane, self.colours - 1, len(self.palette), len(self.stream),
                                 len(self.alpha))
        return head + self.palette + self.stream + self.alpha


#: PLTE head: palette mode (0 RGB, 1 RGBA), transparency kind (0 none, 1 one index, 2 alpha table), entries.
PLTE_HEAD = struct.Struct("<BBH")
PLTE_MODES = ("RGB", "RGBA")
PLTE_MAX_ENTRIES = 256


@dataclasses.dataclass(frozen=True)
class Palette:
    """A P image's palette as Pillow holds it, so a P image comes back with the same getpalette() and
    info["transparency"]: the palette's mode ("RGB" or "RGBA"), its entries (len(mode) bytes each, in that
    order) and the transparency: None, one transparent index (int), or a per-entry alpha table (bytes)."""

    mode: str
    entries: bytes
    transparency: int | bytes | None = None

    def __post_init__(self) -> None:
        """The same checks for a palette from an image and one parsed from a file, so whatever encodes decodes."""
        object.__setattr__(self, "entries", bytes(self.entries))  # a list of ints, as getpalette() gives, or bytes
        if isinstance(self.transparency, (bytearray, memoryview)):
            object.__setattr__(self, "transparency", bytes(self.transparency))
        if self.mode not in PLTE_MODES:
            raise RclError(f"palette mode must be RGB or RGBA, not {self.mode!r}")
        size = len(self.mode)
        if len(self.entries) % size or len(self.entries) > PLTE_MAX_ENTRIES * size:
            raise RclError(f"a palette holds up to {PLTE_MAX_ENTRIES} entries of {size} bytes, "
                           f"not {len(self.entries)} bytes")
        t = self.transparency
        if isinstance(t, bool) or not (t is None or isinstance(t, (int, bytes))):
            raise RclError(f"palette transparency must be an index or a bytes alpha table, not {t!r}")
        if isinstance(t, int) and not 0 <= t < PLTE_MAX_ENTRIES:
            raise RclError(f"the transparent palette index must be in 0..{PLTE_MAX_ENTRIES - 1}, not {t}")
        if isinstance(t, bytes) and len(t) > PLTE_MAX_ENTRIES:  # empty too, as Pillow reads an empty PNG tRNS
            raise RclError(f"a palette's alpha table holds up to {PLTE_MAX_ENTRIES} entries, not {len(t)}")

    @property
    def count(self) -> int:
        """Number of entries."""
        return len(self.entries) // len(self.mode)

    def pack(self) -> bytes:
        t = self.transparency
        kind = 0 if t is None else 1 if isinstance(t, int) else 2
        head = PLTE_HEAD.pack(PLTE_MODES.index(self.mode), kind, self.count) + self.entries
        if kind == 1:
            return head + bytes([t])
        if kind == 2:
            return head + struct.pack("<H", len(t)) + t
        return head

    @classmethod
    def parse(cls, payload: bytes) -> "Palette":
        """A PLTE payload's palette; RclError if a field is out of range or the lengths do not add up."""
        if len(payload) < PLTE_HEAD.size:
            raise RclError("corrupt .rcl palette: the PLTE chunk is truncated")
        mode_id, kind, count = PLTE_HEAD.unpack_from(payload)
        if mode_id >= len(PLTE_MODES) or kind > 2 or count > PLTE_MAX_ENTRIES:
            raise RclError(f"corrupt .rcl palette: mode {mode_id}, transparency kind {kind}, {count} entries")
        mode = PLTE_MODES[mode_id]
        pos = PLTE_HEAD.size + count * len(mode)
        entries = payload[PLTE_HEAD.size : pos]
        transparency: int | bytes | None = None
        if kind == 1:
            transparency, pos = (payload[pos] if pos < len(payload) else -1), pos + 1
        elif kind == 2:
            (n,) = struct.unpack_from("<H", payload, pos) if pos + 2 <= len(payload) else (0,)
            if n > PLTE_MAX_ENTRIES:
                raise RclError(f"corrupt .rcl palette: an alpha table of {n} entries")
            transparency, pos = payload[pos + 2 : pos + 2 + n], pos + 2 + n
        if pos != len(payload):
            raise RclError(f"corrupt .rcl palette: its fields take {pos} bytes, the PLTE chunk has {len(payload)}")
        return cls(mode, entries, transparency)


def check_palette(mode: str, meta: dict) -> None:
    """A P file must carry a palette, and no other may."""
    if mode == "P" and PALETTE_KEY not in meta:
        raise RclError("corrupt .rcl file: a palette (P) image without its PLTE chunk")
    if mode != "P" and PALETTE_KEY in meta:
        raise RclError(f"corrupt .rcl file: a PLTE chunk in an image of mode {mode}")


def read_meta_chunk(kind: bytes, payload: bytes, meta: dict) -> None:
    """Add a metadata chunk (ICCP, EXIF, XMP, PLTE) to meta; RclError if it is repeated or its payload is bad."""
    key = PALETTE_KEY if kind == PALETTE_CHUNK else META_CHUNKS[kind]
    if key in meta:
        raise RclError(f"corrupt .rcl file: metadata chunk {kind!r} repeated")
    meta[key] = Palette.parse(payload) if kind == PALETTE_CHUNK else payload


def chunk_crc(kind: bytes, payload: bytes) -> int:
    """The CRC a chunk ends with: over its kind and payload, as in PNG."""
    return zlib.crc32(kind + payload)


def chunk(kind: bytes, payload: bytes) -> bytes:
    return CHUNK_HEAD.pack(kind, len(payload)) + payload + struct.pack("<I", chunk_crc(kind, payload))


def is_rcl(prefix: bytes) -> bool:
    return prefix[: len(MAGIC)] == MAGIC


def parse_header(data: bytes, max_pixels: int | None) -> Header:
    if len(data) < len(MAGIC) or not is_rcl(data):
        raise RclError("not an .rcl file (bad magic bytes)")
    if len(data) < HEADER_SIZE:
        raise RclError("truncated .rcl file: the header is incomplete")
    fields = HEADER.unpack_from(data, 0)
    (crc,) = struct.unpack_from("<I", data, HEADER.size)
    if fields[1] not in READABLE_VERSIONS:
        raise RclError(
            f"unsupported .rcl version {fields[1]}; this rc_plugin reads versions {READABLE_VERSIONS[0]} to {VERSION}"
        )
    if zlib.crc32(data[: HEADER.size]) != crc:
        raise RclError("corrupt .rcl header (checksum mismatch)")
    _, version, mode_id, layer_id, q, width, height, tile, flags, model_id, checksum = fields
    if mode_id not in MODES:
        raise RclError(f"corrupt .rcl header: unknown mode {mode_id}")
    bad_flags = (
        flags & ~(FLAG_CHANNEL_AXIS | FLAG_GREY_COLOUR)
        or (flags & FLAG_CHANNEL_AXIS and MODES[mode_id] != "L")
        or (flags & FLAG_GREY_COLOUR and MODES[mode_id] not in ("RGB", "RGBA"))
    )
    if width < 1 or height < 1 or not MIN_TILE <= tile <= MAX_TILE or q > 51 or bad_flags or layer_id not in LAYER_IDS:
        raise RclError(
            f"corrupt .rcl header: size {width}x{height}, tile {tile}, q {q}, flags {flags}, lossy layer {layer_id}"
        )
    if max_pixels is not None and width * height > max_pixels:
        raise RclError(f"image of {width}x{height} pixels exceeds the limit of {max_pixels} pixels")
    return Header(MODES[mode_id], layer_id, q, width, height, tile, flags, model_id, checksum, version)


def parse_chunks(
    data: bytes, header: Header, pos: int = HEADER_SIZE, meta: dict | None = None
) -> tuple[dict, list[bytes]]:
    """Metadata and the raw TILE payloads of the chunks from pos on (all of them: right after the header), with
    every chunk's length, CRC and place checked; meta holds the metadata chunks read before pos, if any (Pillow
    reads them when it opens a file), so that a repeat or a missing palette is caught all the same."""
    meta = dict(meta or {})
    tiles: list[bytes] = []
    expected = header.tile_count()
    if expected * MIN_TILE_CHUNK > len(data) - pos:  # before any per-tile work or allocation
        raise RclError(f"truncated .rcl file: {expected} tiles cannot fit in {len(data)} bytes")
    while True:
        if pos + CHUNK_HEAD.size > len(data):
            raise RclError("truncated .rcl file: a chunk header is missing")
        kind, length = CHUNK_HEAD.unpack_from(data, pos)
        end = pos + CHUNK_HEAD.size + length
        if end + 4 > len(data):
            raise RclError(f"truncated .rcl file: chunk {kind!r} needs {length} bytes")
        payload = data[pos + CHUNK_HEAD.size : end]
        (crc,) = struct.unpack_from("<I", data, end)
        if chunk_crc(kind, payload) != crc:
            raise RclError(f"corrupt .rcl file: chunk {kind!r} fails its checksum")
        pos = end + 4
        if kind == b"IEND":
            if pos != len(data):
                raise RclError("corrupt .rcl file: data after the end chunk")
            break
        if kind == b"TILE":
            if len(tiles) >= expected:
                raise RclError("corrupt .rcl file: more tiles than the image size implies")
            tiles.append(payload)
        elif kind in META_CHUNKS or kind == PALETTE_CHUNK:
            if tiles:
                raise RclError(f"corrupt .rcl file: metadata chunk {kind!r} after the tiles")
            read_meta_chunk(kind, payload, meta)
        else:
            raise RclError(f"corrupt .rcl file: unknown chunk {kind!r}")
    if len(tiles) != expected:
        raise RclError(f"truncated .rcl file: {len(tiles)} of {expected} tiles present")
    check_palette(header.mode, meta)
    return meta, tiles


def parse_tile(payload: bytes, channels: int, version: int = VERSION) -> Tile | AdaptiveTile | PaletteTile:
    """A TILE payload's record; version 6 tiles are mixture tiles without the coder byte."""
    if version == 6:
        return _parse_mixture(payload, channels)
    if not payload:
        raise RclError("corrupt .rcl tile: it is empty")
    if payload[0] == CODER_MIXTURE:
        return _parse_mixture(payload[1:], channels)
    if payload[0] not in CODERS_OF_VERSION[version]:
        raise RclError(f"corrupt .rcl tile: unknown coder {payload[0]} in a version-{version} file")
    if payload[0] == CODER_PALETTE:
        return _parse_palette(payload)
    if len(payload) < ADAPTIVE_HEAD.size:
        raise RclError("corrupt .rcl tile: its table of lengths is truncated")
    _, stream_len, alpha_len = ADAPTIVE_HEAD.unpack_from(payload)
    start = ADAPTIVE_HEAD.size
    if start + stream_len + alpha_len != len(payload):
        raise RclError("corrupt .rcl tile: its lengths do not add up to its size")
    kind = GenericTile if payload[0] == CODER_GENERIC else AdaptiveTile
    return kind(payload[start : start + stream_len], payload[start + stream_len :])


def _parse_palette(payload: bytes) -> PaletteTile:
    if len(payload) < PALETTE_TILE_HEAD.size:
        raise RclError("corrupt .rcl tile: its table of lengths is truncated")
    _, plane, colours, palette_len, stream_len, alpha_len = PALETTE_TILE_HEAD.unpack_from(payload)
    colours += 1
    if plane not in PLANE_NAMES or colours > PLANE_MAX_COLOURS[plane]:
        raise RclError(f"corrupt .rcl tile: index plane coder {plane} with {colours} colours")
    start = PALETTE_TILE_HEAD.size
    if start + palette_len + stream_len + alpha_len != len(payload):
        raise RclError("corrupt .rcl tile: its lengths do not add up to its size")
    parts = (start, start + palette_len, start + palette_len + stream_len)
    return PaletteTile(plane, colours, payload[parts[0] : parts[1]], payload[parts[1] : parts[2]],
                       payload[parts[2] :])


def _parse_mixture(payload: bytes, channels: int) -> Tile:
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
