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

from ..format import grids
from ..errors import RclError
from .logistic_mixture import MixtureParams, support

from ..format.bitstream import (  # noqa: F401  (PHASES, CONTEXT_PHASES and COEFS are read through this module too)
    BIN_WIDTH,
    BINS,
    COEF_FRAC,
    COEF_LIMIT,
    COEFS,
    CONTEXT_BYTES as PARAM_BYTES,
    CONTEXT_PHASES,
    KNIGHTS,
    LOG8_THRESHOLDS,
    NEIGHBOURS,
    OFFSET_LIMIT,
    OWN_COEFS,
    PHASES,
    SPREAD_BITS,
    SPREAD_ONE,
)

#: Which NEIGHBOURS are 4-connected (the rest are diagonal).
_EDGE = np.array([dy == 0 or dx == 0 for dy, dx in NEIGHBOURS])
_PAD = 4  # the farthest neighbour: a knight's move at reach 2
_LOG_THRESHOLDS = np.array(LOG8_THRESHOLDS, np.int64)


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
