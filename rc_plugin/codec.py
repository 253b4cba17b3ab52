"""encode() and decode(): QC -> lossy layer at Q -> RC -> tau -> range coding, per tile.

Tiles are coded independently (own lossy stream, own residual streams), so peak
memory depends on the tile size, not on the image size.
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Callable

import numpy as np
from PIL import Image

from . import entropy, grids
from .alpha import decode_alpha, encode_alpha
from .container import (
    FLAG_CHANNEL_AXIS,
    FLAG_GREY_COLOUR,
    META_CHUNKS,
    Header,
    Tile,
    chunk,
    colour_channels,
    parse_chunks,
    parse_header,
    parse_tile,
)
from .errors import RclError
from .lossy import LAYER_BY_ID, get_layer
from .context import FIT_STRIDE, CausalState, ContextParams, phase_indices
from .context import fit as fit_context
from .grey import GreyCoding, GreyParams, is_grey, worth_trying
from .grey import fit as fit_grey
from .mixture import MixtureParams, bucket_frequencies, bucket_width, symbol_bits, value_frequencies
from .models import choose_q, model_id, rc_outputs
from .qsearch import MIN_SIDE, SEARCH_RANGE, SEARCH_START, climb, sample_crops
from .tables import load_tables
from .tau import optimise_tau

#: Side of the square tiles coded independently (a tile is at most 1 MP).
TILE = 1024
#: Subsampling of the grid tau is fitted on (every 4th row and column).
TAU_STRIDE = 4
#: The Q search's sparser samples for tau (every 8th row and column) and the causal pass (every 9th pixel of
#: a phase): on val01 at Q 20-32 they moved the size estimate by at most 0.004 bpsp, and the same way at
#: every Q, and made it 1.6 times faster.
SEARCH_TAU_STRIDE, SEARCH_FIT_STRIDE = 8, 9
#: Default decode limit when Pillow's is not set: 2**31 pixels.
DEFAULT_MAX_PIXELS = 1 << 31
#: Encoder efforts: 1 codes at the Q-classifier's Q; 2 searches Q by coding the image (rc_plugin.qsearch).
EFFORTS = (1, 2)
DEFAULT_EFFORT = 2
Progress = Callable[[int, int], None]


def pixel_checksum(pixels: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(pixels).tobytes(), digest_size=8).digest()


def max_pixels() -> int:
    """Pillow's MAX_IMAGE_PIXELS doubled (where Pillow itself refuses), or our own default when it is None."""
    limit = Image.MAX_IMAGE_PIXELS
    return DEFAULT_MAX_PIXELS if limit is None else 2 * int(limit)


def _as_array(image: Any) -> tuple[np.ndarray, str, int, dict]:
    """(H, W, C) uint8 pixels, mode, flags and metadata from a PIL image or an array."""
    meta: dict = {}
    if isinstance(image, Image.Image):
        if image.mode not in ("L", "LA", "RGB", "RGBA"):
            raise RclError(
                f"cannot encode a PIL image of mode {image.mode!r}: convert it to L, LA, RGB or RGBA first "
                "(saving through Pillow does this for P and 1)"
            )
        for key in ("icc_profile", "exif", "xmp"):
            if image.info.get(key):
                meta[key] = image.info[key]
        arr = np.asarray(image)
        arr, mode, flags = (arr[..., None] if arr.ndim == 2 else arr), image.mode, 0
    else:
        arr, mode, flags = _array_layout(np.asarray(image))
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise RclError(f"cannot encode an empty image of shape {arr.shape}")
    if arr.shape[0] * arr.shape[1] > max_pixels():
        raise RclError(f"image of {arr.shape[1]}x{arr.shape[0]} pixels exceeds the decode limit of {max_pixels()}")
    return arr, mode, flags, meta


