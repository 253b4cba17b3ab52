"""Per-image tau: integer offsets of the log-scale index per (channel, mixture).

The paper rescales sigma by a factor tau found with SGD; with log-scale indices
that is an integer offset. We search those offsets directly for the smallest exact
code length, on a 4x subsampled grid (every fourth row and column), by coordinate
descent that only accepts improvements, so tau never makes the sample's code longer.
"""
from __future__ import annotations

import numpy as np

from ..format import grids
from .logistic_mixture import MixtureParams, support, symbol_bits
from .lookup_tables import Tables

STEPS = (4, 2, 1)
#: Sweeps over the K mixtures per step size; the search converges in one or two.
MAX_SWEEPS = 2


def optimise_tau(
    tables: Tables, params: MixtureParams, r: np.ndarray, ranges: list[tuple[int, int]], xl: np.ndarray
) -> np.ndarray:
    """r: (C, N) true residuals of the sampled pixels, params and xl (C, N) sampled alike -> (3, K) int offsets."""
    tau = np.zeros((3, grids.K), np.int64)
    for c, (lo, hi) in enumerate(ranges):
        if lo == hi:
            continue
        mean = params.channel_mean(c, r)
        sym = r[c]
        floor, ceil = support(xl[c], lo, hi)

        def cost(t: np.ndarray) -> float:
            ls = np.clip(params.logscale[c] + t[:, None], grids.LOGSCALE_MIN, grids.LOGSCALE_MAX)
            return symbol_bits(tables, params.weight[c], mean, ls, sym, lo, hi, floor, ceil)

        best = cost(tau[c])
        for step in STEPS:
            for _ in range(MAX_SWEEPS):
                improved = False
                for k in range(grids.K):
                    for delta in (-step, step):
                        t = tau[c].copy()
                        t[k] = np.clip(t[k] + delta, -grids.TAU_LIMIT, grids.TAU_LIMIT)
                        b = cost(t)
                        if b < best - 1e-9:
                            best, tau[c], improved = b, t, True
                if not improved:
                    break
    return tau
