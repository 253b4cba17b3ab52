"""Residual symbols to and from the range coder: per chunk of subpixels, their buckets, then their values.

Each residual is coded as a bucket of about sqrt(range) values, then its place in the
bucket, so the coder evaluates the mixture at ~2 sqrt(range) points per subpixel.
"""
from __future__ import annotations

import numpy as np

from . import entropy
from .context import ChannelModel, ContextParams
from .lookup_tables import Tables
from .logistic_mixture import bucket_frequencies, bucket_width, value_frequencies
from .tile_model import corrected


def _two_step_chunks(tables: Tables, model: ChannelModel, ctx: ContextParams, c: int, phase: int, n: int, lo: int,
                     hi: int):
    """Per chunk of the n subpixels of (c, phase): (slice, bucket frequencies, bucket width, a function from the
    buckets' first residuals to the value frequencies within them)."""
    mean, logscale = corrected(model, ctx, c, phase)
    size = hi - lo + 1
    width = bucket_width(size)
    for sl in entropy.chunks(n, size):
        part = (model.weight[:, sl], mean[:, sl], logscale[:, sl])
        floor, ceil = model.floor[sl], model.ceil[sl]

        def values_for(first, part=part, floor=floor, ceil=ceil):
            return value_frequencies(tables, *part, first, width, floor, ceil)

        yield sl, bucket_frequencies(tables, *part, lo, size, width, floor, ceil), width, values_for


def encode_symbols(coder: entropy.StreamEncoder, tables: Tables, model: ChannelModel, ctx: ContextParams, c: int,
                   phase: int, symbols: np.ndarray, lo: int, hi: int) -> None:
    """Append the residuals of (c, phase) to the channel's stream."""
    offset = symbols - lo
    for sl, buckets, width, values_for in _two_step_chunks(tables, model, ctx, c, phase, len(symbols), lo, hi):
        coder.encode(offset[sl] // width, lambda s: buckets[s], buckets.shape[1])
        if width > 1:
            values = values_for(lo + offset[sl] // width * width)
            coder.encode(offset[sl] % width, lambda s: values[s], width)


def decode_symbols(coder: entropy.StreamDecoder, tables: Tables, model: ChannelModel, ctx: ContextParams, c: int,
                   phase: int, n: int, lo: int, hi: int) -> np.ndarray:
    """The n residuals of (c, phase), read from the channel's stream."""
    symbols = np.empty(n, np.int64)
    for sl, buckets, width, values_for in _two_step_chunks(tables, model, ctx, c, phase, n, lo, hi):
        first = lo + coder.decode(len(buckets), lambda s: buckets[s], buckets.shape[1]) * width
        if width > 1:
            values = values_for(first)
            first += coder.decode(len(values), lambda s: values[s], width)
        symbols[sl] = first
    return symbols