def _array_layout(arr: np.ndarray) -> tuple[np.ndarray, str, int]:
    """(H, W, C) view, mode and flags of a numpy image."""
    if arr.dtype != np.uint8:
        raise RclError(f"pixels must be uint8, not {arr.dtype}")
    flags = 0
    if arr.ndim == 2:
        arr = arr[..., None]
    elif arr.ndim == 3 and arr.shape[2] == 1:
        flags = FLAG_CHANNEL_AXIS
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise RclError(f"pixels must have shape (H, W), (H, W, 3) or (H, W, 4), not {arr.shape}")
    return arr, {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[arr.shape[2]], flags


def _colour(pixels: np.ndarray) -> np.ndarray:
    """The (H, W, 3) RGB the lossy layer codes: grey is replicated into all three channels."""
    c = pixels[..., :3] if pixels.shape[2] >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    return np.ascontiguousarray(c)


def _is_grey(pixels: np.ndarray) -> bool:
    """Whether the colour channels of an (H, W, 3 or 4) image are all equal (grey saved as RGB)."""
    return bool(np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 0], pixels[..., 2]))


def _sample(h: int, w: int, stride: int) -> np.ndarray:
    ys = np.arange(stride // 2, h, stride) if h > stride else np.arange(h)
    xs = np.arange(stride // 2, w, stride) if w > stride else np.arange(w)
    return (ys[:, None] * w + xs[None, :]).ravel()


def _phase_loop(
    params: MixtureParams, tau: np.ndarray, ranges, h: int, w: int, xl: np.ndarray, r: np.ndarray, code,
    grey: GreyCoding | None = None,
) -> None:
    """Visit (phase, channel) in coding order; code(c, phase, idx, model, lo, hi) returns r[c] at idx.

    xl and r: (C, h * w), the lossy reconstruction and the residual (filled in by code). With the grey
    shortcut, G and B are coded only where its flags say the pixel is not grey.

    The encoder and the decoder both run this loop, so the causal state they build is the same.
    """
    state = CausalState(h, w)
    for phase, idx in enumerate(phase_indices(h, w)):
        same = None  # with the grey shortcut: the phase's pixels whose G and B equal R
        for c, (lo, hi) in enumerate(ranges):
            model = state.channel_model(params, c, phase, idx, r, tau, xl[c, idx], lo, hi)
            if c and grey is not None:
                if same is None:
                    same = grey.same(phase, idx)
                rest = ~same
                r[c, idx[same]] = r[0, idx[same]]
                r[c, idx[rest]] = code(c, phase, idx[rest], model.subset(rest), lo, hi)
            else:
                r[c, idx] = code(c, phase, idx, model, lo, hi) if lo != hi else lo
            state.record(c, idx, r[c, idx], model)
        state.finish_phase(idx)
        if grey is not None:
            grey.finish_phase(idx, r)


def _corrected(model, ctx: ContextParams, c: int, phase: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, logscale) of the model with the context corrections of (c, phase)."""
    if phase == 0:
        return model.mean, model.logscale
    return model.corrected(ctx.coef[c, phase - 1], ctx.offset[c, phase - 1], int(ctx.spread[c, phase - 1]))


def _two_step_chunks(tables, model, ctx: ContextParams, c: int, phase: int, n: int, lo: int, hi: int):
    """Per chunk of the n subpixels of (c, phase): (slice, bucket frequencies, bucket width, a function from the
    buckets' first residuals to the value frequencies within them)."""
    mean, logscale = _corrected(model, ctx, c, phase)
    size = hi - lo + 1
    width = bucket_width(size)
    for sl in entropy.chunks(n, size):
        part = (model.weight[:, sl], mean[:, sl], logscale[:, sl])
        floor, ceil = model.floor[sl], model.ceil[sl]

        def values_for(first, part=part, floor=floor, ceil=ceil):
            return value_frequencies(tables, *part, first, width, floor, ceil)

        yield sl, bucket_frequencies(tables, *part, lo, size, width, floor, ceil), width, values_for


def _encode_symbols(coder, tables, model, ctx: ContextParams, c: int, phase: int, symbols: np.ndarray, lo: int, hi: int):
    """Residuals of (c, phase): per chunk of subpixels, their buckets, then their values within the buckets."""
    offset = symbols - lo
    for sl, buckets, width, values_for in _two_step_chunks(tables, model, ctx, c, phase, len(symbols), lo, hi):
        coder.encode(offset[sl] // width, lambda s: buckets[s], buckets.shape[1])
        if width > 1:
            values = values_for(lo + offset[sl] // width * width)
            coder.encode(offset[sl] % width, lambda s: values[s], width)


def _decode_symbols(coder, tables, model, ctx: ContextParams, c: int, phase: int, n: int, lo: int, hi: int):
    symbols = np.empty(n, np.int64)
    for sl, buckets, width, values_for in _two_step_chunks(tables, model, ctx, c, phase, n, lo, hi):
        first = lo + coder.decode(len(buckets), lambda s: buckets[s], buckets.shape[1]) * width
        if width > 1:
            values = values_for(first)
            first += coder.decode(len(values), lambda s: values[s], width)
        symbols[sl] = first
    return symbols


@dataclasses.dataclass
class _Prepared:
    """What a tile's residual coding starts from: lossy layer, RC outputs, residual, ranges and tau."""

    lossy: bytes
    xl: np.ndarray  # (C, N) the decoder's x_l
    params: MixtureParams
    r: np.ndarray  # (C, N)
    ranges: list[tuple[int, int]]
    tau: np.ndarray
    h: int
    w: int


def _prepare(
    pixels: np.ndarray, channels: int, layer, q: int, tau_on: bool, device: str, threads, tau_stride: int = TAU_STRIDE
) -> _Prepared:
    tables = load_tables()
    h, w = pixels.shape[:2]
    rgb = _colour(pixels)
    lossy = layer.encode(rgb, q)
    xl = layer.decode(lossy, h, w)  # the decoder's x_l, never the encoder's own reconstruction
    params = MixtureParams.from_output(rc_outputs(xl, q, device, threads), tables)
    xl_flat = xl.reshape(-1, 3).T[:channels].astype(np.int64)  # (C, N)
    r = rgb.reshape(-1, 3).T[:channels].astype(np.int64) - xl_flat
    ranges = [(int(rc.min()), int(rc.max())) for rc in r]
    tau = np.zeros((3, grids.K), np.int64)
    if tau_on:
        idx = _sample(h, w, tau_stride)
        tau = optimise_tau(tables, params.subset(idx), r[:, idx], ranges, xl_flat[:, idx])
    return _Prepared(lossy, xl_flat, params, r, ranges, tau, h, w)


def _residual_pass(
    prep: _Prepared, context_on: bool, grey_on: bool, emit, emit_flags, fit_stride: int = FIT_STRIDE
) -> tuple[ContextParams, bytes]:
    """Every (phase, channel) of a prepared tile with its context fitted: emit(c, phase, symbols, model, ctx, lo, hi)
    codes or measures it, emit_flags(freqs, coloured) the grey shortcut's flags. Returns the context
    parameters and the shortcut's (b"" when off)."""
    tables = load_tables()
    ctx = ContextParams.zeros()
    r = prep.r.copy()  # filled in again by the loop, from the true residual

    def code(c, phase, idx, model, lo, hi):
        symbols = prep.r[c, idx]
        if context_on and phase > 0:
            ctx.coef[c, phase - 1], ctx.offset[c, phase - 1], ctx.spread[c, phase - 1] = fit_context(
                tables, model, symbols, lo, hi, fit_stride
            )
        emit(c, phase, symbols, model, ctx, lo, hi)
        return symbols

    grey = None
    if grey_on:
        x = prep.xl + prep.r
        grey_params = fit_grey(prep.xl, x, prep.h, prep.w, phase_indices(prep.h, prep.w))

        def code_flags(idx, freqs):
            coloured = (~is_grey(x[:, idx])).astype(np.int64)
            emit_flags(freqs, coloured)
            return coloured

        grey = GreyCoding(grey_params, prep.xl, prep.h, prep.w, code_flags)
    _phase_loop(prep.params, prep.tau, prep.ranges, prep.h, prep.w, prep.xl, r, code, grey)
    return ctx, (grey.params.pack() if grey else b"")


def _tile_variants(prep: _Prepared, channels: int) -> tuple[bool, ...]:
    """The grey-shortcut settings to code the tile with: off alone, or off and on where it may pay (the shorter
    is kept)."""
    return (False, True) if channels == 3 and worth_trying(prep.xl, prep.ranges) else (False,)


def _code_tile(
    pixels: np.ndarray, channels: int, layer, q: int, tau_on: bool, context_on: bool, device: str, threads
) -> Tile:
    tables = load_tables()
    prep = _prepare(pixels, channels, layer, q, tau_on, device, threads)
    alpha = encode_alpha(pixels[..., -1]) if pixels.shape[2] in (2, 4) else b""
    best = None
    for grey_on in _tile_variants(prep, channels):
        coders = [entropy.StreamEncoder() for _ in range(channels)]

        def emit(c, phase, symbols, model, ctx, lo, hi):
            _encode_symbols(coders[c], tables, model, ctx, c, phase, symbols, lo, hi)

        def emit_flags(freqs, coloured):
            coders[1].encode(coloured, lambda s: freqs[s], 2)

        ctx, grey = _residual_pass(prep, context_on, grey_on, emit, emit_flags)
        streams = [coder.finish() if lo != hi else b"" for coder, (lo, hi) in zip(coders, prep.ranges)]
        tile = Tile(prep.tau.astype(np.int8).tobytes(), ctx.pack(), grey, prep.ranges, prep.lossy, streams, alpha)
        if best is None or len(tile.pack()) < len(best.pack()):
            best = tile
    return best


def _tile_size_estimate(
    pixels: np.ndarray, channels: int, layer, q: int, tau_on: bool, context_on: bool, device: str, threads,
    quick: bool = False,
) -> float:
    """The bytes _code_tile would write for colour pixels, from the exact code lengths without range coding,
    less what every Q writes alike (tau, context parameters, lengths); quick: tau and the causal pass fitted on
    the Q search's sparser samples.

    The range coder ends within a few bytes of the code length, so the Q search can compare Qs by this
    without range coding (which made a crop's coding 20-45 % slower in a measurement on two val03 crops).
    """
    tables = load_tables()
    tau_stride, fit_stride = (SEARCH_TAU_STRIDE, SEARCH_FIT_STRIDE) if quick else (TAU_STRIDE, FIT_STRIDE)
    prep = _prepare(pixels, channels, layer, q, tau_on, device, threads, tau_stride)
    sizes = []
    for grey_on in _tile_variants(prep, channels):
        bits = [0.0]

        def emit(c, phase, symbols, model, ctx, lo, hi):
            mean, logscale = _corrected(model, ctx, c, phase)
            bits[0] += symbol_bits(tables, model.weight, mean, logscale, symbols, lo, hi, model.floor, model.ceil)

        def emit_flags(freqs, coloured):
            picked = freqs[np.arange(len(coloured)), coloured]
            bits[0] += float(np.sum(grids.FREQ_BITS - np.log2(picked)))

        _, grey = _residual_pass(prep, context_on, grey_on, emit, emit_flags, fit_stride)
        sizes.append(len(prep.lossy) + len(grey) + bits[0] / 8)
    return min(sizes)


def encode(
    image: Any,
    *,
    lossy: str = "hevc",
    q: int | None = None,
    tau: bool = True,
    context: bool = True,
    effort: int = DEFAULT_EFFORT,
    threads: int | None = None,
    device: str = "auto",
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    xmp: bytes | None = None,
    progress: Progress | None = None,
) -> bytes:
    """Code an 8-bit image (PIL Image or uint8 array (H, W), (H, W, 3) or (H, W, 4)) losslessly.

    q=None lets the encoder choose Q: the Q-classifier's choice at effort 1; at effort 2 (slower, smaller
    files) the Q that codes the image (up to 1 MP of it) smallest. An explicit q ignores effort.
    """
    pixels, mode, flags, meta = _as_array(image)
    for key, value in (("icc_profile", icc_profile), ("exif", exif), ("xmp", xmp)):
        if value is not None:
            meta[key] = value
    layer = get_layer(lossy)
    if q is not None and (isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 0 <= q <= 51):
        raise RclError(
            f"q must be an integer quantizer in 0..51 (the encoder picks from {SEARCH_RANGE[0]}..{SEARCH_RANGE[1]}), "
            f"not {q!r}"
        )
    if isinstance(effort, bool) or effort not in EFFORTS:
        raise RclError(
            f"effort must be 1 (the Q-classifier's Q) or 2 (Q searched by coding the image), not {effort!r}"
        )
    h, w = pixels.shape[:2]
    channels = colour_channels(mode)
    if channels == 3 and _is_grey(pixels):
        flags |= FLAG_GREY_COLOUR
        channels = 1
    if q is None and effort >= 2 and min(h, w) >= MIN_SIDE:
        sample = sample_crops(pixels[..., :channels])

        def sample_bytes(q_try: int) -> float:
            return sum(
                _tile_size_estimate(c, channels, layer, q_try, tau, context, device, threads, quick=True) for c in sample
            )

        q = climb(sample_bytes, SEARCH_START)
    elif q is None:
        q = choose_q(_colour(pixels), device, threads)
    header = Header(mode, layer.layer_id, int(q), w, h, TILE, flags, model_id(), pixel_checksum(pixels))
    parts = [header.pack()]
    for kind, key in META_CHUNKS.items():
        if meta.get(key):
            value = meta[key]
            parts.append(chunk(kind, value.encode() if isinstance(value, str) else bytes(value)))
    tiles = header.tiles()
    for i, (y, x, th, tw) in enumerate(tiles):
        tile = _code_tile(pixels[y : y + th, x : x + tw], channels, layer, int(q), tau, context, device, threads)
        parts.append(chunk(b"TILE", tile.pack()))
        if progress:
            progress(i + 1, len(tiles))
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)


def _decode_tile(tile: Tile, header: Header, layer, th: int, tw: int, device: str, threads) -> np.ndarray:
    tables = load_tables()
    xl = layer.decode(tile.lossy, th, tw)
    params = MixtureParams.from_output(rc_outputs(xl, header.q, device, threads), tables)
    tau = np.frombuffer(tile.tau, np.int8).astype(np.int64).reshape(3, grids.K)
    if np.abs(tau).max() > grids.TAU_LIMIT:
        raise RclError("corrupt .rcl tile: tau out of range")
    ctx = ContextParams.unpack(tile.context)
    for (lo, hi), stream in zip(tile.ranges, tile.residual):
        if lo == hi and stream:
            raise RclError("corrupt .rcl tile: a constant channel carries data")
    coders = [entropy.StreamDecoder(stream) for stream in tile.residual]
    coded = header.coded_channels
    xl_flat = xl.reshape(-1, 3).T[:coded].astype(np.int64)
    r = np.zeros((coded, th * tw), np.int64)

    def code(c, phase, idx, model, lo, hi):
        return _decode_symbols(coders[c], tables, model, ctx, c, phase, len(idx), lo, hi)

    grey = None
    if tile.grey:
        if any(lo == hi for lo, hi in tile.ranges):
            raise RclError("corrupt .rcl tile: the grey shortcut is on, but a colour channel is constant")

        def code_flags(idx, freqs):
            return coders[1].decode(len(idx), lambda s: freqs[s], 2)

        grey = GreyCoding(GreyParams.unpack(tile.grey), xl_flat, th, tw, code_flags)
    _phase_loop(params, tau, tile.ranges, th, tw, xl_flat, r, code, grey)
    colour = xl_flat + r
    if colour.min() < 0 or colour.max() > 255:
        raise RclError("corrupt .rcl tile: decoded pixels fall outside 0..255")
    out = colour.T.reshape(th, tw, coded).astype(np.uint8)
    if coded < header.colour_channels:  # grey stored as colour
        out = np.repeat(out, header.colour_channels, axis=2)
    if header.has_alpha:
        out = np.concatenate([out, decode_alpha(tile.alpha, th, tw)[..., None]], axis=2)
    elif tile.alpha:
        raise RclError("corrupt .rcl tile: alpha data in an image without alpha")
    return out


def _check_model(header: Header) -> None:
    if header.model_id != model_id():
        raise RclError(
            f"this file was coded with residual model {header.model_id.hex()}, but this rc_plugin ships model "
            f"{model_id().hex()}: decode it with the rc_plugin version that wrote it"
        )


def read_header(data: bytes) -> Header:
    return parse_header(bytes(data[:64]), max_pixels())


def decode(data: bytes, *, threads: int | None = None, device: str = "auto", progress: Progress | None = None) -> np.ndarray:
    """The exact pixels of an .rcl file as uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)."""
    pixels, _ = decode_with_metadata(data, threads=threads, device=device, progress=progress)
    return pixels


def decode_with_metadata(
    data: bytes, *, threads: int | None = None, device: str = "auto", progress: Progress | None = None
) -> tuple[np.ndarray, dict]:
    data = bytes(data)
    header = parse_header(data, max_pixels())
    _check_model(header)
    if header.layer_id not in LAYER_BY_ID:
        raise RclError(f"unknown lossy layer id {header.layer_id}")
    layer = get_layer(LAYER_BY_ID[header.layer_id])
    meta, payloads = parse_chunks(data, header)
    channels = header.colour_channels + header.has_alpha
    out = np.empty((header.height, header.width, channels), np.uint8)
    tiles = header.tiles()  # as many as payloads: parse_chunks checked the count
    for i, ((y, x, th, tw), payload) in enumerate(zip(tiles, payloads)):
        tile = parse_tile(payload, header.coded_channels)
        out[y : y + th, x : x + tw] = _decode_tile(tile, header, layer, th, tw, device, threads)
        if progress:
            progress(i + 1, len(tiles))
    if pixel_checksum(out) != header.checksum:
        raise RclError("decoded pixels fail the file's checksum: the file is corrupt")
    if channels == 1 and not header.flags & FLAG_CHANNEL_AXIS:
        out = out[..., 0]
    return out, meta


def info(data: bytes) -> dict:
    """Header facts and the byte split between lossy and residual parts, without decoding pixels."""
    data = bytes(data)
    header = parse_header(data, max_pixels())
    meta, payloads = parse_chunks(data, header)
    lossy = residual = alpha = 0
    for payload in payloads:
        tile = parse_tile(payload, header.coded_channels)
        lossy += len(tile.lossy)
        residual += sum(len(s) for s in tile.residual)
        alpha += len(tile.alpha)
    subpixels = header.width * header.height * (header.colour_channels + header.has_alpha)
    return {
        "width": header.width,
        "height": header.height,
        "mode": header.mode,
        "lossy": LAYER_BY_ID.get(header.layer_id, f"unknown({header.layer_id})"),
        "q": header.q,
        "model_id": header.model_id.hex(),
        "model_matches": header.model_id == model_id(),
        "tiles": len(payloads),
        "bytes": len(data),
        "lossy_bytes": lossy,
        "residual_bytes": residual,
        "alpha_bytes": alpha,
        "overhead_bytes": len(data) - lossy - residual - alpha,
        "bpsp": 8 * len(data) / subpixels,
        "metadata": sorted(meta),
    }
