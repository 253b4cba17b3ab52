"""Integer discretized-logistic mixtures: from RC outputs to range-coder frequencies.

Everything here is int32/int64 numpy arithmetic on integers and lookup tables, so the
encoder and the decoder build exactly the same frequency tables on any machine.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..format import grids
from ..format.bitstream import DIRECT_LIMIT
from .lookup_tables import TABLE_HALF_WIDTH, Tables

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




def bucket_width(size: int) -> int:
    """Residual values per bucket for a channel with size values: about sqrt(size), a power of two.

    Coding the bucket, then the value within it, needs the CDF at about 2 sqrt(size) boundaries per
    subpixel instead of size; at a high Q the range is wide and this is most of decoding's work.
    """
    if size <= DIRECT_LIMIT:
        return 1
    return 1 << ((size - 1).bit_length() // 2)


def _folded_cdf(
    tables: Tables, weight: np.ndarray, mean: np.ndarray, logscale: np.ndarray, above: np.ndarray,
    floor: np.ndarray, ceil: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(cdf, total): the mixture's integer CDF (N, J) at the boundary below each residual in above (N, J).

    Residuals below floor or above ceil (N,) would take the pixel outside 0..255, so their mass is
    folded onto floor and ceil: the CDF is 0 up to floor and total beyond ceil.
    """
    looked_up = np.clip(above, floor[:, None], ceil[:, None] + 1)  # keeps every table index in range
    cdf = _cumulative(tables, weight, mean, logscale, looked_up * UNIT - UNIT // 2).astype(np.int64)
    total = weight.sum(axis=0, dtype=np.int64) << grids.CDF_BITS  # (N,)
    cdf[above <= floor[:, None]] = 0
    return np.where(above > ceil[:, None], total[:, None], cdf), total


def _to_frequencies(cum: np.ndarray) -> np.ndarray:
    return np.diff(cum, axis=1) + 1


def bucket_frequencies(
    tables: Tables, weight: np.ndarray, mean: np.ndarray, logscale: np.ndarray, lo: int, size: int, width: int,
    floor: np.ndarray, ceil: np.ndarray,
) -> np.ndarray:
    """(N, ceil(size / width)) int64 frequencies of the buckets lo + width*j ..; rows sum to 2**24, entries >= 1."""
    buckets = -(-size // width)
    above = lo + width * np.arange(buckets + 1)  # the first residual of each bucket, and one past the last
    cdf, total = _folded_cdf(tables, weight, mean, logscale, np.broadcast_to(above, (len(floor), buckets + 1)),
                             floor, ceil)
    return _to_frequencies((cdf * (FREQ_TOTAL - buckets)) // total[:, None])


def value_frequencies(
    tables: Tables, weight: np.ndarray, mean: np.ndarray, logscale: np.ndarray, first: np.ndarray, width: int,
    floor: np.ndarray, ceil: np.ndarray,
) -> np.ndarray:
    """(N, width) int64 frequencies of the residuals first .. first + width - 1 given that bucket (first: (N,)).

    A bucket the mixture gives no mass in the tables' precision (a residual far in a tail) is uniform.
    """
    scaled = FREQ_TOTAL - width
    cdf, _ = _folded_cdf(tables, weight, mean, logscale, first[:, None] + np.arange(width + 1), floor, ceil)
    cdf -= cdf[:, :1]
    mass = cdf[:, -1:]
    freq = _to_frequencies((cdf * scaled) // np.maximum(mass, 1))
    empty = mass[:, 0] == 0
    if np.any(empty):
        uniform = 1 + scaled // width + (np.arange(width) < scaled % width)
        freq[empty] = uniform
    return freq


def symbol_bits(
    tables: Tables, weight: np.ndarray, mean: np.ndarray, logscale: np.ndarray, symbols: np.ndarray,
    lo: int, hi: int, floor: np.ndarray, ceil: np.ndarray,
) -> float:
    """Code length in bits of symbols (residual values) over the whole range lo..hi, from two CDF lookups each.

    The coder's two steps (bucket_frequencies, value_frequencies) give the same probabilities up to
    rounding in the last of 24 bits, so fits and the Q search use this cheaper measure.
    """
    size = hi - lo + 1
    scaled = FREQ_TOTAL - size
    total = weight.sum(axis=0, dtype=np.int64) << grids.CDF_BITS
    b8 = np.stack([symbols * UNIT - UNIT // 2, symbols * UNIT + UNIT // 2], axis=1)
    c = (_cumulative(tables, weight, mean, logscale, b8).astype(np.int64) * scaled) // total[:, None]
    c[symbols <= floor, 0] = 0
    c[symbols >= ceil, 1] = scaled
    freq = c[:, 1] - c[:, 0] + 1
    return float(grids.FREQ_BITS * len(symbols) - np.log2(freq.astype(np.float64)).sum())
