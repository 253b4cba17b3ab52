"""The causal second pass: per-image corrections of the RC's means and scales from decoded residuals.

Given x_l, the HEVC residual of a textured photo at Q ~ 16 is close to white, but
on smooth photos coded at a high Q the fine grain that HEVC removed stays
spatially correlated, and the RC, which only sees x_l, cannot know it. So pixels
are coded in seven phases (PHASES): the even-even pixels as the four cells (0, 0),
(2, 2), (0, 2), (2, 0) of the 4x4 grid, then the 2x2 grid's cells (1, 1), (0, 1),
(1, 0); in phases 1-6 each subpixel's mixture is corrected from the
errors e = 8 r - mean (1/8 units) of its already decoded neighbours (2 pixels apart
in phases 1-3, adjacent in phases 4-6): the channel's
own errors at the 8 neighbours and summed over the knight's-move ring, the pixel's
earlier channels, and the other two channels summed over the 4-connected and over
the diagonal neighbours (the residual is correlated across channels, and R has no
earlier channel of its own):

* every mean moves by ``(sum_j coef_j * e_j + 32) >> 6``, after the means of the
  mixture's components have been drawn towards their centre by ``spread / 64``
  (once the context has located the residual, the spread of the RC's means, which
  hedges for what x_l alone cannot tell, is too wide);
* every log-scale index moves by ``offset[bin]``, the bin given by the neighbours'
  mean |e| relative to the mixture's own scale.

The encoder fits ``coef``, ``offset`` and ``spread`` per (channel, phase) on the image itself
and stores them (504 bytes per tile); the decoder only evaluates them, in
integer arithmetic, so it is as exact as the rest of the coder.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import grids
from .errors import RclError
from .mixture import MixtureParams, support, symbol_bits
from .tables import Tables

#: The coding phases in coding order, each (step, y, x, reach): the pixels (y + step i, x + step j), whose
#: context neighbours lie reach pixels apart. The even-even pixels come first, as the 4x4 grid's four cells
#: (0, 0), (2, 2), (0, 2), (2, 0) at reach 2; then the other three cells of the 2x2 grid at reach 1.
PHASES = ((4, 0, 0, 2), (4, 2, 2, 2), (4, 0, 2, 2), (4, 2, 0, 2), (2, 1, 1, 1), (2, 0, 1, 1), (2, 1, 0, 1))
#: Phases with a context (phase 0 has no decoded neighbours).
CONTEXT_PHASES = len(PHASES) - 1
NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
#: Which NEIGHBOURS are 4-connected (the rest are diagonal).
_EDGE = np.array([dy == 0 or dx == 0 for dy, dx in NEIGHBOURS])
#: Mean-correction inputs: the 8 neighbours' errors (at the phase's reach); the pixel's errors in channels R and G;
#: for each of the two other channels, the sums of its errors over the 4-connected and over the diagonal neighbours.
OWN_COEFS = len(NEIGHBOURS) + 2
#: Knight's-move offsets (times the reach): the next ring out's pixels of other phases (one offset odd).
KNIGHTS = ((-2, -1), (-2, 1), (-1, -2), (-1, 2), (1, -2), (1, 2), (2, -1), (2, 1))
#: ... and the sum of the same channel's errors over the decoded KNIGHTS.
COEFS = OWN_COEFS + 5
_PAD = 4  # the farthest neighbour: a knight's move at reach 2
COEF_FRAC = 6
COEF_LIMIT = 127
#: Activity bins: width in 1/8 octaves of (neighbours' mean |e|) / sigma, and their count.
BINS = 12
BIN_WIDTH = 3
OFFSET_LIMIT = 24
#: The spread of the mixture's means about their centre is scaled by spread / SPREAD_ONE (0..SPREAD_ONE).
SPREAD_BITS = 6
SPREAD_ONE = 1 << SPREAD_BITS
#: Spreads tried by the encoder (a grid of 16 instead of 8 coded val03 and val01 0.0004 and 0.0007 bpsp longer).
SPREADS = (56, 48, 40, 32, 24, 16, 8, 0)
PARAM_BYTES = 3 * CONTEXT_PHASES * (COEFS + BINS + 1)
#: The encoder fits on every FIT_STRIDE-th pixel of a phase.
FIT_STRIDE = 3
#: Fractions of the fitted coefficients tried, keeping the one that codes the sample shortest (1.25 was never
#: kept once the fit was weighted by the scale).
COEF_SCALES = (0.5, 0.75, 1.0)
#: ... and of the refit after the offsets, weighted by the scales they chose (8 validation photos, exact code
#: length: 3.4729 -> 3.4716 bpsp).
REFIT_SCALES = (0.75, 1.0)
OFFSET_STEPS = (8, 4, 2, 1)
#: In a coefficient fit's reweighting step, errors beyond this many mixture scales count for less.
ROBUST_SCALES = 2.0
# ceil(2**16 * 2**(i / 8)) for i = 1..7: thresholds of the fractional part of ilog8
_LOG_THRESHOLDS = np.array([71468, 77936, 84990, 92682, 101071, 110218, 120194], np.int64)


def ilog8(v: np.ndarray) -> np.ndarray:
    """floor(8 * log2(v)) for integers 1 <= v < 2**17 (beyond, a deterministic underestimate by at most 1), in integers."""
    v = np.asarray(v, np.int64)
    e = np.zeros(v.shape, np.int64)
    for k in range(1, 21):
        e += v >= (1 << k)
    m = (v << 16) >> e  # v / 2**e in 2**-16 units, 2**16 .. 2**17 - 1
    frac = (m[..., None] >= _LOG_THRESHOLDS).sum(axis=-1)
    return 8 * e + frac


@dataclasses.dataclass
class ContextParams:
    """Per tile: coef (3, CONTEXT_PHASES, COEFS), offset (3, CONTEXT_PHASES, BINS) and spread (3, CONTEXT_PHASES),
    int64."""

    coef: np.ndarray
    offset: np.ndarray
    spread: np.ndarray

    @classmethod
    def zeros(cls) -> "ContextParams":
        return cls(
            np.zeros((3, CONTEXT_PHASES, COEFS), np.int64),
            np.zeros((3, CONTEXT_PHASES, BINS), np.int64),
            np.full((3, CONTEXT_PHASES), SPREAD_ONE, np.int64),
        )

    def pack(self) -> bytes:
        return np.concatenate([self.coef.ravel(), self.offset.ravel(), self.spread.ravel()]).astype(np.int8).tobytes()

    @classmethod
    def unpack(cls, data: bytes) -> "ContextParams":
        if len(data) != PARAM_BYTES:
            raise RclError("corrupt .rcl tile: its context parameters are truncated")
        v = np.frombuffer(data, np.int8).astype(np.int64)
        n, m = 3 * CONTEXT_PHASES * COEFS, 3 * CONTEXT_PHASES * BINS
        params = cls(
            v[:n].reshape(3, CONTEXT_PHASES, COEFS),
            v[n : n + m].reshape(3, CONTEXT_PHASES, BINS),
            v[n + m :].reshape(3, CONTEXT_PHASES),
        )
        if (
            np.abs(params.coef).max() > COEF_LIMIT
            or np.abs(params.offset).max() > OFFSET_LIMIT
            or params.spread.min() < 0
            or params.spread.max() > SPREAD_ONE
        ):
            raise RclError("corrupt .rcl tile: context parameters out of range")
        return params


def phase_indices(h: int, w: int) -> list[np.ndarray]:
    """Flat pixel indices of each phase, in raster order within the phase."""
    out = []
    for step, py, px, _ in PHASES:
        ys, xs = np.arange(py, h, step), np.arange(px, w, step)
        out.append((ys[:, None] * w + xs[None, :]).ravel())
    return out


@dataclasses.dataclass
class ChannelModel:
    """The mixture of one channel at some pixels, plus what the context needs, before its corrections."""

    weight: np.ndarray  # (K, N)
    mean: np.ndarray  # (K, N), lambda-shifted
    logscale: np.ndarray  # (K, N), with tau
    centre: np.ndarray  # (N,) weighted mean of the means: the errors are measured from it
    feats: np.ndarray | None  # (N, COEFS) neighbour and earlier-channel errors
    bins: np.ndarray | None  # (N,) activity bin
    floor: np.ndarray  # (N,) smallest residual that keeps the pixel in 0..255 (mixture.support)
    ceil: np.ndarray  # (N,) and the largest

    def subset(self, sel) -> "ChannelModel":
        pick = (lambda a: None if a is None else a[sel])
        return ChannelModel(self.weight[:, sel], self.mean[:, sel], self.logscale[:, sel], self.centre[sel],
                            pick(self.feats), pick(self.bins), self.floor[sel], self.ceil[sel])

    def corrected(
        self, coef: np.ndarray, offset: np.ndarray, spread: int = SPREAD_ONE
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mean, logscale) with the context corrections."""
        if self.feats is None:
            return self.mean, self.logscale
        shift = (self.feats @ coef + (1 << (COEF_FRAC - 1))) >> COEF_FRAC
        mean = self.mean
        if spread != SPREAD_ONE:
            centre = self.centre[None]
            mean = centre + (((mean - centre) * spread + (1 << (SPREAD_BITS - 1))) >> SPREAD_BITS)
        mean = np.clip(mean + shift[None], -grids.MEAN_SHIFTED_LIMIT, grids.MEAN_SHIFTED_LIMIT)
        logscale = np.clip(self.logscale + offset[self.bins][None], grids.LOGSCALE_MIN, grids.LOGSCALE_MAX)
        return mean, logscale


