"""The public API: encode(), decode(), decode_with_metadata(), info().

An image is split into tiles, each coded on its own by the coder the options pick (rc_plugin.coders) and stored
as a record of the byte format (rc_plugin.format); decoding gives each record to the coder its coder id names.
Options are checked against rc_plugin.options, the one place they are defined.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
from PIL import Image

from . import options
from .coders import BY_ID, BY_NAME
from .mixture import released
from .format.container import (
    FLAG_CHANNEL_AXIS,
    FLAG_GREY_COLOUR,
    INDEXED_MODES,
    META_CHUNKS,
    PALETTE_CHUNK,
    PALETTE_KEY,
    Header,
    Palette,
    chunk,
    colour_channels,
    version_for,
    parse_chunks,
    parse_header,
)
from .format.alpha import decode_alpha
from .format.bitstream import CODER_WIDE, LAYER_NAMES
from .errors import RclError
from .parallel import map_tiles, tile_threads
from .pixels import (as_array, as_seen, file_bytes, is_grey_colour, max_pixels, metadata_value, pixel_checksum,
                     to_pil)
from .format.records import CODER_NAMES, AdaptiveTile, PaletteTile, Tile, WideTile, parse_tile
from .format.versions import oldest_version

Record = Tile | AdaptiveTile | PaletteTile | WideTile

Progress = Callable[[int, int], None]
#: The tile side the encoder writes, by coder: its own choice, which the header records (the decoder takes any side
#: in bitstream.MIN_TILE..MAX_TILE). The adaptive coder's tiles code side by side on threads, so it splits a photo
#: finer; the mixture coder's tiles each carry a lossy layer and fitted parameters (docs/models.md, "Tile size").
#: Each coder says its own (TileCoder.side); the tests set smaller ones here.
TILE = {coder.name: coder.side for coder in BY_NAME.values()}
#: The smallest tile side of a 16-bit image (tile_side).
WIDE_MIN_TILE = 384


def tile_side(side: int, h: int, w: int, wide: bool) -> int:
    """The coder's tile side, or for 16-bit samples (mostly grey, and slower to code than 8-bit ones) one that cuts an
    image of one or two such tiles into about four, so that they decode side by side: half the longer side in steps
    of 16, at least WIDE_MIN_TILE. It depends on the image alone, never on the machine, so the bytes do not."""
    if not wide:
        return side
    return min(side, max(WIDE_MIN_TILE, (-(-max(h, w) // 2) + 15) // 16 * 16))


def encode(
    image: Any,
    *,
    coder: str | None = options.CODER.default,
    lossy: str | None = options.LOSSY.default,
    q: int | None = options.Q.default,
    tau: bool | None = options.TAU.default,
    context: bool | None = options.CONTEXT.default,
    effort: int | None = options.EFFORT.default,
    mixer: str | None = options.MIXER.default,
    threads: int | None = options.THREADS.default,
    device: str = options.DEVICE.default,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    xmp: bytes | None = None,
    progress: Progress | None = options.PROGRESS.default,
) -> bytes:
    """Code an image (PIL Image, or uint8 or uint16 array (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)) losslessly.

    uint16 samples (and a PIL image of mode I;16, I;16B or I within 0..65535) are stored as they are, every bit
    depth up to 16 at the cost of the values it uses (a 12-bit image costs what 12 bits cost); decoding gives uint16.

    A PIL image of mode P (with its palette and transparency) or 1, and a bool (H, W) array (mode 1), keep their
    mode: the palette indices or bits are coded as one plane, the palette in a PLTE chunk.

    By default without a lossy layer: each tile by the smallest of what fits it (rc_plugin.adaptive.guard: the adaptive
    coder for photos; for what is not a photo also a palette and its indices, or generic rows). effort (1, 2 the
    default, 3) is how hard the encoder searches (rc_plugin.options.EFFORTS). coder="mixture", or
    any of its options (lossy, q, tau, context), codes the paper's way: a lossy layer at Q, then the RC's mixture.
    There q=None lets the encoder choose Q: the Q-classifier's choice at effort 1; at effort 2 and 3 the Q that codes
    the image (up to 1 MP of it) smallest. An explicit q ignores effort.
    mixer ("small", "medium", "large"; default "off") adds the adaptive coder's learned mixer where it makes a tile
    smaller: smaller photos, slower encode and decode (docs/results.md).
    """
    opts = options.checked(
        options.ENCODE,
        dict(coder=coder, lossy=lossy, q=q, tau=tau, context=context, effort=effort, mixer=mixer, threads=threads,
             device=device, progress=progress),
        "encode",
    )
    opts = options.resolve_coder(opts)
    pixels, mode, flags, meta = as_array(image)
    wide = pixels.dtype == np.uint16
    if wide and opts["coder"] != BY_ID[CODER_WIDE].name:
        raise RclError(f"coder={opts['coder']!r} codes 8-bit images only; 16-bit samples are coded by the default "
                       f"coder ({BY_ID[CODER_WIDE].name!r}): leave out coder, lossy, q, tau and context")
    for key, value in (("icc_profile", icc_profile), ("exif", exif), ("xmp", xmp)):
        if value is not None:
            meta[key] = metadata_value(key, value)
    h, w = pixels.shape[:2]
    channels = colour_channels(mode)
    if channels == 3 and is_grey_colour(pixels):
        flags |= FLAG_GREY_COLOUR
        channels = 1
    coder = BY_NAME[opts["coder"]]
    encoding = coder.encoder().start(pixels, channels, mode, opts)
    header = Header(mode, encoding.layer_id, encoding.q, w, h, tile_side(TILE[coder.name], h, w, wide), flags,
                    released.current_id(),
                    pixel_checksum(pixels, meta.get(PALETTE_KEY)))  # a palette only where the mode is P
    tiles = header.tiles()

    def code(i: int) -> Record:  # the tiles are coded first: a file's version depends on its records
        y, x, th, tw = tiles[i]
        return encoding.code(pixels[y : y + th, x : x + tw])

    at_once = opts["threads"] if coder.side_by_side else 1
    records = map_tiles(code, len(tiles), at_once, opts["progress"])
    header = dataclasses.replace(header, version=version_for(wide, max(map(oldest_version, records))))
    parts = [header.pack()]
    for kind, key in META_CHUNKS.items():
        if meta.get(key):
            value = meta[key]
            parts.append(chunk(kind, value.encode() if isinstance(value, str) else bytes(value)))
    if mode == "P":
        parts.append(chunk(PALETTE_CHUNK, meta[PALETTE_KEY].pack()))
    parts += [chunk(b"TILE", record.pack()) for record in records]
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)


def read_header(data: bytes) -> Header:
    return parse_header(bytes(data[:64]), max_pixels())


def decode(
    data: bytes, *, threads: int | None = None, device: str = "auto", progress: Progress | None = None
) -> np.ndarray:
    """The exact pixels of an .rcl file as uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); uint16 for a file of
    16-bit samples.

    A palette (P) file gives its pixels as seen, expanded through the palette: RGB, or RGBA where the palette has
    alpha or a transparency entry; a mode-1 file gives bool (H, W). Pillow's open keeps P and 1 as they are.
    """
    pixels, _ = decode_with_metadata(data, threads=threads, device=device, progress=progress)
    return pixels


def decode_with_metadata(
    data: bytes, *, threads: int | None = None, device: str = "auto", progress: Progress | None = None
) -> tuple[np.ndarray, dict]:
    """(pixels as decode() gives them, {"icc_profile": ..., "exif": ..., "xmp": ...} as stored); a P file's
    metadata also holds "palette", a container.Palette (mode, entries, transparency) as Pillow gave it."""
    header, meta, pixels = _decode(data, threads=threads, device=device, progress=progress)
    if header.mode in INDEXED_MODES:
        pixels = as_seen(pixels, header.mode, meta.get(PALETTE_KEY))
    return pixels, meta


def decode_image(
    data: bytes, *, threads: int | None = None, device: str = "auto", progress: Progress | None = None
) -> tuple[Image.Image, dict]:
    """(the PIL image in the mode it was saved in, P with its palette and transparency, or 1, 16-bit grey as I;16;
    metadata as decode_with_metadata gives it): what `rcl decode` writes, so a palette PNG comes back a palette PNG.
    RclError for 16-bit samples of other modes, which Pillow cannot hold."""
    header = read_header(data)
    if header.wide and header.mode != "L":
        raise RclError(f"this .rcl file holds 16-bit {header.mode} samples, and Pillow has no 16-bit mode but grey "
                       "(I;16): read it with rc_plugin.decode or imageio, which give the uint16 array")
    header, meta, pixels = _decode(data, threads=threads, device=device, progress=progress)
    if header.mode in INDEXED_MODES:
        return to_pil(pixels, header.mode, meta.get(PALETTE_KEY)), meta
    return Image.fromarray(pixels[..., 0] if pixels.ndim == 3 and pixels.shape[2] == 1 else pixels), meta


def _decode(data: bytes, **decode_options: Any) -> tuple[Header, dict, np.ndarray]:
    """The header, metadata and pixels (as decode_payloads gives them) of a file's bytes."""
    data = file_bytes(data)
    header = parse_header(data, max_pixels())
    meta, payloads = parse_chunks(data, header)
    return header, meta, decode_payloads(header, payloads, meta.get(PALETTE_KEY), **decode_options)


