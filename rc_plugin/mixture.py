"""Integer discretized-logistic mixtures: from RC outputs to range-coder frequencies.

Everything here is int32/int64 numpy arithmetic on integers and lookup tables, so the
encoder and the decoder build exactly the same frequency tables on any machine.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from . import grids
from .tables import TABLE_HALF_WIDTH, Tables

UNIT = 1 << grids.OUT_FRAC
#: Frequencies of one subpixel sum to 2**FREQ_BITS; each symbol gets at least 1.
FREQ_TOTAL = 1 << grids.FREQ_BITS
_LAMBDA_DIV = 1 << (grids.LAMBDA_FRAC - grids.OUT_FRAC)
_LAMBDA_HALF = _LAMBDA_DIV >> 1


@dataclasses.dataclass
class MixtureParams:
    """RC outputs of one tile as clipped integers, each (3, K, N) int32 over the N pixels."""

    weight: np.ndarray  # integer mixture weights from the logits, summing to at most WEIGHT_SUM
    mean: np.ndarray  # 1/8 residual units, before the R->G->B shift
    logscale: np.ndarray  # log2(sigma) in 1/8 steps, before tau
    lam: np.ndarray  # (3, K, N): R->G, R->B, G->B coefficients, 1/64 units

    @classmethod
    def from_output(cls, out: np.ndarray, tables: Tables) -> "MixtureParams":
        """out: (12K, H, W) integers from the RC network."""
        k = grids.K
        o = np.asarray(out, dtype=np.int32).reshape(4, 3, k, -1)
        logit = o[0]
        gap = logit.max(axis=1, keepdims=True) - logit
        np.clip(gap, 0, grids.LOGIT_SPAN, out=gap)
        mean = np.clip(o[1], -grids.MEAN_LIMIT, grids.MEAN_LIMIT)
        logscale = np.clip(o[2], grids.LOGSCALE_MIN, grids.LOGSCALE_MAX)
        lam = np.clip(o[3], -grids.LAMBDA_LIMIT, grids.LAMBDA_LIMIT)
        expo = tables.weight[gap]  # the largest component has 2**15, so expo * WEIGHT_SUM fits int32
        weight = (expo * grids.WEIGHT_SUM // expo.sum(axis=1, keepdims=True)).astype(np.int32)
        return cls(weight=weight, mean=mean, logscale=logscale, lam=lam)

    def subset(self, idx: np.ndarray) -> "MixtureParams":
        return MixtureParams(self.weight[..., idx], self.mean[..., idx], self.logscale[..., idx], self.lam[..., idx])

    def channel_mean(self, c: int, r: np.ndarray) -> np.ndarray:
        """(K, N) means of channel c, shifted by lambda times the already known residual channels r[:c]."""
        if c == 0:
            return self.mean[0]
        if c == 1:
            shift = self.lam[0] * r[0]
        else:
            shift = self.lam[1] * r[0] + self.lam[2] * r[1]
        # floor division of integers: identical everywhere
        mean = self.mean[c] + (shift.astype(np.int64) + _LAMBDA_HALF) // _LAMBDA_DIV
        return np.clip(mean, -grids.MEAN_SHIFTED_LIMIT, grids.MEAN_SHIFTED_LIMIT)

    def channel_logscale(self, c: int, tau: np.ndarray) -> np.ndarray:
        """(K, N) log-scale indices of channel c with the per-mixture tau offsets."""
        return np.clip(self.logscale[c] + tau[c][:, None], grids.LOGSCALE_MIN, grids.LOGSCALE_MAX)


def _cumulative(tables: Tables, weight: np.ndarray, mean: np.ndarray, logscale: np.ndarray, b8: np.ndarray) -> np.ndarray:
    """Unnormalized mixture CDF (int32) at boundaries b8 (1/8 units). weight/mean/logscale: (K, N); b8: (N, J) or (1, J).

    Weights sum to at most WEIGHT_SUM < 2**15 and the table holds at most 2**16, so int32 cannot overflow.
    """
    offset = ((logscale - grids.LOGSCALE_MIN) * tables.width + TABLE_HALF_WIDTH - mean).astype(np.int32)  # (K, N)
    b8 = b8.astype(np.int32)
    acc = None
    for k in range(weight.shape[0]):
        term = tables.cdf[b8 + offset[k][:, None]]
        term *= weight[k][:, None]
        if acc is None:
            acc = term
        else:
            acc += term
    return acc


def support(xl: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel bounds (floor, ceil) of a residual: x = x_l + r lies in 0..255, within the channel's lo..hi."""
    xl = xl.astype(np.int64)
    return np.maximum(lo, -xl), np.minimum(hi, 255 - xl)


def frequencies(
    tables: Tables, weight: np.ndarray, mean: np.ndarray, logscale: np.ndarray, lo: int, hi: int,
    floor: np.ndarray, ceil: np.ndarray,
) -> np.ndarray:
    """(N, hi - lo + 1) int64 frequencies, each row summing to 2**24, every entry >= 1.

    The mixture's mass below floor and above ceil (N,) is folded onto them: a residual
    that would take the pixel outside 0..255 cannot occur, so it keeps only the minimum.
    """
    n = weight.shape[1]
    size = hi - lo + 1
    scaled = FREQ_TOTAL - size
    total = weight.sum(axis=0, dtype=np.int64) << grids.CDF_BITS  # (N,)
    cum = np.empty((n, size + 1), np.int64)
    cum[:, 0] = 0
    cum[:, -1] = scaled
    if size > 1:
        above = np.arange(lo + 1, hi + 1, dtype=np.int64)  # the symbol above each inner boundary
        c = _cumulative(tables, weight, mean, logscale, (above * UNIT - UNIT // 2)[None, :])
        inner = (c.astype(np.int64) * scaled) // total[:, None]
        inner[above[None, :] <= floor[:, None]] = 0
        inner[above[None, :] > ceil[:, None]] = scaled
        cum[:, 1:-1] = inner
    return np.diff(cum, axis=1) + 1


def symbol_bits(
    tables: Tables, weight: np.ndarray, mean: np.ndarray, logscale: np.ndarray, symbols: np.ndarray,
    lo: int, hi: int, floor: np.ndarray, ceil: np.ndarray,
) -> float:
    """Exact code length in bits of symbols (residual values) under frequencies(), from two CDF lookups each."""
    size = hi - lo + 1
    scaled = FREQ_TOTAL - size
    total = weight.sum(axis=0, dtype=np.int64) << grids.CDF_BITS
    b8 = np.stack([symbols * UNIT - UNIT // 2, symbols * UNIT + UNIT // 2], axis=1)
    c = (_cumulative(tables, weight, mean, logscale, b8).astype(np.int64) * scaled) // total[:, None]
    c[symbols <= floor, 0] = 0
    c[symbols >= ceil, 1] = scaled
    freq = c[:, 1] - c[:, 0] + 1
    return float(grids.FREQ_BITS * len(symbols) - np.log2(freq.astype(np.float64)).sum())