class CausalState:
    """The errors of the subpixels coded so far; encoder and decoder update it identically.

    Errors live in an image padded by 4 on every side, so each neighbour of a whole phase is
    one strided slice; pixels outside the tile or not yet coded read 0. Pixels of one phase are
    never each other's neighbours (every neighbour offset is an odd multiple of the reach in y
    or in x, which changes the cell of the phase's grid), so within a phase nothing but the pixel
    itself has to be masked.
    """

    def __init__(self, h: int, w: int) -> None:
        self.h, self.w = h, w
        self.err = np.zeros((3, h + 2 * _PAD, w + 2 * _PAD), np.int64)
        self.known = np.zeros((h + 2 * _PAD, w + 2 * _PAD), np.int64)
        self._phase: tuple[int, MixtureParams, _Neighbourhood | None] | None = None

    def _window(self, a: np.ndarray, phase: int, dy: int, dx: int) -> np.ndarray:
        """a's values at the phase's pixels moved by (dy, dx) times its reach, flattened in the phase's order."""
        step, py, px, reach = PHASES[phase]
        ny, nx = len(range(py, self.h, step)), len(range(px, self.w, step))
        y0, x0 = _PAD + py + reach * dy, _PAD + px + reach * dx
        # an empty phase (a tile smaller than its grid) must give an empty slice, not a negative end
        y1, x1 = y0 + max(step * (ny - 1) + 1, 0), x0 + max(step * (nx - 1) + 1, 0)
        return a[..., y0:y1:step, x0:x1:step].reshape(*a.shape[:-2], ny * nx)

    def _neighbourhood(self, phase: int) -> "_Neighbourhood | None":
        if phase == 0:
            return None
        own = np.stack([self._window(self.err, phase, dy, dx) for dy, dx in NEIGHBOURS], axis=2)  # (3, N, 8)
        count = sum(self._window(self.known, phase, dy, dx) for dy, dx in NEIGHBOURS)
        knight = sum(self._window(self.err, phase, dy, dx) for dy, dx in KNIGHTS)
        return _Neighbourhood(own, own[..., _EDGE].sum(axis=2), own[..., ~_EDGE].sum(axis=2), knight, count)

    def channel_model(
        self, params: MixtureParams, c: int, phase: int, idx: np.ndarray, r: np.ndarray, tau: np.ndarray,
        xl: np.ndarray, lo: int, hi: int,
    ) -> ChannelModel:
        """The model of channel c at pixels idx (all of one phase); r holds channels < c there.

        xl: (N,) the lossy reconstruction of channel c at idx; lo..hi: the channel's residual range.
        """
        if self._phase is None or self._phase[0] != phase:
            self._phase = (phase, params.subset(idx), self._neighbourhood(phase))
        _, sub, nb = self._phase
        weight = sub.weight[c]
        mean = sub.channel_mean(c, r[:, idx])
        logscale = sub.channel_logscale(c, tau)
        weight64 = weight.astype(np.int64)
        wsum = weight64.sum(axis=0)
        centre = (weight64 * mean).sum(axis=0) // wsum
        floor, ceil = support(xl, lo, hi)
        if nb is None:
            return ChannelModel(weight, mean, logscale, centre, None, None, floor, ceil)
        feats = np.zeros((len(idx), COEFS), np.int64)
        feats[:, : len(NEIGHBOURS)] = nb.own[c]
        if c:
            feats[:, len(NEIGHBOURS) : len(NEIGHBOURS) + c] = self._window(self.err[:c], phase, 0, 0).T
        others = [o for o in range(3) if o != c]
        feats[:, OWN_COEFS : OWN_COEFS + 4] = np.stack([s for o in others for s in (nb.edge[o], nb.diagonal[o])], 1)
        feats[:, COEFS - 1] = nb.knight[c]
        activity = np.abs(nb.own[c]).sum(axis=1) // np.maximum(nb.count, 1)
        sigma = (weight64 * logscale).sum(axis=0) // wsum
        # ilog8 of |e| in 1/8 units is 24 above sigma's index for |e| = sigma
        rel = ilog8(activity + 1) - 24 - sigma
        bins = np.clip((rel + BINS // 2 * BIN_WIDTH) // BIN_WIDTH, 0, BINS - 1)
        return ChannelModel(weight, mean, logscale, centre, feats, bins, floor, ceil)

    def record(self, c: int, idx: np.ndarray, r_c: np.ndarray, model: ChannelModel) -> None:
        self.err[c, _PAD + idx // self.w, _PAD + idx % self.w] = np.clip(
            (r_c.astype(np.int64) << grids.OUT_FRAC) - model.centre, -grids.MEAN_SHIFTED_LIMIT, grids.MEAN_SHIFTED_LIMIT
        )

    def finish_phase(self, idx: np.ndarray) -> None:
        self.known[_PAD + idx // self.w, _PAD + idx % self.w] = 1


@dataclasses.dataclass
class _Neighbourhood:
    """What a phase's pixels see of the earlier phases, for all three channels at once."""

    own: np.ndarray  # (3, N, 8) errors of the 8 neighbours
    edge: np.ndarray  # (3, N) their sum over the 4-connected neighbours
    diagonal: np.ndarray  # (3, N) and over the diagonal ones
    knight: np.ndarray  # (3, N) sum over the knight's-move neighbours
    count: np.ndarray  # (N,) how many of the 8 are decoded


def _robust_coefficients(m: ChannelModel, sym: np.ndarray) -> np.ndarray:
    """Least-squares coefficients weighted nearer to how the code length weighs errors.

    A plain fit is ruled by the textured pixels, whose errors are large and nearly white,
    while the bits the context saves are mostly where the mixture is narrow. So each
    pixel's error is measured in units of its mixture's scale, and then, after one fit,
    down-weighted where it is large against that scale (one Cauchy-type reweighting step,
    chosen by measurement: a logistic's code length grows only linearly in large errors,
    where squares punish them). Exact code length against the plain fit, 8 photos of the
    validation set at their benchmark Q: 3.4877 -> 3.4729 bpsp (scale weighting alone 3.4771).
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


def fit(
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