def decode_payloads(
    header: Header, payloads: list[bytes], palette: Palette | None = None, **decode_options: Any
) -> np.ndarray:
    """The pixels of an already parsed file (its header, TILE payloads and, for P, its palette), shaped as decode()
    gives them, but for P and 1 the coded plane, (H, W) uint8 palette indices or 0/1 (Pillow's open loads those as
    they are)."""
    opts = options.checked(options.DECODE, decode_options, "decode")
    out = decode_tiles(header, payloads, opts["device"], opts["threads"], opts["progress"], palette)
    if header.mode == "1" and out.max(initial=0) > 1:
        raise RclError("corrupt .rcl file: a 1-bit image holds values other than 0 and 1")
    if out.shape[2] == 1 and not header.flags & FLAG_CHANNEL_AXIS:
        out = out[..., 0]
    return out


def decode_tiles(
    header: Header, payloads: list[bytes], device: str, threads, progress: Progress | None,
    palette: Palette | None = None,
) -> np.ndarray:
    """The image's pixels from its parsed header and TILE payloads, each record decoded by the coder its coder id
    names, checked against the header's checksum (which covers a P image's palette too)."""
    if header.layer_id not in LAYER_NAMES:
        raise RclError(f"unknown lossy layer id {header.layer_id}")
    out = np.empty((header.height, header.width, header.channels), np.uint16 if header.wide else np.uint8)
    tiles = header.tiles()  # as many as payloads: the chunk parser checked the count
    records = [parse_tile(payload, header.coded_channels, header.version) for payload in payloads]
    if any((record.coder == CODER_WIDE) != header.wide for record in records):
        raise RclError("corrupt .rcl file: its tiles and its header disagree on the samples' width")
    if header.wide and any(len(record.parts) != 1 + header.has_alpha for record in records):  # a part is alpha's
        raise RclError("corrupt .rcl file: its tiles and its header disagree on whether it has alpha")
    coders = [BY_ID[record.coder] for record in records]
    at_once = threads if all(coder.side_by_side for coder in coders) else 1
    # a tile of split streams decodes its channels side by side where the image has too few tiles to keep every
    # thread busy (fewer than two a thread: tiles of unequal size leave threads idle); with more, that costs 5-8 %
    cores = tile_threads(at_once)
    opts = {"device": device, "threads": threads, "tile_threads": cores if len(tiles) < 2 * cores else 1}

    def decode(i: int) -> None:
        (y, x, th, tw), tile = tiles[i], records[i]
        colour = coders[i].decoder().decode_tile(tile, header, th, tw, opts)
        out[y : y + th, x : x + tw] = _with_alpha(colour, tile, header, th, tw)

    map_tiles(decode, len(tiles), at_once, progress)
    if header.wide and int(out.max(initial=0)) >> header.bit_depth:
        raise RclError(f"corrupt .rcl file: a sample beyond its {header.bit_depth}-bit depth")
    if pixel_checksum(out, palette) != header.checksum:
        raise RclError("decoded pixels fail the file's checksum: the file is corrupt")
    return out


