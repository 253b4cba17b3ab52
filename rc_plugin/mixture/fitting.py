"""The encoder's fits of a tile's stored parameters on the image itself: the causal pass's (rc_plugin.mixture.context)
and the grey shortcut's (rc_plugin.mixture.grey).

Encoder only: the decoder reads the stored integers and never imports this module.
Floating point is fine here, since only the stored integers reach the file.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..format import grids
from ..format.bitstream import BINS, COEF_FRAC, COEF_LIMIT, COEFS, OFFSET_LIMIT, SPREAD_ONE
from .context import ChannelModel
from .grey import PHASES, GreyParams, GreyState, is_grey
from ..format.bitstream import GREY_CONTEXTS, GREY_PROB_BITS
from .lookup_tables import Tables
from .logistic_mixture import symbol_bits

#: Spreads tried by the encoder (measured in docs/models.md, "Causal pass").
SPREADS = (56, 48, 40, 32, 24, 16, 8, 0)
#: The encoder fits on every FIT_STRIDE-th pixel of a phase.
FIT_STRIDE = 3
#: Fractions of the fitted coefficients tried, keeping the one that codes the sample shortest.
COEF_SCALES = (0.5, 0.75, 1.0)
#: ... and of the refit after the offsets, weighted by the scales they chose.
REFIT_SCALES = (0.75, 1.0)
OFFSET_STEPS = (8, 4, 2, 1)
#: In a coefficient fit's reweighting step, errors beyond this many mixture scales count for less.
ROBUST_SCALES = 2.0
#: The encoder tries the grey shortcut on a tile when at least this share of its pixels have a grey x_l.
GREY_MIN_SHARE = 0.005


def _robust_coefficients(m: ChannelModel, sym: np.ndarray) -> np.ndarray:
    """Least-squares coefficients weighted nearer to how the code length weighs errors.

    A plain fit is ruled by the textured pixels, whose errors are large and nearly white,
    while the bits the context saves are mostly where the mixture is narrow. So each
    pixel's error is measured in units of its mixture's scale, and then, after one fit,
    down-weighted where it is large against that scale (one Cauchy-type reweighting step,
    chosen by measurement: a logistic's code length grows only linearly in large errors,
    where squares punish them; docs/models.md, "Causal pass", has the figures).
    """
    target = ((sym.astype(np.int64) << grids.OUT_FRAC) - m.centre).astype(np.float64)
    feats = m.feats.astype(np.float64)
    weight64 = m.weight.astype(np.int64)
    sigma = (weight64 * m.logscale).sum(axis=0) / weight64.sum(axis=0)  # log2 of the scale, in 1/8 octaves
    inv_scale = np.exp2(-sigma / 8) / (1 << grids.OUT_FRAC)  # 1 / scale, per 1/8-unit error
    ls, *_ = np.linalg.lstsq(feats * inv_scale[:, None], target * inv_scale, rcond=None)
    err = (target - feats @ ls) * inv_scale
    row_weight = inv_scale / np.sqrt(1 + (err / ROBUST_SCALES) ** 2)
    ls, *_ = np.linalg.lstsq(feats * row_weight[:, None], target * row_weight, rcond=None)
    return ls


def fit_context(
    tables: Tables, model: ChannelModel, symbols: np.ndarray, lo: int, hi: int, stride: int = FIT_STRIDE
) -> tuple[np.ndarray, np.ndarray, int]:
    """(coef, offset, spread) for one channel and phase, fitted on every stride-th pixel, never coding that sample
    longer than no correction."""
    zero_c, zero_o = np.zeros(COEFS, np.int64), np.zeros(BINS, np.int64)
    if model.feats is None or lo == hi or len(symbols) == 0:
        return zero_c, zero_o, SPREAD_ONE
    s = slice(None, None, stride)
    m, sym = model.subset(s), symbols[s]

    def bits(part: ChannelModel, part_sym: np.ndarray, coef: np.ndarray, offset: np.ndarray, spread: int) -> float:
        mean, logscale = part.corrected(coef, offset, spread)
        return symbol_bits(tables, part.weight, mean, logscale, part_sym, lo, hi, part.floor, part.ceil)

    def shortest_scaled(
        ls: np.ndarray, scales, offset: np.ndarray, spread: int, cost: float, coef: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """(cost, coef), or a stored fraction of the fit ls where it codes the sample shorter."""
        # the encoder's least squares may use floats: only the stored integers matter
        for scale in scales:
            c = np.clip(np.round(ls * scale * (1 << COEF_FRAC)), -COEF_LIMIT, COEF_LIMIT).astype(np.int64)
            b = bits(m, sym, c, offset, spread)
            if b < cost:
                cost, coef = b, c
        return cost, coef

    best, best_c, best_s = bits(m, sym, zero_c, zero_o, SPREAD_ONE), zero_c, SPREAD_ONE
    if np.any(m.feats):
        best, best_c = shortest_scaled(_robust_coefficients(m, sym), COEF_SCALES, zero_o, SPREAD_ONE, best, best_c)
    # searched after the coefficients: choosing both together coded val01, val03 and val12 no shorter
    for spread in SPREADS:
        b = bits(m, sym, best_c, zero_o, spread)
        if b < best:
            best, best_s = b, spread
    offset = zero_o.copy()
    for k in range(BINS):
        sel = np.nonzero(m.bins == k)[0]
        if len(sel) == 0:
            continue
        part, part_sym = m.subset(sel), sym[sel]
        cost = bits(part, part_sym, best_c, offset, best_s)
        for step in OFFSET_STEPS:
            for delta in (-step, step):
                while True:
                    trial = offset.copy()
                    trial[k] = np.clip(trial[k] + delta, -OFFSET_LIMIT, OFFSET_LIMIT)
                    if trial[k] == offset[k]:
                        break
                    b = bits(part, part_sym, best_c, trial, best_s)
                    if b >= cost:
                        break
                    cost, offset = b, trial
    if np.any(best_c):
        # the offsets have narrowed the scales where the neighbours are quiet: weigh a second fit by those
        narrowed = dataclasses.replace(
            m, logscale=np.clip(m.logscale + offset[m.bins][None], grids.LOGSCALE_MIN, grids.LOGSCALE_MAX)
        )
        refit = _robust_coefficients(narrowed, sym)
        _, best_c = shortest_scaled(refit, REFIT_SCALES, offset, best_s, bits(m, sym, best_c, offset, best_s), best_c)
    return best_c, offset, best_s


def grey_worth_trying(xl: np.ndarray, ranges) -> bool:
    """Whether a tile (x_l as (C, N)) has enough grey x_l for the shortcut, and non-constant G and B to skip."""
    return len(ranges) == 3 and all(lo != hi for lo, hi in ranges) and is_grey(xl).mean() >= GREY_MIN_SHARE


def fit_grey(xl: np.ndarray, x: np.ndarray, h: int, w: int, phases: list[np.ndarray]) -> GreyParams:
    """The encoder's probabilities from the flags of the whole tile (xl, x: (3, N) its pixels)."""
    state = GreyState(xl, h, w)
    coloured = ~is_grey(x)
    prob = np.full((PHASES, GREY_CONTEXTS), 1 << (GREY_PROB_BITS - 1), np.int64)
    for phase, idx in enumerate(phases):
        cand = idx[state.candidate[idx]]
        ctx = state.contexts(phase, cand)
        for k in range(GREY_CONTEXTS):
            flags = coloured[cand[ctx == k]]
            if len(flags):
                # (n_coloured + 1/2) / (n + 1): a context never seen coloured can still be
                p = ((2 * int(flags.sum()) + 1) << GREY_PROB_BITS) // (2 * len(flags) + 2)
                prob[phase, k] = min(max(p, 1), (1 << GREY_PROB_BITS) - 1)
        state.finish_phase(idx, x[:, idx])
    return GreyParams(prob)
