"""The public API: encode(), decode(), decode_with_metadata(), info().

An image is split into tiles, each coded on its own (rc_plugin.encoder) and stored as a
record of the byte format (rc_plugin.container); decoding reverses it (rc_plugin.decoder).
Options are checked against rc_plugin.options, the one place they are defined.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from PIL import Image

from . import options, released
from .container import (
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
    parse_chunks,
    parse_header,
)
from .bitstream import LAYER_NAMES, LAYER_NONE
from .decoder import decode_tiles
from .errors import RclError
from .encoder import code_tile
from .guard import code_lossless_tile
from .lossy import get_layer
from .parallel import map_tiles
from .pixels import as_array, as_seen, is_grey_colour, max_pixels, pixel_checksum, to_pil
from .qsearch import choose_q
from .records import CODER_NAMES, Tile, parse_tile

Progress = Callable[[int, int], None]
#: The tile side the encoder writes, by coder: its own choice, which the header records (the decoder takes any side
#: in bitstream.MIN_TILE..MAX_TILE). The adaptive coder's tiles code side by side on threads, so it splits a photo
#: finer; the mixture coder's tiles each carry a lossy layer and fitted parameters (docs/models.md, "Tile size").
TILE = {"adaptive": 512, "mixture": 1024}


def encode(
    image: Any,
    *,
    coder: str | None = options.CODER.default,
    lossy: str | None = options.LOSSY.default,
    q: int | None = options.Q.default,
    tau: bool | None = options.TAU.default,
    context: bool | None = options.CONTEXT.default,
    effort: int | None = options.EFFORT.default,
    threads: int | None = options.THREADS.default,
    device: str = options.DEVICE.default,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    xmp: bytes | None = None,
    progress: Progress | None = options.PROGRESS.default,
) -> bytes:
    """Code an 8-bit image (PIL Image or uint8 array (H, W), (H, W, 3) or (H, W, 4)) losslessly.

    A PIL image of mode P (with its palette and transparency) or 1, and a bool (H, W) array (mode 1), keep their
    mode: the palette indices or bits are coded as one plane, the palette in a PLTE chunk.

    By default without a lossy layer: each tile by the smallest of what fits it (rc_plugin.guard: the adaptive
    coder for photos; for what is not a photo also a palette and its indices, or generic rows). coder="mixture",
    or any of its options (lossy,
    q, effort, tau, context), codes the paper's way: a lossy layer at Q, then the RC's mixture. There q=None
    lets the encoder choose Q: the Q-classifier's choice at effort 1; at effort 2 (the default; slower,
    smaller files) the Q that codes the image (up to 1 MP of it) smallest. An explicit q ignores effort.
    """
    opts = options.checked(
        options.ENCODE,
        dict(coder=coder, lossy=lossy, q=q, tau=tau, context=context, effort=effort, threads=threads, device=device,
             progress=progress),
        "encode",
    )
    opts = options.resolve_coder(opts)
    pixels, mode, flags, meta = as_array(image)
    for key, value in (("icc_profile", icc_profile), ("exif", exif), ("xmp", xmp)):
        if value is not None:
            meta[key] = value
    h, w = pixels.shape[:2]
    channels = colour_channels(mode)
    if channels == 3 and is_grey_colour(pixels):
        flags |= FLAG_GREY_COLOUR
        channels = 1
    coding = (opts["tau"], opts["context"], opts["device"], opts["threads"])
    layer, q = None, 0
    if opts["coder"] == "mixture":
        layer = get_layer(opts["lossy"])
        q = opts["q"]
        if q is None:
            q = choose_q(pixels, channels, layer, opts["effort"], *coding)
    layer_id = layer.layer_id if layer else LAYER_NONE
    tile = TILE[opts["coder"]]
    header = Header(mode, layer_id, int(q), w, h, tile, flags, released.current_id(),
                    pixel_checksum(pixels, meta.get(PALETTE_KEY)))  # a palette only where the mode is P
    parts = [header.pack()]
    for kind, key in META_CHUNKS.items():
        if meta.get(key):
            value = meta[key]
            parts.append(chunk(kind, value.encode() if isinstance(value, str) else bytes(value)))
    if mode == "P":
        parts.append(chunk(PALETTE_CHUNK, meta[PALETTE_KEY].pack()))
    tiles = header.tiles()

    def code(i: int) -> bytes:
        y, x, th, tw = tiles[i]
        part = pixels[y : y + th, x : x + tw]
        if layer:
            tile = code_tile(part, channels, layer, int(q), *coding)
        else:
            tile = code_lossless_tile(part, channels, mode == "P")
        return chunk(b"TILE", tile.pack())

    at_once = 1 if layer else opts["threads"]  # mixture tiles one at a time: onnxruntime has the cores
    parts += map_tiles(code, len(tiles), at_once, opts["progress"])
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)


def read_header(data: bytes) -> Header:
    return parse_header(bytes(data[:64]), max_pixels())


def decode(
    data: bytes, *, threads: int | None = None, device: str = "auto", progress: Progress | None = None
) -> np.ndarray:
    """The exact pixels of an .rcl file as uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4).

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
    """(the PIL image in the mode it was saved in, P with its palette and transparency, or 1; metadata as
    decode_with_metadata gives it): what `rcl decode` writes, so a palette PNG comes back a palette PNG."""
    header, meta, pixels = _decode(data, threads=threads, device=device, progress=progress)
    if header.mode in INDEXED_MODES:
        return to_pil(pixels, header.mode, meta.get(PALETTE_KEY)), meta
    return Image.fromarray(pixels[..., 0] if pixels.ndim == 3 and pixels.shape[2] == 1 else pixels), meta


def _decode(data: bytes, **decode_options: Any) -> tuple[Header, dict, np.ndarray]:
    """The header, metadata and pixels (as decode_payloads gives them) of a file's bytes."""
    data = bytes(data)
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


def info(data: bytes) -> dict:
    """Header facts and the byte split between lossy and residual parts, without decoding pixels."""
    data = bytes(data)
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
        else:  # the tiles without a lossy layer: a palette counts with its indices
            residual += len(tile.stream) + len(getattr(tile, "palette", b""))
        alpha += len(tile.alpha)
    return {
        "width": header.width,
        "height": header.height,
        "mode": header.mode,
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
