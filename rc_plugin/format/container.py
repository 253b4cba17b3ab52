"""The .rcl byte layout: header and chunks (specified in docs/format.md); the tile records are rc_plugin.format.records.

It knows sizes and ranges only (from rc_plugin.format.bitstream), never the algorithms that
fill the records, so the layout can be read, checked and listed without them.

Parsing validates every length and count against the bytes actually present
and against the pixel limit before anything is allocated.
"""
from __future__ import annotations

import dataclasses
import struct
import zlib

from .bitstream import LAYER_NAMES, MAX_TILE, MIN_TILE
from ..errors import RclError
from .records import ADAPTIVE_HEAD

MAGIC = b"\x89RCL\r\n\x1a\n"
VERSION = 20
#: A file is written in the oldest version that reads it (version_for): 8-bit samples in format 9, wider ones in 10,
#: unless a record needs a later one (versions.oldest_version), so older rcl releases read all they can.
BYTE_VERSION, WIDE_VERSION = 9, 10
#: Versions this decoder reads (docs/format.md, "Header"), each the next without what it added: 20 the far neighbours,
#: 19 the bias prior, 18 learned tuned of kind 2, 17 sse of kind 2, 16 learned tuned with sse, 15 JPEG, 14 split, 13...
READABLE_VERSIONS = (6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)
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
#: flags bit 2 (format 10, modes L, LA, RGB, RGBA): the samples are uint16, and flags bits 8-11 hold the bit depth
#: less one (1..16: the bit length of the largest sample, at least 1), which every decoded sample keeps within.
FLAG_WIDE = 4
DEPTH_SHIFT = 8
DEPTH_MASK = 0xF << DEPTH_SHIFT
WIDE_MODES = ("L", "LA", "RGB", "RGBA")
META_CHUNKS = {b"ICCP": "icc_profile", b"EXIF": "exif", b"XMP ": "xmp"}
#: The palette of a mode-P file (required there, an error elsewhere); metadata under the key "palette", a Palette.
PALETTE_CHUNK = b"PLTE"
PALETTE_KEY = "palette"
#: Smallest possible TILE chunk: head, CRC and an adaptive tile's head.
MIN_TILE_CHUNK = CHUNK_HEAD.size + 4 + ADAPTIVE_HEAD.size


def version_for(wide: bool, needed: int = 0) -> int:
    """The oldest version that reads a file of uint16 samples (wide) or not whose records need version `needed`
    (versions.oldest_version)."""
    return max(needed, WIDE_VERSION if wide else BYTE_VERSION)


def colour_channels(mode: str) -> int:
    """Colour channels of an image of this mode (the coder carries one for grey, three for colour)."""
    return 1 if mode in ("L", "LA") + INDEXED_MODES else 3


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
    def wide(self) -> bool:
        """Whether the samples are uint16 (format 10)."""
        return bool(self.flags & FLAG_WIDE)

    @property
    def bit_depth(self) -> int:
        """Bits a sample holds: 8, or for wide samples the recorded depth (1..16)."""
        return ((self.flags & DEPTH_MASK) >> DEPTH_SHIFT) + 1 if self.wide else 8

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
        return [(y, x, min(self.tile, self.height - y), min(self.tile, self.width - x))
                for y in range(0, self.height, self.tile) for x in range(0, self.width, self.tile)]

    def pack(self) -> bytes:
        raw = HEADER.pack(MAGIC, self.version, MODE_IDS[self.mode], self.layer_id, self.q, self.width, self.height,
                          self.tile, self.flags, self.model_id, self.checksum)
        return raw + struct.pack("<I", zlib.crc32(raw))


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
    if mode_id not in MODES or (version < 8 and MODES[mode_id] in INDEXED_MODES):
        raise RclError(f"corrupt .rcl header: unknown mode {mode_id} in a version-{version} file")
    wide = flags & FLAG_WIDE and version >= 10 and MODES[mode_id] in WIDE_MODES
    bad_flags = (
        flags & ~(FLAG_CHANNEL_AXIS | FLAG_GREY_COLOUR | (FLAG_WIDE | DEPTH_MASK if wide else 0))
        or (flags & FLAG_CHANNEL_AXIS and MODES[mode_id] != "L")
        or (flags & FLAG_GREY_COLOUR and MODES[mode_id] not in ("RGB", "RGBA"))
    )
    bad_size = width < 1 or height < 1 or not MIN_TILE <= tile <= MAX_TILE
    if bad_size or q > 51 or bad_flags or layer_id not in LAYER_NAMES:
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
