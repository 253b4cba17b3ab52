"""The encoder's choices for one tile: for the mixture coder the lossy layer at Q, tau, the causal pass's fit,
the grey shortcut, and the size estimate the Q search compares by (tiles without a lossy layer:
rc_plugin.adaptive.guard).

Encoder only: the decoder never imports this module.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import entropy, released
from ..format import grids
from ..format.alpha import encode_alpha
from ..format.mixture_record import Tile
from .context import ContextParams
from .fitting import FIT_STRIDE, fit_context, fit_grey, grey_worth_trying
from .grey import GreyCoding, is_grey
from .logistic_mixture import symbol_bits
from ..pixels import colour
from .symbols import encode_symbols
from .tau import optimise_tau
from .tile_model import TileModel, corrected

#: Subsampling of the grid tau is fitted on (every 4th row and column).
TAU_STRIDE = 4
#: The Q search's sparser samples for tau (every 8th row and column) and the causal pass (every 9th pixel of
#: a phase); docs/models.md ("Searching Q") has what they cost and save.
SEARCH_TAU_STRIDE, SEARCH_FIT_STRIDE = 8, 9


def _sample(h: int, w: int, stride: int) -> np.ndarray:
    ys = np.arange(stride // 2, h, stride) if h > stride else np.arange(h)
    xs = np.arange(stride // 2, w, stride) if w > stride else np.arange(w)
    return (ys[:, None] * w + xs[None, :]).ravel()


@dataclasses.dataclass
class _Prepared:
    """What a tile's residual coding starts from: the lossy bytes, the tile model, the residual, ranges and tau."""

    lossy: bytes
    model: TileModel
    r: np.ndarray  # (C, N)
    ranges: list[tuple[int, int]]
    tau: np.ndarray


def _prepare(
    pixels: np.ndarray, channels: int, layer, q: int, tau_on: bool, device: str, threads, tau_stride: int = TAU_STRIDE
) -> _Prepared:
    h, w = pixels.shape[:2]
    rgb = colour(pixels)
    lossy = layer.encode(rgb, q)
    model = TileModel.from_lossy(layer, lossy, h, w, q, channels, released.current(), device, threads)
    r = rgb.reshape(-1, 3).T[:channels].astype(np.int64) - model.xl
    ranges = [(int(rc.min()), int(rc.max())) for rc in r]
    tau = np.zeros((3, grids.K), np.int64)
    if tau_on:
        idx = _sample(h, w, tau_stride)
        tau = optimise_tau(model.tables, model.params.subset(idx), r[:, idx], ranges, model.xl[:, idx])
    return _Prepared(lossy, model, r, ranges, tau)


def _residual_pass(
    prep: _Prepared, context_on: bool, grey_on: bool, emit, emit_flags, fit_stride: int = FIT_STRIDE
) -> tuple[ContextParams, bytes]:
    """Every (phase, channel) of a prepared tile with its context fitted: emit(c, phase, symbols, model, ctx, lo, hi)
    codes or measures it, emit_flags(freqs, coloured) the grey shortcut's flags. Returns the context
    parameters and the shortcut's (b"" when off)."""
    ctx = ContextParams.zeros()
    r = prep.r.copy()  # filled in again by the walk, from the true residual
    tm = prep.model

    def code(c, phase, idx, model, lo, hi):
        symbols = prep.r[c, idx]
        if context_on and phase > 0:
            ctx.coef[c, phase - 1], ctx.offset[c, phase - 1], ctx.spread[c, phase - 1] = fit_context(
                tm.tables, model, symbols, lo, hi, fit_stride
            )
        emit(c, phase, symbols, model, ctx, lo, hi)
        return symbols

    grey = None
    if grey_on:
        x = tm.xl + prep.r
        grey_params = fit_grey(tm.xl, x, tm.h, tm.w, tm.phase_indices())

        def code_flags(idx, freqs):
            coloured = (~is_grey(x[:, idx])).astype(np.int64)
            emit_flags(freqs, coloured)
            return coloured

        grey = GreyCoding(grey_params, tm.xl, tm.h, tm.w, code_flags)
    tm.walk(prep.tau, prep.ranges, r, code, grey)
    return ctx, (grey.params.pack() if grey else b"")


def _tile_variants(prep: _Prepared, channels: int) -> tuple[bool, ...]:
    """The grey-shortcut settings to code the tile with: off alone, or off and on where it may pay (the shorter
    is kept)."""
    return (False, True) if channels == 3 and grey_worth_trying(prep.model.xl, prep.ranges) else (False,)


def code_tile(
    pixels: np.ndarray, channels: int, layer, q: int, tau_on: bool, context_on: bool, device: str, threads
) -> Tile:
    """The tile record of pixels ((h, w, C) with alpha last, if any) at quantizer q."""
    prep = _prepare(pixels, channels, layer, q, tau_on, device, threads)
    tables = prep.model.tables
    alpha = encode_alpha(pixels[..., -1]) if pixels.shape[2] in (2, 4) else b""
    best = None
    for grey_on in _tile_variants(prep, channels):
        coders = [entropy.StreamEncoder() for _ in range(channels)]

        def emit(c, phase, symbols, model, ctx, lo, hi):
            encode_symbols(coders[c], tables, model, ctx, c, phase, symbols, lo, hi)

        def emit_flags(freqs, coloured):
            coders[1].encode(coloured, lambda s: freqs[s], 2)

        ctx, grey = _residual_pass(prep, context_on, grey_on, emit, emit_flags)
        streams = [coder.finish() if lo != hi else b"" for coder, (lo, hi) in zip(coders, prep.ranges)]
        tile = Tile(prep.tau.astype(np.int8).tobytes(), ctx.pack(), grey, prep.ranges, prep.lossy, streams, alpha)
        if best is None or len(tile.pack()) < len(best.pack()):
            best = tile
    return best


def tile_size_estimate(
    pixels: np.ndarray, channels: int, layer, q: int, tau_on: bool, context_on: bool, device: str, threads,
    quick: bool = False,
) -> float:
    """The bytes code_tile would write for colour pixels, from the exact code lengths without range coding,
    less what every Q writes alike (tau, context parameters, lengths); quick: tau and the causal pass fitted on
    the Q search's sparser samples.

    The range coder ends within a few bytes of the code length, so the Q search can compare Qs by this
    without range coding (which made a crop's coding 20-45 % slower in a measurement on two crops).
    """
    tau_stride, fit_stride = (SEARCH_TAU_STRIDE, SEARCH_FIT_STRIDE) if quick else (TAU_STRIDE, FIT_STRIDE)
    prep = _prepare(pixels, channels, layer, q, tau_on, device, threads, tau_stride)
    tables = prep.model.tables
    sizes = []
    for grey_on in _tile_variants(prep, channels):
        bits = [0.0]

        def emit(c, phase, symbols, model, ctx, lo, hi):
            mean, logscale = corrected(model, ctx, c, phase)
            bits[0] += symbol_bits(tables, model.weight, mean, logscale, symbols, lo, hi, model.floor, model.ceil)

        def emit_flags(freqs, coloured):
            picked = freqs[np.arange(len(coloured)), coloured]
            bits[0] += float(np.sum(grids.FREQ_BITS - np.log2(picked)))

        _, grey = _residual_pass(prep, context_on, grey_on, emit, emit_flags, fit_stride)
        sizes.append(len(prep.lossy) + len(grey) + bits[0] / 8)
    return min(sizes)