def _with_alpha(colour: np.ndarray, tile, header: Header, th: int, tw: int) -> np.ndarray:
    """The tile's colour (th, tw, coded channels) as the image's channels, its alpha plane appended (a wide tile's
    colour holds its alpha plane last)."""
    alpha = None
    if tile.coder == CODER_WIDE and header.has_alpha:
        colour, alpha = colour[..., :-1], colour[..., -1:]
    if colour.shape[2] < header.colour_channels:  # grey stored as colour
        colour = np.repeat(colour, header.colour_channels, axis=2)
    if header.has_alpha:
        alpha = decode_alpha(tile.alpha, th, tw)[..., None] if alpha is None else alpha
        return np.concatenate([colour, alpha], axis=2)
    if tile.alpha:
        raise RclError("corrupt .rcl tile: alpha data in an image without alpha")
    return colour


def info(data: bytes) -> dict:
    """Header facts and the byte split between lossy and residual parts, without decoding pixels."""
    data = file_bytes(data)
    header = parse_header(data, max_pixels())
    meta, payloads = parse_chunks(data, header)
    lossy = residual = alpha = 0
    coders = set()
    for payload in payloads:
        tile = parse_tile(payload, header.coded_channels, header.version)
        coders.add(CODER_NAMES[tile.coder])
        if isinstance(tile, Tile):
            lossy += len(tile.lossy)
            residual += sum(len(s) for s in tile.residual)
        elif isinstance(tile, WideTile):  # its colour part, then its alpha part (if any)
            sizes = [len(part.pack()) for part in tile.parts]
            residual += sizes[0]
            alpha += sum(sizes[1:])
        else:  # the tiles without a lossy layer: a palette counts with its indices
            residual += len(tile.stream) + len(getattr(tile, "palette", b""))
        alpha += len(tile.alpha)
    return {
        "width": header.width,
        "height": header.height,
        "mode": header.mode,
        "bit_depth": header.bit_depth,
        "version": header.version,
        "coder": "+".join(sorted(coders)),
        "lossy": LAYER_NAMES.get(header.layer_id, f"unknown({header.layer_id})"),
        "q": header.q,
        "model_id": header.model_id.hex(),
        "model_shipped": header.model_id.hex() in released.shipped_ids(),
        "tiles": len(payloads),
        "bytes": len(data),
        "lossy_bytes": lossy,
        "residual_bytes": residual,
        "alpha_bytes": alpha,
        "overhead_bytes": len(data) - lossy - residual - alpha,
        "bpsp": 8 * len(data) / header.subpixels,
        "metadata": sorted(meta),
    }
